import { quoteArg } from "./quote";

/** An argv with the bytes to feed its standard input. */
export interface CommandWithInput {
  argv: string[];
  stdin?: string;
}

/**
 * A fixed script: read `KEY='value'` assignments from standard input, export
 * them, then exec the real command given as positional arguments. Values thus
 * never appear on any command line (`ps`, error messages, shell history) and
 * keep newlines and quotes intact, which podman's --env-file cannot.
 */
// `eval "$(cat)"` rather than `. /dev/stdin`: stdin may be a socket (node's
// child pipes are socketpairs), which /dev/stdin cannot open.
const EXPORT_FROM_STDIN = 'set -a && eval "$(cat)" && set +a && exec "$@"';

/**
 * Runs argv with the given environment passed through stdin. The command
 * itself refers to the variables by name only (e.g. podman's `--env KEY`).
 */
export function withEnvFromStdin(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
): CommandWithInput {
  const keys = Object.keys(env);
  if (keys.length === 0) return { argv: [...argv] };
  const assignments = keys.map((key) => `${key}=${quoteArg(env[key] ?? "")}\n`).join("");
  return { argv: ["sh", "-c", EXPORT_FROM_STDIN, "sh", ...argv], stdin: assignments };
}

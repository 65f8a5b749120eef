import { ENV_KEY } from "../spec/component";

/**
 * A container's env goes to podman as an env-file on podman's standard input,
 * never into the environment of podman or of any shell on the node: there a
 * key such as PATH, LD_PRELOAD, IFS, HOME or CONTAINERS_CONF would change what
 * podman (often root) runs, loads and reads. Nor on a command line (`ps`,
 * CreateCommand, errors).
 *
 * podman 4.3 reads the file line by line with Go's bufio.Scanner: a line is
 * `KEY=value`, taken verbatim after the first `=` (quotes, `#`, spaces kept);
 * the scanner drops one `\r` before each `\n`, so every line ends in `\r\n`
 * and a value's own trailing `\r` survives. A value cannot hold a newline, and
 * a line holds at most 65535 bytes with its `\r` (spec/check-container-env).
 */
export const ENV_FILE_ON_STDIN = ["--env-file", "/dev/stdin"] as const;

export function envFileText(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([key, value]) => {
      // A newline would end the line early: the rest would be read as another variable.
      if (!ENV_KEY.test(key) || value.includes("\n"))
        throw new Error(`env.${key} cannot be written to podman's --env-file`);
      return `${key}=${value}\r\n`;
    })
    .join("");
}

/**
 * Runs argv with its standard input made a pipe: `/dev/stdin` cannot be
 * opened on a socket, and node's child stdin (the local transport) is a
 * socketpair. The shell only connects `cat` to the command: it reads no
 * data and sets no variable, so the command runs in the node's environment.
 */
export function withStdinPiped(argv: readonly string[]): string[] {
  return ["sh", "-c", 'cat | exec "$@"', "sh", ...argv];
}

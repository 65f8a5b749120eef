import type { LogRequest } from "../commands/podman";
import { NAME } from "../spec/component";

/** What `pulumi-mcp logs` was asked, checked. */
export interface LogsArgs extends LogRequest {
  stack?: string;
  /** The Pulumi project directory (default: the current one). */
  cwd?: string;
  service: string;
  component: string;
}

export const LOGS_USAGE =
  "usage: pulumi-mcp logs [--stack NAME] [--cwd DIR] SERVICE/COMPONENT [--tail N] [--since 10m] [--follow]";

/** podman's --since: a Go duration (10m, 1h30m, 45s) or an RFC 3339 time / date. */
const SINCE =
  /^(?:(?:\d+(?:\.\d+)?(?:h|m|s|ms))+|\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?)$/;

/** Parses the logs command's arguments; a bad one is an error naming the flag and the value. */
export function parseLogsArgs(argv: readonly string[]): LogsArgs {
  const args: Partial<LogsArgs> = {};
  let target: string | undefined;
  const value = (flag: string, index: number): string => {
    const next = argv[index + 1];
    if (next === undefined || next.startsWith("--"))
      throw new Error(`${flag} needs a value\n${LOGS_USAGE}`);
    return next;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    const take = () => inline ?? value(flag, i++);
    switch (flag) {
      case "--stack":
      case "-s":
        args.stack = take();
        break;
      case "--cwd":
      case "-C":
        args.cwd = take();
        break;
      case "--tail":
      case "-n": {
        const text = take();
        if (!/^\d+$/.test(text) || Number(text) > 1_000_000) {
          throw new Error(
            `--tail ${JSON.stringify(text)}: must be a whole number of lines (0 to 1000000)`,
          );
        }
        args.tail = Number(text);
        break;
      }
      case "--since": {
        const text = take();
        if (!SINCE.test(text)) {
          throw new Error(
            `--since ${JSON.stringify(text)}: must be a duration (10m, 1h30m, 45s) or a time (2026-12-01T10:00:00Z)`,
          );
        }
        args.since = text;
        break;
      }
      case "--follow":
      case "-f":
        args.follow = true;
        break;
      default:
        if (arg.startsWith("-"))
          throw new Error(`unknown option ${JSON.stringify(arg)}\n${LOGS_USAGE}`);
        if (target !== undefined)
          throw new Error(
            `one SERVICE/COMPONENT only, got ${JSON.stringify(target)} and ${JSON.stringify(arg)}`,
          );
        target = arg;
    }
  }
  if (target === undefined) throw new Error(`which workload? ${LOGS_USAGE}`);
  const [service, component, ...rest] = target.split("/");
  if (!service || !component || rest.length > 0 || !NAME.test(service) || !NAME.test(component)) {
    throw new Error(`${JSON.stringify(target)}: must be SERVICE/COMPONENT, e.g. mcq/api`);
  }
  return { ...args, service, component };
}

import { toCommandLine } from "./quote";

/**
 * Several commands as one: run in order by one remote `sh`, stopping at the
 * first that fails (its exit status is the result). One SSH channel instead
 * of one per step; each argv is quoted by the one quoting function.
 */
export function chain(...commands: readonly (readonly string[])[]): string[] {
  if (commands.length === 0) throw new Error("empty command chain");
  return ["sh", "-c", commands.map(toCommandLine).join(" && ")];
}

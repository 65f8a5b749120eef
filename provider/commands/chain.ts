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

/** What a `chainSteps` command prints on stderr, with the step's index, when that step fails. */
const STEP_FAILED = "pulumi-mcp: step failed:";

/**
 * Like `chain`, but a failing step says which it was: it prints
 * `pulumi-mcp: step failed: <index>` on stderr before the chain exits with
 * that step's status, so one channel can carry the steps of an update and the
 * error still names the step (`failedStep`).
 */
export function chainSteps(commands: readonly (readonly string[])[]): string[] {
  if (commands.length === 0) throw new Error("empty command chain");
  const lines = commands.map(
    (argv, i) => `${toCommandLine(argv)} || { s=$?; echo '${STEP_FAILED} ${i}' >&2; exit $s; }`,
  );
  return ["sh", "-c", lines.join("\n")];
}

/** The index of the step a `chainSteps` command failed at, and its stderr without the marker. */
export function failedStep(stderr: string): { step: number; stderr: string } | undefined {
  const match = new RegExp(`(?<=^|\\n)${STEP_FAILED} (\\d+)\\n?$`).exec(stderr);
  if (!match) return undefined;
  return { step: Number(match[1]), stderr: stderr.slice(0, match.index) };
}

import { chainSteps, failedStep } from "../commands/chain";
import type { CommandStep } from "../commands/podman";
import type { CommandResult, RunOptions, Transport } from "../transport";
import { CommandFailed } from "./command-error";
import { isTransientPodmanFailure, PODMAN_ATTEMPTS, pause } from "./podman-retry";

/** A step of a chained command failed; `step` is its index, undefined when the output does not say. */
export class StepFailed extends CommandFailed {
  constructor(
    readonly step: number | undefined,
    what: string,
    result: CommandResult,
  ) {
    super(what, result);
    this.name = "StepFailed";
  }
}

/**
 * Runs the steps in order as one remote command (one channel), stopping at the
 * first that fails, which the error names. A step podman failed for a
 * transient reason (podman-retry) is run again with the steps after it, after
 * `beforeRetry(step)`, up to PODMAN_ATTEMPTS times: the steps before it are
 * done and are not repeated. Resolves with the last attempt's result.
 */
export async function runSteps(
  transport: Transport,
  steps: readonly CommandStep[],
  options?: RunOptions,
  beforeRetry?: (step: number) => Promise<void>,
): Promise<CommandResult> {
  let from = 0;
  for (let attempt = 1; ; attempt += 1) {
    const result = await transport.run(chainSteps(steps.slice(from).map((s) => s.argv)), options);
    if (result.exitCode === 0) return result;
    const failed = failedStep(result.stderr);
    const step = failed === undefined ? undefined : from + failed.step;
    const own = failed ? { ...result, stderr: failed.stderr } : result;
    if (step !== undefined && attempt < PODMAN_ATTEMPTS && isTransientPodmanFailure(own)) {
      await pause(attempt);
      await beforeRetry?.(step);
      from = step;
      continue;
    }
    const what =
      step === undefined
        ? steps.map((s) => s.what).join(" && ")
        : (steps[step] as CommandStep).what;
    throw new StepFailed(step, what, own);
  }
}

import { chainSteps, failedStep } from "../commands/chain";
import type { CommandStep } from "../commands/podman";
import type { CommandResult, RunOptions, Transport } from "../transport";
import { CommandFailed } from "./command-error";
import { isTransientPodmanFailure, PODMAN_ATTEMPTS, pause } from "./podman-retry";

/**
 * A step of a chained command failed; `step` is its index, undefined when the
 * output does not say. `stdout` is what every attempt printed, in order.
 */
export class StepFailed extends CommandFailed {
  constructor(
    readonly step: number | undefined,
    what: string,
    result: CommandResult,
    readonly stdout = result.stdout,
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
 * done and are not repeated. Resolves with the last attempt's result, its
 * stdout being what every attempt printed, in order. `watch`, when given,
 * sees that stdout as it grows (the output is streamed).
 */
export async function runSteps(
  transport: Transport,
  steps: readonly CommandStep[],
  options?: RunOptions,
  beforeRetry?: (step: number) => Promise<void>,
  watch?: (stdout: string) => void,
): Promise<CommandResult> {
  let from = 0;
  let printed = "";
  for (let attempt = 1; ; attempt += 1) {
    const argv = chainSteps(steps.slice(from).map((s) => s.argv));
    const result = await (watch
      ? watched(transport, argv, printed, watch, options)
      : transport.run(argv, options));
    printed += result.stdout;
    if (result.exitCode === 0) return { ...result, stdout: printed };
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
    throw new StepFailed(step, what, own, printed);
  }
}

/** `transport.run` with the output streamed: `watch` sees `before` and the stdout so far as it grows. */
async function watched(
  transport: Transport,
  argv: readonly string[],
  before: string,
  watch: (stdout: string) => void,
  options?: RunOptions,
): Promise<CommandResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const result = await transport.run(argv, {
    ...options,
    onOutput: (stream, chunk) => {
      if (stream === "stderr") return err.push(chunk);
      out.push(chunk);
      watch(before + Buffer.concat(out).toString("utf8"));
    },
  });
  // A transport that does not stream (a test's fake) hands the output back as usual.
  return {
    exitCode: result.exitCode,
    stdout: Buffer.concat(out).toString("utf8") + result.stdout,
    stderr: Buffer.concat(err).toString("utf8") + result.stderr,
  };
}

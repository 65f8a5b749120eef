import type { CommandResult, RunOptions, Transport } from "../transport";

/**
 * podman's own words for a failure that goes away when tried again: lock
 * contention between concurrent podman processes, and a restart policy
 * racing a stop or remove.
 */
const TRANSIENT =
  /database is locked|error acquiring lock|resource temporarily unavailable|container state improper|locking .* timed out|timed out waiting for file|EAGAIN/i;

export const PODMAN_ATTEMPTS = 5;

export function isTransientPodmanFailure(result: CommandResult): boolean {
  return result.exitCode !== 0 && TRANSIENT.test(result.stderr);
}

export function pause(attempt: number): Promise<void> {
  // 200, 400, 800 … ms with jitter, so concurrent callers do not retry in step.
  const ms = 200 * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs an idempotent podman command, trying again (a bounded number of times)
 * while podman reports a transient failure; the last result is returned.
 */
export async function runPodman(
  transport: Transport,
  argv: readonly string[],
  options?: RunOptions,
  beforeRetry?: () => Promise<void>,
): Promise<CommandResult> {
  for (let attempt = 1; ; attempt += 1) {
    const result = await transport.run(argv, options);
    if (attempt >= PODMAN_ATTEMPTS || !isTransientPodmanFailure(result)) return result;
    await pause(attempt);
    await beforeRetry?.();
  }
}

import { podmanRemove, podmanStop } from "../commands/podman";
import type { Transport } from "../transport";
import { CommandFailed } from "./command-error";
import { nodeBatcher } from "./node-batch";
import { runPodman } from "./podman-retry";

type NamesCommand = (names: readonly string[], timeoutSeconds: number) => string[];

/**
 * Runs one podman command over many containers (`podman stop a b c`, `podman
 * rm a b c`): one process instead of one per container, which podman's own
 * locking makes much cheaper. Gives the names it failed for, with why.
 */
function forAll(verb: string, command: NamesCommand) {
  return async (
    transport: Transport,
    scope: string,
    names: string[],
  ): Promise<Map<string, CommandFailed>> => {
    const timeoutSeconds = Number(scope);
    const together = await runPodman(transport, command(names, timeoutSeconds));
    if (together.exitCode === 0) return new Map();
    // Which one failed is not worth parsing out of podman's words: try each alone
    // (a no-op for those already done) and keep every failure for its own caller.
    const failures = new Map<string, CommandFailed>();
    await Promise.all(
      names.map(async (name) => {
        const alone =
          names.length === 1
            ? together
            : await runPodman(transport, command([name], timeoutSeconds));
        if (alone.exitCode !== 0)
          failures.set(name, new CommandFailed(`podman ${verb} ${name}`, alone));
      }),
    );
    return failures;
  };
}

// Four at a time: a stop or removal mostly waits out its stop timeout.
const stopInBatch = nodeBatcher(forAll("stop", podmanStop), { concurrent: 4 });
const removeInBatch = nodeBatcher(forAll("rm", podmanRemove), { concurrent: 4 });

async function batched(
  batch: typeof stopInBatch,
  transport: Transport,
  name: string,
  timeoutSeconds: number,
): Promise<void> {
  const failure = (await batch(transport, String(timeoutSeconds), name)).get(name);
  if (failure) throw failure;
}

/**
 * Stops the container if it runs; stops on one node with the same timeout that
 * arrive together go out as one `podman stop`.
 */
export function stopBatched(transport: Transport, name: string, timeoutSeconds: number) {
  return batched(stopInBatch, transport, name, timeoutSeconds);
}

/**
 * Removes the container if it exists; removals on one node with the same stop
 * timeout that arrive together go out as one `podman rm`.
 */
export function removeBatched(transport: Transport, name: string, timeoutSeconds: number) {
  return batched(removeInBatch, transport, name, timeoutSeconds);
}

import { podmanRemove } from "../commands/podman";
import type { Transport } from "../transport";
import { CommandFailed } from "./command-error";
import { nodeBatcher } from "./node-batch";
import { runPodman } from "./podman-retry";

/** Removes `names` in one `podman rm`; the names that could not be removed, with why. */
async function removeAll(
  transport: Transport,
  scope: string,
  names: string[],
): Promise<Map<string, CommandFailed>> {
  const timeoutSeconds = Number(scope);
  const together = await runPodman(transport, podmanRemove(names, timeoutSeconds));
  if (together.exitCode === 0) return new Map();
  // Which one failed is not worth parsing out of podman's words: remove each alone
  // (a no-op for those already gone) and keep every failure for its own caller.
  const failures = new Map<string, CommandFailed>();
  await Promise.all(
    names.map(async (name) => {
      const alone =
        names.length === 1
          ? together
          : await runPodman(transport, podmanRemove([name], timeoutSeconds));
      if (alone.exitCode !== 0) failures.set(name, new CommandFailed(`podman rm ${name}`, alone));
    }),
  );
  return failures;
}

const removeInBatch = nodeBatcher(removeAll);

/**
 * Removes the container if it exists; removals on one node with the same stop
 * timeout that arrive together go out as one `podman rm`.
 */
export async function removeBatched(
  transport: Transport,
  name: string,
  timeoutSeconds: number,
): Promise<void> {
  const failure = (await removeInBatch(transport, String(timeoutSeconds), name)).get(name);
  if (failure) throw failure;
}

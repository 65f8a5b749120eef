import type { Transport } from "../transport";

/**
 * How long a successful pull of a pinned reference counts for on a node. The
 * tag *is* the version (MCP's rule), so within one run every component of
 * that image can share one pull: 20 components cost one `podman pull`.
 */
const FRESH_MS = 60_000;

const pulls = new Map<string, { done: Promise<unknown>; at: number }>();

/**
 * Runs `pull` for (node, image) unless one is in flight or succeeded within
 * FRESH_MS; every caller gets that pull's result. One caller per node and image
 * passes one `pull`, so the result's type is the same for all.
 */
export function pullOnce<T>(
  transport: Transport,
  image: string,
  pull: () => Promise<T>,
): Promise<T> {
  const key = `${transport.label}\u0000${image}`;
  const known = pulls.get(key);
  if (known && Date.now() - known.at < FRESH_MS) return known.done as Promise<T>;
  const entry = { done: pull(), at: Date.now() };
  pulls.set(key, entry);
  // A failed pull is not remembered: the next attempt tries again.
  entry.done.catch(() => {
    if (pulls.get(key) === entry) pulls.delete(key);
  });
  return entry.done;
}

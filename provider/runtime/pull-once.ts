import type { Transport } from "../transport";

/**
 * How long a successful pull of a pinned reference (or a registry login)
 * counts for on a node. The tag *is* the version (MCP's rule), so within one
 * run every component of that image can share one pull: 20 components cost
 * one `podman pull`.
 */
const FRESH_MS = 60_000;

const done = new Map<string, { result: Promise<unknown>; at: number }>();

/** Runs `work` for (node, key) unless it is in flight or succeeded within FRESH_MS; shares its result. */
export function onceFresh<T>(
  transport: Transport,
  key: string,
  work: () => Promise<T>,
): Promise<T> {
  const id = `${transport.label}\u0000${key}`;
  const known = done.get(id);
  if (known && Date.now() - known.at < FRESH_MS) return known.result as Promise<T>;
  const entry = { result: work(), at: Date.now() };
  done.set(id, entry);
  // A failure is not remembered: the next attempt tries again.
  entry.result.catch(() => {
    if (done.get(id) === entry) done.delete(id);
  });
  return entry.result;
}

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
  return onceFresh(transport, `pull\u0000${image}`, pull);
}

/** The pull of (node, image) in flight or done within FRESH_MS (pullOnce), if there is one. */
export function recentPull<T>(transport: Transport, image: string): Promise<T> | undefined {
  const known = done.get(`${transport.label}\u0000pull\u0000${image}`);
  return known && Date.now() - known.at < FRESH_MS ? (known.result as Promise<T>) : undefined;
}

/**
 * Takes the pull of (node, image) on for pullOnce's other callers: they wait
 * for what `settle` is given (the pull done another way, in a chained
 * command). Only when no pull of it is in flight or fresh (recentPull).
 */
export function claimPull<T>(transport: Transport, image: string): (result: Promise<T>) => void {
  let settle: (result: Promise<T>) => void = () => {};
  const result = new Promise<T>((resolve) => {
    settle = resolve;
  });
  onceFresh(transport, `pull\u0000${image}`, () => result);
  return settle;
}

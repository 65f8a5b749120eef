import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { holdNodeLock, LOCK_BUSY_EXIT, LOCK_READY } from "../commands/node-lock";
import { CommandEnded, type HeldCommand, type Transport } from "../transport";
import { dropSnapshot } from "./refresh-snapshot";

/** Who this provider process is, as the lock on a node records it. */
const OWNER = `${hostname()} pid ${process.pid} (${randomBytes(3).toString("hex")})`;
/** Keep the lock a moment after the last change, so one run's steps do not churn it. */
const LINGER_MS = 2_000;

interface NodeLock {
  users: number;
  held: Promise<HeldCommand>;
  linger?: NodeJS.Timeout;
}

/** One lock hold per node (transport label) for the whole provider process, shared by its resources. */
const locks = new Map<string, NodeLock>();

async function take(transport: Transport, waitMs: number): Promise<HeldCommand> {
  const waitSeconds = Math.max(1, Math.ceil(waitMs / 1000));
  try {
    return await transport.hold(holdNodeLock(OWNER, waitSeconds), {
      readyMarker: LOCK_READY,
      timeoutMs: waitMs + 15_000,
    });
  } catch (error) {
    if (error instanceof CommandEnded && error.result.exitCode === LOCK_BUSY_EXIT) {
      throw new Error(
        `another run is changing ${transport.label}: its pulumi-mcp lock is ${error.result.stdout.trim()}; ` +
          `gave up after waiting ${waitSeconds}s. The lock frees itself when that run ends or its connection drops.`,
      );
    }
    throw error;
  }
}

/**
 * Runs `work` while this process holds the node's lock. Concurrent work in
 * the same process shares one hold; other processes wait up to `waitMs`.
 */
export async function withNodeLock<T>(
  transport: Transport,
  waitMs: number,
  work: () => Promise<T>,
): Promise<T> {
  // What this process changes on the node, a refresh snapshot taken before must not answer for.
  dropSnapshot(transport);
  let lock = locks.get(transport.label);
  if (!lock) {
    const fresh: NodeLock = { users: 0, held: take(transport, waitMs) };
    locks.set(transport.label, fresh);
    fresh.held.catch(() => {
      if (locks.get(transport.label) === fresh) locks.delete(transport.label);
    });
    lock = fresh;
  }
  const current = lock;
  current.users += 1;
  clearTimeout(current.linger);
  try {
    await current.held;
    return await work();
  } finally {
    dropSnapshot(transport);
    current.users -= 1;
    if (current.users === 0) {
      current.linger = setTimeout(() => {
        if (current.users > 0 || locks.get(transport.label) !== current) return;
        locks.delete(transport.label);
        current.held.then((held) => held.release()).catch(() => undefined);
      }, LINGER_MS);
      current.linger.unref();
    }
  }
}

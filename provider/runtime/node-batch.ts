import type { Transport } from "../transport";
import { Semaphore } from "../transport/semaphore";

/**
 * Requests for one node that arrive within this window go out as one command
 * (`podman container inspect a b c …`, `podman rm a b c …`). While the node's
 * commands of that kind are all busy, the next batch keeps collecting and goes
 * out when one is done: the engine sends at most `--parallel` steps at once
 * and a new one as each finishes, so requests arrive spread out, and a fixed
 * window alone would send a command for every one or two of them.
 */
const WINDOW_MS = 15;
const MAX_BATCH = 100;

interface Batch<T> {
  names: Set<string>;
  result: Promise<T>;
}

export interface BatchOptions {
  /**
   * How many flushes of one node and scope may run at once (1 unless told).
   * More suit commands that mostly wait, such as stops and removals that wait
   * out a stop timeout: with one at a time, the steps the engine sends while a
   * removal waits go out only after it, and a destroy takes two timeouts per
   * wave of steps. Measured through the real CLI (40 on one node, destroy at
   * the default `--parallel` / at 40): 1 at a time 23.7 / 13.6 s, 2 14.5 /
   * 8.5 s, 4 11.2 / 7.5 s, 8 11.6 / 8.6 s.
   */
  concurrent?: number;
}

/**
 * A coalescer: `add(transport, scope, name)` joins the batch open for that
 * node and scope (say, a stop timeout) and resolves with what `flush`
 * returned for the whole batch. At most `concurrent` flushes per node and
 * scope run at a time, so a batch is as large as the engine lets it be.
 */
export function nodeBatcher<T>(
  flush: (transport: Transport, scope: string, names: string[]) => Promise<T>,
  { concurrent = 1 }: BatchOptions = {},
): (transport: Transport, scope: string, name: string) => Promise<T> {
  const open = new Map<string, Batch<T>>();
  const slots = new Map<string, Semaphore>();
  return (transport, scope, name) => {
    const key = `${transport.label}\0${scope}`;
    let batch = open.get(key);
    if (!batch || batch.names.size >= MAX_BATCH) {
      const names = new Set<string>();
      const nodeSlots = slots.get(key) ?? new Semaphore(concurrent);
      slots.set(key, nodeSlots);
      const result = (async () => {
        await new Promise((done) => setTimeout(done, WINDOW_MS));
        // Until the node's connection is up nothing can go out anyway: keep taking
        // names, so the requests of a whole refresh share one round trip; likewise
        // while this node's commands of the scope are all running.
        await transport.ready();
        const release = await nodeSlots.acquire();
        try {
          if (open.get(key)?.names === names) open.delete(key);
          return await flush(transport, scope, [...names]);
        } finally {
          release();
        }
      })();
      batch = { names, result };
      open.set(key, batch);
    }
    batch.names.add(name);
    return batch.result;
  };
}

import type { Transport } from "../transport";

/**
 * Requests for one node that arrive within this window go out as one command
 * (`podman container inspect a b c …`, `podman rm a b c …`). While that
 * command runs, the next batch keeps collecting and goes out when it is done:
 * the engine sends at most `--parallel` steps at once and a new one as each
 * finishes, so requests arrive spread out, and a fixed window alone would send
 * a command for every one or two of them.
 */
const WINDOW_MS = 15;
const MAX_BATCH = 100;

interface Batch<T> {
  names: Set<string>;
  result: Promise<T>;
}

/**
 * A coalescer: `add(transport, scope, name)` joins the batch open for that
 * node and scope (say, a stop timeout) and resolves with what `flush`
 * returned for the whole batch. At most one flush per node and scope runs at
 * a time, so a batch is as large as the engine lets it be.
 */
export function nodeBatcher<T>(
  flush: (transport: Transport, scope: string, names: string[]) => Promise<T>,
): (transport: Transport, scope: string, name: string) => Promise<T> {
  const open = new Map<string, Batch<T>>();
  const running = new Map<string, Promise<unknown>>();
  return (transport, scope, name) => {
    const key = `${transport.label}\0${scope}`;
    let batch = open.get(key);
    if (!batch || batch.names.size >= MAX_BATCH) {
      const names = new Set<string>();
      const before = running.get(key);
      const result = (async () => {
        await new Promise((done) => setTimeout(done, WINDOW_MS));
        // Until the node's connection is up nothing can go out anyway: keep taking
        // names, so the requests of a whole refresh share one round trip; likewise
        // while this node's previous command of the scope still runs.
        await transport.ready();
        await before?.catch(() => undefined);
        if (open.get(key)?.names === names) open.delete(key);
        return flush(transport, scope, [...names]);
      })();
      const fresh: Batch<T> = { names, result };
      const settled = fresh.result.catch(() => undefined);
      running.set(key, settled);
      void settled.then(() => {
        if (running.get(key) === settled) running.delete(key);
      });
      open.set(key, fresh);
      batch = fresh;
    }
    batch.names.add(name);
    return batch.result;
  };
}

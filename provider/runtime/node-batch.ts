import type { Transport } from "../transport";

/**
 * Requests for one node that arrive within this window go out as one command
 * (`podman container inspect a b c …`, `podman rm a b c …`): a refresh or a
 * destroy of 40 components costs one round trip, not 40.
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
 * returned for the whole batch.
 */
export function nodeBatcher<T>(
  flush: (transport: Transport, scope: string, names: string[]) => Promise<T>,
): (transport: Transport, scope: string, name: string) => Promise<T> {
  const open = new Map<string, Batch<T>>();
  return (transport, scope, name) => {
    const key = `${transport.label}\0${scope}`;
    let batch = open.get(key);
    if (!batch || batch.names.size >= MAX_BATCH) {
      const names = new Set<string>();
      const fresh: Batch<T> = {
        names,
        result: new Promise<T>((resolve, reject) => {
          setTimeout(async () => {
            // Until the node's connection is up nothing can go out anyway: keep taking
            // names, so the requests of a whole refresh share one round trip.
            await transport.ready();
            if (open.get(key) === fresh) open.delete(key);
            flush(transport, scope, [...names]).then(resolve, reject);
          }, WINDOW_MS);
        }),
      };
      open.set(key, fresh);
      batch = fresh;
    }
    batch.names.add(name);
    return batch.result;
  };
}

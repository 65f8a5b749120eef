import { podmanInspect } from "../commands/podman";
import type { Transport } from "../transport";
import { CommandFailed } from "./command-error";
import { parsePodmanInspect } from "./podman-inspect";
import { runPodman } from "./podman-retry";
import type { LiveWorkload } from "./types";

/**
 * Inspections asked for within this window on one node go out as one
 * `podman container inspect a b c …`: a refresh of 40 components costs one
 * round trip, not 40.
 */
const WINDOW_MS = 15;
const MAX_BATCH = 100;

interface Batch {
  names: Set<string>;
  result: Promise<Map<string, LiveWorkload>>;
}

const open = new Map<string, Batch>();

async function inspectAll(
  transport: Transport,
  names: string[],
): Promise<Map<string, LiveWorkload>> {
  const result = await runPodman(transport, podmanInspect(names));
  const found = new Map<string, LiveWorkload>();
  // podman prints what it found even when some names are missing (exit 125).
  const stdout = result.stdout.trim();
  for (const live of stdout.startsWith("[") ? parsePodmanInspect(stdout) : [])
    found.set(live.name, live);
  if (result.exitCode !== 0) {
    const unexplained = result.stderr
      .split("\n")
      .filter((line) => line.trim() !== "" && !/no such (container|object)/i.test(line));
    if (unexplained.length > 0)
      throw new CommandFailed(`podman container inspect ${names.join(" ")}`, result);
  }
  return found;
}

/** The live container by that name on the transport's node, or undefined; batched per node. */
export async function inspectBatched(
  transport: Transport,
  name: string,
): Promise<LiveWorkload | undefined> {
  let batch = open.get(transport.label);
  if (!batch || batch.names.size >= MAX_BATCH) {
    const names = new Set<string>();
    const result = new Promise<Map<string, LiveWorkload>>((resolve, reject) => {
      setTimeout(async () => {
        // Until the node's connection is up nothing can go out anyway: keep taking
        // names, so the reads of a whole refresh share one round trip.
        await transport.ready();
        if (open.get(transport.label) === fresh) open.delete(transport.label);
        inspectAll(transport, [...names]).then(resolve, reject);
      }, WINDOW_MS);
    });
    const fresh: Batch = { names, result };
    open.set(transport.label, fresh);
    batch = fresh;
  }
  batch.names.add(name);
  return (await batch.result).get(name);
}

import { LABELS } from "../commands/podman";
import { parseRegistryDigests, snapshotWithTags, TAGS_MARK } from "../commands/registry-digest";
import type { Transport } from "../transport";
import { CommandFailed } from "./command-error";
import { inspectBatched } from "./inspect-batch";
import { failedOnlyForMissing } from "./only-missing";
import { parsePodmanInspect } from "./podman-inspect";
import { runPodman } from "./podman-retry";
import type { LiveWorkload } from "./types";

/**
 * A refresh asks for every component's state, at most `--parallel` at a time
 * (8 here): batching the inspections per node still costs one round trip per
 * few components. Instead the first refresh read on a node inspects every
 * container pulumi-mcp manages there in one command, and the reads that
 * follow within SNAPSHOT_MS are answered from it, each name once: a refresh
 * reads every component once, while a second read of the same name (a later
 * look at the same workload) takes a new snapshot. Any change this process
 * makes on the node drops it (`dropSnapshot`, from the node lock), so it
 * never answers for something we changed since.
 */
const SNAPSHOT_MS = 30_000;

interface Snapshot {
  at: number;
  live: Promise<Map<string, LiveWorkload>>;
  /** Names it has answered for. */
  served: Set<string>;
}

const snapshots = new Map<string, Snapshot>();

async function takeSnapshot(transport: Transport): Promise<Map<string, LiveWorkload>> {
  const result = await runPodman(transport, snapshotWithTags());
  // A container removed between the listing and its inspection is simply not there.
  if (result.exitCode !== 0 && !failedOnlyForMissing(result.stderr, /no such (container|object)/i))
    throw new CommandFailed("podman container inspect (every managed container)", result);
  const [inspected = "", tags] = result.stdout.split(`\n${TAGS_MARK}\n`);
  const stdout = inspected.trim();
  const live = stdout.startsWith("[") ? parsePodmanInspect(stdout) : [];
  // The registry's answers for the tags their image labels name (asked in the same command).
  const answers = new Map(
    parseRegistryDigests(tags ?? "").map((answer) => [
      `${answer.reference}\u0000${answer.imageId}`,
      answer,
    ]),
  );
  for (const workload of live) {
    const answer = answers.get(`${workload.labels[LABELS.image]}\u0000${workload.imageId}`);
    if (tags !== undefined && answer) workload.registry = answer;
  }
  return new Map(live.map((w) => [w.name, w]));
}

/**
 * The container by that name as of a snapshot of the node taken at most
 * SNAPSHOT_MS ago that has not answered for it yet (else taken now). A name the snapshot lacks
 * (a container made by hand and adopted carries no label of ours) is
 * inspected on its own, batched.
 */
export async function inspectFromSnapshot(
  transport: Transport,
  name: string,
): Promise<LiveWorkload | undefined> {
  let snapshot = snapshots.get(transport.label);
  if (!snapshot || Date.now() - snapshot.at > SNAPSHOT_MS || snapshot.served.has(name)) {
    const fresh: Snapshot = { at: Date.now(), live: takeSnapshot(transport), served: new Set() };
    fresh.live.catch(() => {
      if (snapshots.get(transport.label) === fresh) snapshots.delete(transport.label);
    });
    snapshots.set(transport.label, fresh);
    snapshot = fresh;
  }
  snapshot.served.add(name);
  return (await snapshot.live).get(name) ?? inspectBatched(transport, name);
}

/** Forgets the node's snapshot: this process is about to change something there. */
export function dropSnapshot(transport: Transport): void {
  snapshots.delete(transport.label);
}

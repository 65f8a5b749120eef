import { podmanInspect } from "../commands/podman";
import type { Transport } from "../transport";
import { CommandFailed } from "./command-error";
import { nodeBatcher } from "./node-batch";
import { failedOnlyForMissing } from "./only-missing";
import { parsePodmanInspect } from "./podman-inspect";
import { runPodman } from "./podman-retry";
import type { LiveWorkload } from "./types";

async function inspectAll(
  transport: Transport,
  _scope: string,
  names: string[],
): Promise<Map<string, LiveWorkload>> {
  const result = await runPodman(transport, podmanInspect(names));
  const found = new Map<string, LiveWorkload>();
  // podman prints what it found even when some names are missing (exit 125).
  const stdout = result.stdout.trim();
  for (const live of stdout.startsWith("[") ? parsePodmanInspect(stdout) : [])
    found.set(live.name, live);
  if (result.exitCode !== 0 && !failedOnlyForMissing(result.stderr, /no such (container|object)/i))
    throw new CommandFailed(`podman container inspect ${names.join(" ")}`, result);
  return found;
}

const inspectInBatch = nodeBatcher(inspectAll);

/** The live container by that name on the transport's node, or undefined; batched per node. */
export async function inspectBatched(
  transport: Transport,
  name: string,
): Promise<LiveWorkload | undefined> {
  return (await inspectInBatch(transport, "", name)).get(name);
}

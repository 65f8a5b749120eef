import type { TagAnswer } from "../commands/registry-digest";
import { describeTagDrift, driftInState, type TagDrift, tagDrift } from "../diff/tag-drift";
import type { LiveWorkload } from "../runtime/types";
import { type ComponentSpec, workloadName } from "../spec/component";
import { credentialFor } from "../spec/image-ref";
import type { Transport } from "../transport";
import { tagInRegistry } from "./node-work";
import { noticeLine } from "./progress-lines";

/**
 * Refresh's registry check of one workload's tag (Component and Service
 * alike): asks the registry from the node, and says so when the answer is
 * unknown or the tag moved, naming both digests. Only when the workload runs
 * the reference the spec gives (another one is drift already).
 */
export async function checkTag(
  spec: ComponentSpec,
  live: LiveWorkload,
  transport: Transport,
): Promise<{ registry?: TagAnswer; drift?: TagDrift }> {
  if (live.image !== spec.image) return {};
  // The refresh snapshot asked already (with the auth file on the node); asked again with the
  // node's login when that answer is missing or unknown and the node has a login for the registry.
  const asked = live.registry;
  const login = credentialFor(spec.image, spec.credentials?.registries);
  const registry =
    asked && (!asked.unknown || !login)
      ? asked
      : await tagInRegistry(transport, spec.image, spec.credentials?.registries, live);
  if (!registry) return {};
  const name = workloadName(spec);
  if (registry.unknown) {
    noticeLine(
      name,
      `whether the tag ${spec.image} moved in the registry is unknown (not counted as drift): ${registry.unknown}`,
    );
  }
  const drift = tagDrift(live, registry);
  if (drift) noticeLine(name, describeTagDrift(spec.image, drift));
  return { registry, drift };
}

/** Preview: says again what the last refresh found of the tag (no network call). */
export function noteTagDrift(
  spec: Pick<ComponentSpec, "service" | "name" | "image">,
  state: Record<string, unknown> | undefined,
): void {
  const drift = state && driftInState(state, spec.image);
  if (drift) noticeLine(workloadName(spec), describeTagDrift(spec.image, drift));
}

import type { TagAnswer } from "../commands/registry-digest";
import type { LiveWorkload } from "../runtime/types";
import { VM_LABELS } from "../runtime/unikernel-state";
import { checkComponent } from "../spec/check-component";
import type { CheckRules } from "../spec/check-unikernel";
import type { ComponentSpec } from "../spec/component";
import { digestOf } from "../spec/image-ref";
import { withoutUndefined } from "./plain-struct";

/** What a component's state holds: its normalised inputs plus what the node reports. */
export interface ComponentState extends ComponentSpec {
  /** The container or VM name on the node: `<service>-<component>`. */
  containerName: string;
  /** The running version: the image tag (or digest). */
  version: string;
  /** running, exited, stopped, … as the node reports it. */
  state: string;
  imageId: string;
  /** The digest of the image it was started from (attestation; refresh compares it). */
  imageDigest: string;
  /** pinDigest: the reference it runs, `repo:tag@sha256:…`. */
  pinnedImage?: string;
  /**
   * A tag reference's digest in the registry as last seen: at a pinned deploy,
   * the pinned digest; after a refresh, what the registry holds under the tag
   * then, or "unknown" when it could not be asked (the refresh said why).
   */
  registryDigest?: string;
  /** VMs: sha256:… of the disk image booted. */
  diskSha256?: string;
  startedAt: string;
}

const COMPUTED = [
  "containerName",
  "version",
  "state",
  "imageId",
  "imageDigest",
  "pinnedImage",
  "registryDigest",
  "diskSha256",
  "startedAt",
] as const;
const PROVIDER_KEY = "__provider";

/** The user's inputs of a property bag: without the serialised provider and computed outputs. */
export function inputsOnly(bag: Record<string, unknown>): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(bag)) {
    if (key === PROVIDER_KEY || (COMPUTED as readonly string[]).includes(key)) continue;
    if (value === undefined || value === null) continue;
    inputs[key] = value;
  }
  return inputs;
}

/**
 * Reads a spec back from inputs or state; a bag that does not validate is a
 * bug or corrupt state. In a preview, unknown inputs stay unknown in the spec.
 */
export function specFrom(bag: Record<string, unknown>, what: CheckRules): ComponentSpec {
  const outcome = checkComponent(inputsOnly(bag), what);
  if (!outcome.ok) {
    throw new Error(
      `${what} is not a valid component: ${outcome.failures.map((f) => f.reason).join("; ")}`,
    );
  }
  return outcome.spec;
}

/**
 * The state after a deploy or a refresh; `registry` is what a refresh's
 * registry query answered (runtime/tag-digest), absent after a deploy.
 */
export function stateOf(
  spec: ComponentSpec,
  live: LiveWorkload,
  registry?: TagAnswer,
): ComponentState {
  const { pinnedImage: _runtimeOnly, ...inputs } = spec;
  return withoutUndefined({
    ...inputs,
    containerName: live.name,
    version: live.version,
    state: live.state,
    imageId: live.imageId,
    imageDigest: live.imageDigest,
    pinnedImage: live.pinnedImage,
    registryDigest: registryDigestOf(live, registry),
    diskSha256: live.labels[VM_LABELS.diskSha256],
    startedAt: live.startedAt,
  });
}

/** What `registryDigest` records (see ComponentState). */
export function registryDigestOf(
  live: Pick<LiveWorkload, "pinnedImage">,
  registry: TagAnswer | undefined,
): string | undefined {
  if (registry) return registry.digest ?? "unknown";
  return live.pinnedImage ? digestOf(live.pinnedImage) : undefined;
}

/** The new spec with what the node reported last time: an update that touched nothing on the node. */
export function stateKeeping(spec: ComponentSpec, olds: Record<string, unknown>): ComponentState {
  const computed = Object.fromEntries(COMPUTED.map((key) => [key, olds[key]]));
  return withoutUndefined({ ...spec, ...computed }) as ComponentState;
}

import type { LiveWorkload } from "../runtime/types";
import { checkComponent } from "../spec/check-component";
import type { ComponentSpec } from "../spec/component";
import { withoutUndefined } from "./plain-struct";
import { observedSecretFiles } from "./secret-files-state";

/** What a component's state holds: its normalised inputs plus what the node reports. */
export interface ComponentState extends ComponentSpec {
  /** The container or VM name on the node: `<service>-<component>`. */
  containerName: string;
  /** The running version: the image tag (or digest). */
  version: string;
  /** running, exited, stopped, … as the node reports it. */
  state: string;
  imageId: string;
  startedAt: string;
}

const COMPUTED = ["containerName", "version", "state", "imageId", "startedAt"] as const;
const PROVIDER_KEY = "__provider";

/** Pulumi's marker for a value not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object")
    return Object.values(value).some(containsUnknown);
  return false;
}

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

/** Reads a spec back from inputs or state; a bag that does not validate is a bug or corrupt state. */
export function specFrom(bag: Record<string, unknown>, what: string): ComponentSpec {
  const outcome = checkComponent(inputsOnly(bag));
  if (!outcome.ok) {
    throw new Error(
      `${what} is not a valid component: ${outcome.failures.map((f) => f.reason).join("; ")}`,
    );
  }
  return outcome.spec;
}

export function stateOf(spec: ComponentSpec, live: LiveWorkload): ComponentState {
  return withoutUndefined({
    ...spec,
    containerName: live.name,
    version: live.version,
    state: live.state,
    imageId: live.imageId,
    startedAt: live.startedAt,
  });
}

/** The spec as the node shows it now, so a refresh surfaces drift as a diff. */
export function observedSpec(spec: ComponentSpec, live: LiveWorkload): ComponentSpec {
  const env: Record<string, string> = {};
  for (const key of Object.keys(spec.env)) {
    const value = live.env[key];
    if (value !== undefined) env[key] = value;
  }
  return {
    ...spec,
    image: live.image,
    ports: live.ports,
    volumes: live.volumes,
    cmd: live.cmd,
    env,
    secretFiles: observedSecretFiles(spec.secretFiles, live.labels),
    user: live.user,
    restart: (live.restart ?? "no") as ComponentSpec["restart"],
    network: live.network,
  };
}

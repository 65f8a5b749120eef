import type { TagAnswer } from "../commands/registry-digest";
import type { LiveWorkload } from "../runtime/types";
import type { CheckRules } from "../spec/check-unikernel";
import { checkService, type ServiceSpec } from "../spec/service";
import { inputsOnly, registryDigestOf } from "./component-state";
import { withoutUndefined } from "./plain-struct";

/** What the node reports for one component of a service. */
export interface ComponentStatus {
  containerName: string;
  runtime: string;
  version: string;
  state: string;
  imageId: string;
  /** The digest of the image it was started from. */
  imageDigest: string;
  /** pinDigest: the reference it runs, `repo:tag@sha256:…`. */
  pinnedImage?: string;
  /** As the Component's output: the tag's registry digest as last seen, or "unknown". */
  registryDigest?: string;
  startedAt: string;
}

/** A service's state: its normalised inputs and each component's status. */
export interface ServiceState extends ServiceSpec {
  status: Record<string, ComponentStatus>;
}

export function statusOf(live: LiveWorkload, registry?: TagAnswer): ComponentStatus {
  return withoutUndefined({
    containerName: live.name,
    runtime: live.runtime,
    version: live.version,
    state: live.state,
    imageId: live.imageId,
    imageDigest: live.imageDigest,
    pinnedImage: live.pinnedImage,
    registryDigest: registryDigestOf(live, registry),
    startedAt: live.startedAt,
  });
}

/** Reads a service spec back from inputs or state. */
export function serviceSpecFrom(bag: Record<string, unknown>, what: CheckRules): ServiceSpec {
  const { status: _status, ...inputs } = inputsOnly(bag);
  const outcome = checkService(inputs, what);
  if (!outcome.ok) {
    throw new Error(
      `${what} is not a valid service: ${outcome.failures.map((f) => f.reason).join("; ")}`,
    );
  }
  return outcome.spec;
}

/** A state with only some components: the ones that exist on the node after a partial failure. */
export function stateWith(
  spec: ServiceSpec,
  status: Record<string, ComponentStatus>,
): ServiceState {
  const names = Object.keys(status);
  const pick = <T>(map: Record<string, T>) =>
    Object.fromEntries(Object.entries(map).filter(([name]) => names.includes(name)));
  return {
    ...spec,
    components: pick(spec.components),
    componentEnv: pick(spec.componentEnv),
    componentSecretFiles: pick(spec.componentSecretFiles),
    status,
  };
}

/** Sets (or, for none, drops) one component's secret files in a spec being assembled. */
export function setSecretFiles(
  spec: ServiceSpec,
  name: string,
  files: Record<string, string> | undefined,
): void {
  if (files) spec.componentSecretFiles[name] = files;
  else delete spec.componentSecretFiles[name];
}

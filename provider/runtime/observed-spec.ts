import type { ComponentSpec } from "../spec/component";
import { observedSecretFiles } from "./secret-files-state";
import type { LiveWorkload } from "./types";

/**
 * The spec as the node shows it now: refresh surfaces drift as a diff, and
 * adoption compares it with the inputs. Fields the node does not show
 * (memoryMb, vcpus, stopTimeout, env keys the spec does not name) keep the
 * spec's values.
 */
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

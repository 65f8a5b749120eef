import { driftedImage, type TagDrift } from "../diff/tag-drift";
import type { ComponentSpec } from "../spec/component";
import { parseImageRef } from "../spec/image-ref";
import { observedSecretFiles } from "./secret-files-state";
import type { LiveWorkload } from "./types";

/**
 * The spec as the node shows it now: refresh surfaces drift as a diff, and
 * adoption compares it with the inputs. Fields the node does not show
 * (memoryMb, vcpus, stopTimeout, env keys the spec does not name) keep the
 * spec's values.
 */
export function observedSpec(
  spec: ComponentSpec,
  live: LiveWorkload,
  recordedDigest?: string,
  tag?: TagDrift,
): ComponentSpec {
  const env: Record<string, string> = {};
  for (const key of Object.keys(spec.env)) {
    const value = live.env[key];
    if (value !== undefined) env[key] = value;
  }
  const attested = attestedImage(spec.image, live, recordedDigest);
  return {
    ...spec,
    // A tag moved in the registry (refresh asked it) shows as the tag at the digest that runs.
    image: attested === spec.image ? driftedImage(spec.image, tag) : attested,
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

/**
 * Attestation: a workload that runs another image than the one it was
 * started from (same reference, another digest: re-pulled and recreated
 * behind Pulumi's back) shows as its repository pinned to the digest that
 * runs, so refresh reports it and the next preview updates it back. Another
 * reference than the one deployed is drift already, shown as it is.
 */
function attestedImage(
  deployed: string,
  live: LiveWorkload,
  recordedDigest: string | undefined,
): string {
  if (!recordedDigest || live.imageDigest === recordedDigest || live.image !== deployed) {
    return live.image;
  }
  const ref = parseImageRef(live.image);
  if (typeof ref === "string" || !/^sha256:[a-f0-9]{64}$/.test(live.imageDigest)) return live.image;
  return `${ref.registry ? `${ref.registry}/` : ""}${ref.repository}@${live.imageDigest}`;
}

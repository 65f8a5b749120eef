import { createHash } from "node:crypto";
import type { ComponentSpec } from "../spec/component";

/**
 * A fingerprint of what a workload was created from, stored as a label so a
 * later run can tell "this is exactly ours" (adopt) from "someone else's".
 * Env values are left out: a label is readable by anyone who can inspect,
 * and a hash of a short secret can be brute-forced. So are secret file
 * contents: only their names count, and only when there are any, so that the
 * hash of a spec without secret files is what it was before they existed.
 */
export function specHash(spec: ComponentSpec): string {
  const material = {
    runtime: spec.runtime,
    service: spec.service,
    name: spec.name,
    image: spec.image,
    ports: spec.ports,
    volumes: spec.volumes,
    envKeys: Object.keys(spec.env).sort(),
    ...(spec.secretFiles ? { secretFileNames: Object.keys(spec.secretFiles).sort() } : {}),
    cmd: spec.cmd,
    user: spec.user ?? null,
    restart: spec.restart,
    network: spec.network ?? null,
    memoryMb: spec.memoryMb ?? null,
    vcpus: spec.vcpus ?? null,
    accel: spec.accel ?? null,
    binary: spec.binary ?? null,
    stopTimeout: spec.stopTimeout,
    // Only where it applies, so a VM's hash is what it was before the field existed.
    ...(spec.logMaxSize !== undefined ? { logMaxSize: spec.logMaxSize } : {}),
    ...(spec.pinDigest ? { pinDigest: true } : {}),
  };
  return createHash("sha256").update(JSON.stringify(material)).digest("hex").slice(0, 32);
}

import { LABELS, MANAGED_BY } from "../commands/podman";
import { extractVersion } from "../spec/image-ref";
import type { LiveWorkload } from "./types";

/**
 * What a VM was created from: `spec.json` in its state directory, one line
 * of JSON, written once when the VM is created. It holds env values (they
 * are baked into the VM's disk too): the directory is private (0700).
 */
export interface VmRecord {
  format: 1;
  vmId: string;
  service: string;
  component: string;
  image: string;
  /** pinDigest: the reference the ELF was taken from, `repo:tag@sha256:…` (the tag resolved at deploy). */
  pinnedImage?: string;
  imageId: string;
  digest: string;
  /** sha256:… of the disk image the VM boots (attestation); absent in records of older versions. */
  diskSha256?: string;
  specHash: string;
  ports: string[];
  volumes: string[];
  cmd: string[];
  env: Record<string, string>;
  restart: string;
  memoryMb: number;
  vcpus: number;
  accel: "kvm" | "tcg";
  accelReason: string;
  /** The ELF's path in the image and the arguments it gets. */
  program: string;
  args: string[];
  createdAt: string;
}

/** Labels a VM reports, beside the ones containers carry. */
export const VM_LABELS = {
  accel: "io.pulumi-mcp.accel",
  accelReason: "io.pulumi-mcp.accel-reason",
  pid: "io.pulumi-mcp.pid",
  digest: "io.pulumi-mcp.digest",
  diskSha256: "io.pulumi-mcp.disk-sha256",
} as const;

/** One VM as the status step reports it. */
export interface VmStatus {
  name: string;
  pid: string;
  alive: boolean;
  startedAt: string;
  stopped: boolean;
  /** QMP query-status's reply line, when QEMU runs. */
  qmp?: string;
  record?: VmRecord;
  /** Why the record could not be read, when it could not. */
  recordError?: string;
}

function parseRecord(text: string): { record?: VmRecord; error?: string } {
  try {
    const value = JSON.parse(text) as Partial<VmRecord>;
    if (value.format !== 1 || typeof value.image !== "string") {
      return { error: "not a pulumi-mcp VM record" };
    }
    return { record: value as VmRecord };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Parses the status step's `@key value` records. */
export function parseVmStatus(stdout: string): VmStatus[] {
  const result: VmStatus[] = [];
  let current: VmStatus | undefined;
  for (const line of stdout.split("\n")) {
    const space = line.indexOf(" ");
    const key = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? "" : line.slice(space + 1);
    if (key === "@vm") {
      current = { name: value, pid: "", alive: false, startedAt: "", stopped: false };
    } else if (!current) {
    } else if (key === "@pid") {
      const [pid = "", alive = "0"] = value.split(" ");
      current.pid = pid;
      current.alive = alive === "1";
    } else if (key === "@started") {
      current.startedAt = value.trim();
    } else if (key === "@stopped") {
      current.stopped = value.trim() === "1";
    } else if (key === "@qmp") {
      current.qmp = value;
    } else if (key === "@spec") {
      const { record, error } = parseRecord(value);
      current.record = record;
      current.recordError = error;
    } else if (key === "@end") {
      result.push(current);
      current = undefined;
    }
  }
  return result;
}

/** QEMU's run state from a QMP query-status reply, if it is one. */
export function qmpRunState(reply: string | undefined): string | undefined {
  if (!reply) return undefined;
  try {
    const parsed = JSON.parse(reply) as { return?: { status?: unknown } };
    const status = parsed.return?.status;
    return typeof status === "string" ? status : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps a VM to the runtime's vocabulary. A VM whose QEMU is gone is
 * "stopped" when we stopped it and "exited" otherwise (its program ended, or
 * QEMU was killed); a live QEMU reports QMP's run state ("running",
 * "paused", "shutdown", …), or "unknown" when QMP does not answer.
 */
export function vmToLive(status: VmStatus): LiveWorkload | undefined {
  const record = status.record;
  if (!record) return undefined;
  let state: string;
  if (!status.alive) state = status.stopped ? "stopped" : "exited";
  else state = qmpRunState(status.qmp) ?? "unknown";
  return {
    name: status.name,
    runtime: "unikernel",
    image: record.image,
    version: extractVersion(record.image),
    imageId: record.imageId,
    imageDigest: record.digest,
    ...(record.pinnedImage ? { pinnedImage: record.pinnedImage } : {}),
    state,
    running: status.alive && state === "running",
    // Neither is known: QEMU exits 0 whatever the program returned, and Nanos's reboots
    // (RebootOnExit) happen inside one QEMU process. The console log holds what the guest said.
    startedAt: status.startedAt,
    restart: record.restart,
    ports: [...record.ports],
    volumes: [...record.volumes],
    cmd: [...record.cmd],
    env: { ...record.env },
    labels: {
      [LABELS.managedBy]: MANAGED_BY,
      [LABELS.service]: record.service,
      [LABELS.component]: record.component,
      [LABELS.specHash]: record.specHash,
      [VM_LABELS.accel]: record.accel,
      [VM_LABELS.accelReason]: record.accelReason,
      [VM_LABELS.digest]: record.digest,
      ...(record.diskSha256 ? { [VM_LABELS.diskSha256]: record.diskSha256 } : {}),
      ...(status.alive ? { [VM_LABELS.pid]: status.pid } : {}),
    },
  };
}

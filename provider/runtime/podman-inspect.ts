import { LABELS } from "../commands/podman";
import { extractVersion, pinnedReference, runningReference } from "../spec/image-ref";
import { formatPortSpec } from "../spec/port-spec";
import type { LiveWorkload } from "./types";

interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** The slice of `podman container inspect` JSON we read. */
interface PodmanInspect {
  Id?: string;
  Name?: string;
  Image?: string;
  ImageName?: string;
  ImageDigest?: string;
  RestartCount?: number;
  State?: { Status?: string; Running?: boolean; ExitCode?: number; StartedAt?: string };
  Config?: {
    User?: string;
    Env?: string[];
    Cmd?: string[] | null;
    Image?: string;
    Labels?: Record<string, string> | null;
    CreateCommand?: string[];
  };
  HostConfig?: {
    PortBindings?: Record<string, PortBinding[] | null> | null;
    Binds?: string[] | null;
    RestartPolicy?: { Name?: string };
    NetworkMode?: string;
  };
  NetworkSettings?: { Networks?: Record<string, unknown> | null };
}

function asObject(value: unknown): PodmanInspect {
  return value !== null && typeof value === "object" ? (value as PodmanInspect) : {};
}

function ports(bindings: PodmanInspect["HostConfig"]): string[] {
  const result: string[] = [];
  for (const [containerSide, hosts] of Object.entries(bindings?.PortBindings ?? {})) {
    const [containerPort, protocol = "tcp"] = containerSide.split("/");
    for (const host of hosts ?? []) {
      result.push(
        formatPortSpec({
          hostIp: host.HostIp || "0.0.0.0",
          hostPort: Number(host.HostPort),
          containerPort: Number(containerPort),
          protocol: protocol === "udp" ? "udp" : "tcp",
        }),
      );
    }
  }
  return result.sort();
}

/** podman adds its own propagation options (rprivate, rbind) to each bind; ours are ro and z/Z. */
function volumes(binds: string[] | null | undefined): string[] {
  return (binds ?? [])
    .map((bind) => {
      const [host = "", container = "", options = ""] = bind.split(":");
      const ours = options
        .split(",")
        .filter((option) => option === "ro" || option === "z" || option === "Z")
        .sort();
      return ours.length > 0 ? `${host}:${container}:${ours.join(",")}` : `${host}:${container}`;
    })
    .sort();
}

/** The cmd we passed: what follows the image in the create command, else podman's Cmd. */
function cmd(inspect: PodmanInspect, image: string): string[] {
  const create = inspect.Config?.CreateCommand;
  if (create) {
    const separator = create.indexOf("--");
    if (separator >= 0 && create[separator + 1] === image) return create.slice(separator + 2);
  }
  return inspect.Config?.Cmd ?? [];
}

function env(entries: string[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of entries ?? []) {
    const equals = entry.indexOf("=");
    if (equals > 0) result[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return result;
}

/** Maps one element of `podman container inspect` output to a LiveWorkload. */
export function mapPodmanInspect(raw: unknown): LiveWorkload {
  const inspect = asObject(raw);
  const labels = inspect.Config?.Labels ?? {};
  const recorded = inspect.Config?.Image ?? inspect.ImageName ?? "";
  const pinned = labels[LABELS.pinnedDigest];
  const image = runningReference(recorded, labels[LABELS.image], pinned);
  // Runs the digest its tag was pinned to (else the recorded reference is another one: drift).
  const pinnedImage = pinned && image !== recorded ? pinnedReference(image, pinned) : undefined;
  // podman's default network is "podman" (mode "bridge"); rootless podman's default is
  // mode "slirp4netns" (podman 4), which counts as asked for only when the command
  // line that made the container named a network. Anything else was asked for.
  const networks = Object.keys(inspect.NetworkSettings?.Networks ?? {});
  const mode = inspect.HostConfig?.NetworkMode;
  const askedNetwork = (inspect.Config?.CreateCommand ?? []).some(
    (arg) =>
      arg === "--network" ||
      arg === "--net" ||
      arg.startsWith("--network=") ||
      arg.startsWith("--net="),
  );
  const defaultMode =
    mode === undefined ||
    mode === "bridge" ||
    mode === "default" ||
    (mode === "slirp4netns" && !askedNetwork);
  const network =
    networks.length === 1 && networks[0] !== "podman"
      ? networks[0]
      : defaultMode
        ? undefined
        : mode;
  return {
    name: inspect.Name ?? "",
    runtime: "container",
    image,
    version: extractVersion(image),
    imageId: inspect.Image ?? "",
    imageDigest: inspect.ImageDigest ?? "",
    ...(pinnedImage ? { pinnedImage } : {}),
    state: inspect.State?.Status ?? "unknown",
    running: inspect.State?.Running === true,
    exitCode: inspect.State?.ExitCode ?? 0,
    restartCount: inspect.RestartCount ?? 0,
    startedAt: inspect.State?.StartedAt ?? "",
    user: inspect.Config?.User || undefined,
    restart: inspect.HostConfig?.RestartPolicy?.Name || undefined,
    network,
    ports: ports(inspect.HostConfig),
    volumes: volumes(inspect.HostConfig?.Binds),
    cmd: cmd(inspect, pinnedImage ?? image),
    env: env(inspect.Config?.Env),
    labels,
  };
}

/** Parses the whole JSON array `podman container inspect` prints. */
export function parsePodmanInspect(stdout: string): LiveWorkload[] {
  const parsed: unknown = JSON.parse(stdout);
  return Array.isArray(parsed) ? parsed.map(mapPodmanInspect) : [];
}

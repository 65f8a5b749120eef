import { createHash } from "node:crypto";
import { opsImageName } from "../commands/ops";
import type { ComponentSpec } from "../spec/component";
import { parseVolumeSpec } from "../spec/volume-spec";

/** Where the runtime keeps its files on a node, under the login's home. */
export interface UnikernelPaths {
  base: string;
  /** One state directory per VM: `<vms>/<name>`. */
  vms: string;
  /** Extracted ELFs, one directory per image id and path. */
  elfCache: string;
  /** ops configs and the paths of the images built from them. */
  builds: string;
}

export function unikernelPaths(home: string): UnikernelPaths {
  const base = `${home.replace(/\/+$/, "")}/.pulumi-mcp/unikernel`;
  return { base, vms: `${base}/vms`, elfCache: `${base}/elf`, builds: `${base}/builds` };
}

/** The slice of `podman image inspect` the runtime needs. */
export interface ImageConfig {
  /** podman's image id (the config digest): what the caches are keyed by. */
  id: string;
  /** The manifest digest the image was pulled by, when podman knows it. */
  digest: string;
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  /** Bytes, as podman reports it. */
  size?: number;
}

interface RawInspect {
  Id?: string;
  Size?: number;
  Digest?: string;
  RepoDigests?: string[] | null;
  Config?: { Entrypoint?: string[] | null; Cmd?: string[] | null; Env?: string[] | null };
}

export function parseImageInspect(stdout: string): ImageConfig {
  const parsed: unknown = JSON.parse(stdout);
  const first = (Array.isArray(parsed) ? parsed[0] : parsed) as RawInspect | undefined;
  if (!first?.Id) throw new Error("podman image inspect printed no image");
  const env: Record<string, string> = {};
  for (const entry of first.Config?.Env ?? []) {
    const equals = entry.indexOf("=");
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  const repoDigest = first.RepoDigests?.[0]?.split("@")[1];
  return {
    id: first.Id,
    digest: first.Digest ?? repoDigest ?? "",
    entrypoint: first.Config?.Entrypoint ?? [],
    cmd: first.Config?.Cmd ?? [],
    env,
    ...(first.Size !== undefined ? { size: first.Size } : {}),
  };
}

/** The program a VM runs and its arguments (argv without argv[0], as ops' Args). */
export interface ProcessPlan {
  /** Absolute path of the static ELF inside the image. */
  program: string;
  args: string[];
  /** The image's environment overridden by the component's. */
  env: Record<string, string>;
}

/**
 * Like a container: the process is the entrypoint followed by the component's
 * cmd (else the image's Cmd); without an entrypoint, cmd[0] is the program.
 * `binary` names the ELF explicitly; its arguments are then the cmd alone.
 */
export function processPlan(image: ImageConfig, spec: ComponentSpec): ProcessPlan {
  const cmd = spec.cmd.length > 0 ? spec.cmd : image.cmd;
  const env = { ...image.env, ...spec.env };
  if (spec.binary) return { program: spec.binary, args: [...cmd], env };
  const argv = image.entrypoint.length > 0 ? [...image.entrypoint, ...cmd] : [...cmd];
  const program = argv[0];
  if (!program) {
    throw new Error(
      `image ${spec.image} has no entrypoint and the component no cmd: set binary to the ELF to run`,
    );
  }
  if (!program.startsWith("/") || program.split("/").includes("..")) {
    throw new Error(
      `image ${spec.image} runs ${JSON.stringify(program)}, not an absolute path without ..: set binary to the ELF's path in the image`,
    );
  }
  return { program, args: argv.slice(1), env };
}

function shortHash(material: unknown): string {
  return createHash("sha256").update(JSON.stringify(material)).digest("hex").slice(0, 32);
}

/** The extracted ELF's cache key: one per image id and path in it. */
export function elfKey(imageId: string, program: string): string {
  return shortHash(["elf", imageId, program]);
}

/** A 9p share per volume, in volume order (tags "1", "2", …). */
export interface VolumeShare {
  hostPath: string;
  guestPath: string;
  readOnly: boolean;
}

export function volumeShares(volumes: readonly string[]): VolumeShare[] {
  return volumes.map((text) => {
    const volume = parseVolumeSpec(text);
    if (typeof volume === "string") throw new Error(`volume ${text} ${volume}`);
    return {
      hostPath: volume.hostPath,
      guestPath: volume.containerPath,
      readOnly: volume.options.includes("ro"),
    };
  });
}

/** ops reboots the VM when the program fails, unless restart is "no". */
export function rebootOnExit(spec: ComponentSpec): boolean {
  return spec.restart !== "no";
}

/**
 * The built image's cache key: everything ops bakes into an image (the ELF,
 * Args, Env, mount points, RebootOnExit). The same image id and settings
 * never build twice. Env values are part of it; the key stays on the node.
 */
export function buildKey(
  imageId: string,
  plan: ProcessPlan,
  shares: readonly VolumeShare[],
  reboot: boolean,
): string {
  return shortHash([
    // "build-2": the ELF at its in-image path (argv[0]); images built before are not reused.
    "build-2",
    imageId,
    plan.program,
    plan.args,
    Object.entries(plan.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    shares.map((share) => share.guestPath),
    reboot,
  ]);
}

export function buildImageName(key: string): string {
  return opsImageName(key);
}

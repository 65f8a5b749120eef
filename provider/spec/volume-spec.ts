import { posix } from "node:path";

/** A bind mount: `/host/path:/container/path[:ro|rw|z|Z,...]`. */
export interface VolumeSpec {
  readonly hostPath: string;
  readonly containerPath: string;
  /** Sorted, de-duplicated mount options. */
  readonly options: readonly string[];
}

const OPTIONS = new Set(["ro", "rw", "z", "Z"]);

function checkPath(path: string, what: string): string | undefined {
  if (!path.startsWith("/")) return `${what} ${JSON.stringify(path)} is not an absolute path`;
  if (path.split("/").includes("..")) return `${what} ${JSON.stringify(path)} contains ".."`;
  if (/[,\s]/.test(path)) return `${what} ${JSON.stringify(path)} contains a comma or white space`;
  return undefined;
}

function normalisePath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, "") : normal;
}

/** Parses a volume spec; returns a reason string when it is malformed. */
export function parseVolumeSpec(spec: string): VolumeSpec | string {
  const parts = spec.split(":");
  if (parts.length < 2 || parts.length > 3) {
    return "is not /host/path:/container/path[:options] (named volumes are not supported)";
  }
  const [hostPath = "", containerPath = "", rawOptions] = parts;
  const problem = checkPath(hostPath, "host path") ?? checkPath(containerPath, "container path");
  if (problem) return `has ${problem}`;
  const options = rawOptions === undefined ? [] : rawOptions.split(",");
  for (const option of options) {
    if (!OPTIONS.has(option)) return `has unknown option ${JSON.stringify(option)} (ro, rw, z, Z)`;
  }
  if (options.includes("ro") && options.includes("rw")) return "has both ro and rw";
  // rw is the default: dropping it makes `a:b` and `a:b:rw` the same spec.
  const normalOptions = [...new Set(options.filter((option) => option !== "rw"))].sort();
  return {
    hostPath: normalisePath(hostPath),
    containerPath: normalisePath(containerPath),
    options: normalOptions,
  };
}

export function formatVolumeSpec(volume: VolumeSpec): string {
  const base = `${volume.hostPath}:${volume.containerPath}`;
  return volume.options.length > 0 ? `${base}:${volume.options.join(",")}` : base;
}

/** The host directories of normalised volume specs. */
export function hostPathsOf(volumes: readonly string[]): string[] {
  return volumes
    .map(parseVolumeSpec)
    .flatMap((volume) => (typeof volume === "string" ? [] : [volume.hostPath]));
}

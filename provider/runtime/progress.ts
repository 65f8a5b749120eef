/**
 * Short lines about a deploy's slow steps (pulling, building, booting,
 * waiting for readiness, done), per workload. The runtime stays free of
 * Pulumi: the resources layer passes in where the lines go.
 */
export type Progress = (workload: string, step: string) => void;

export const noProgress: Progress = () => {};

/** "3.2 s" since `since` (epoch ms). */
export function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** podman's image size in bytes as "12.3 MB" (decimal units, as podman prints them). */
export function sizeOf(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "size unknown";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

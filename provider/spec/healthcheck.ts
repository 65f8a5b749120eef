import { z } from "zod";
import { LIMITS } from "./limits";
import { type PortSpec, parsePortSpec } from "./port-spec";

const port = z.int().min(1).max(65535);

/**
 * `healthcheck`: how pulumi-mcp itself probes a workload (podman's own
 * --health-cmd needs systemd timers, podman#19326). Exactly one of http, tcp
 * or cmd; times in seconds.
 */
export const healthcheckSchema = z.strictObject({
  /** GET `path` on the published host address of container port `port`, answered with `status`. */
  http: z
    .strictObject({
      port,
      path: z.string().max(LIMITS.healthPathLength).default("/"),
      status: z.int().min(100).max(599).default(200),
    })
    .optional(),
  /** A TCP connection to the published host address of container port `port`. */
  tcp: z.strictObject({ port }).optional(),
  /** argv run inside the container with `podman exec`; exit 0 is healthy. Containers only. */
  cmd: z.array(z.string()).min(1).max(LIMITS.cmdArgs).optional(),
  /** Seconds from the start of one probe to the start of the next. */
  interval: z.number().positive().max(600).default(2),
  /** Seconds one probe may take. */
  timeout: z.number().positive().max(600).default(2),
  /** Failed probes in a row (after startPeriod) that make it unhealthy. */
  retries: z.int().min(1).max(100).default(3),
  /** Seconds after the start during which failed probes do not count. */
  startPeriod: z.number().min(0).max(3600).default(0),
});

export type HealthCheck = z.output<typeof healthcheckSchema>;

/** Which probe a health check names, and the container port it probes (http, tcp). */
export function probeKinds(check: HealthCheck): ("http" | "tcp" | "cmd")[] {
  return (["http", "tcp", "cmd"] as const).filter((kind) => check[kind] !== undefined);
}

/** The port spec that publishes TCP container port `containerPort`, if any (the first). */
export function publishedTcp(
  ports: readonly string[],
  containerPort: number,
): PortSpec | undefined {
  for (const text of ports) {
    const parsed = parsePortSpec(text);
    if (
      typeof parsed !== "string" &&
      parsed.protocol === "tcp" &&
      parsed.containerPort === containerPort
    )
      return parsed;
  }
  return undefined;
}

/** Where the node reaches a published port: its address, a wildcard as loopback. */
export function probeHost(port: PortSpec): string {
  if (port.hostIp === "0.0.0.0") return "127.0.0.1";
  if (port.hostIp === "::") return "::1";
  return port.hostIp;
}

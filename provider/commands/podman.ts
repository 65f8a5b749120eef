import type { ComponentSpec } from "../spec/component";
import { workloadName } from "../spec/component";
import { parsePortSpec } from "../spec/port-spec";
import { hostPathsOf } from "../spec/volume-spec";
import { chain } from "./chain";
import type { CommandWithInput } from "./command-with-input";
import { ENV_FILE_ON_STDIN, envFileText, withStdinPiped } from "./env-file";

/** Labels every container we create carries, so drift and adoption can find ours. */
export const LABELS = {
  managedBy: "io.pulumi-mcp.managed-by",
  service: "io.pulumi-mcp.service",
  component: "io.pulumi-mcp.component",
  specHash: "io.pulumi-mcp.spec-hash",
  /** The reference as the spec gives it: podman records `repo:tag@digest` as `repo@digest`. */
  image: "io.pulumi-mcp.image",
} as const;

export const MANAGED_BY = "pulumi-mcp";

export function podmanPull(image: string): string[] {
  return ["podman", "pull", "--quiet", image];
}

export function podmanImageExists(image: string): string[] {
  return ["podman", "image", "exists", image];
}

/** `-p` in podman's syntax: IPv6 addresses go in brackets. */
function publishFlag(spec: string): string {
  const port = parsePortSpec(spec);
  if (typeof port === "string") throw new Error(`port spec ${JSON.stringify(spec)} ${port}`);
  const ip = port.hostIp.includes(":") ? `[${port.hostIp}]` : port.hostIp;
  return `${ip}:${port.hostPort}:${port.containerPort}/${port.protocol}`;
}

/** `podman run -d` for a component; its env is read from stdin (env-file), never from an argument. */
export function podmanRunArgv(
  spec: ComponentSpec,
  options: { name?: string; specHash: string; secretFlags?: readonly string[] },
): string[] {
  const name = options.name ?? workloadName(spec);
  const argv = [
    "podman",
    "run",
    "--detach",
    "--name",
    name,
    "--label",
    `${LABELS.managedBy}=${MANAGED_BY}`,
    "--label",
    `${LABELS.service}=${spec.service}`,
    "--label",
    `${LABELS.component}=${spec.name}`,
    "--label",
    `${LABELS.specHash}=${options.specHash}`,
    "--label",
    `${LABELS.image}=${spec.image}`,
    "--restart",
    spec.restart,
    "--stop-timeout",
    String(spec.stopTimeout),
  ];
  if (spec.network) argv.push("--network", spec.network);
  if (spec.user) argv.push("--user", spec.user);
  if (spec.memoryMb !== undefined) argv.push("--memory", `${spec.memoryMb}m`);
  if (spec.vcpus !== undefined) argv.push("--cpus", String(spec.vcpus));
  for (const port of spec.ports) argv.push("--publish", publishFlag(port));
  for (const volume of spec.volumes) argv.push("--volume", volume);
  if (Object.keys(spec.env).length > 0) argv.push(...ENV_FILE_ON_STDIN);
  // Secret files' mounts and label (podman-secrets): names only, never contents.
  if (options.secretFlags) argv.push(...options.secretFlags);
  // `--` ends podman's options: an image or cmd starting with "-" stays data.
  argv.push("--", spec.image, ...spec.cmd);
  return argv;
}

/**
 * Starts a component in one remote command: make the bind mounts' missing host
 * directories (podman refuses them; MCP keeps data in /srv/<service>), `podman
 * run -d`, then inspect the new container, so its first state costs no extra
 * round trip. Env values are not in the argv: they arrive on stdin (env-file).
 */
export function podmanRun(
  spec: ComponentSpec,
  options: { name?: string; specHash: string; secretFlags?: readonly string[] },
): CommandWithInput {
  const name = options.name ?? workloadName(spec);
  const hostPaths = hostPathsOf(spec.volumes);
  const run = podmanRunArgv(spec, { ...options, name });
  const hasEnv = Object.keys(spec.env).length > 0;
  const argv = chain(
    ...(hostPaths.length > 0 ? [ensureHostDirectories(hostPaths)] : []),
    hasEnv ? withStdinPiped(run) : run,
    podmanInspect([name]),
  );
  return hasEnv ? { argv, stdin: envFileText(spec.env) } : { argv };
}

/**
 * `podman` for one command over several containers. Its default pool of
 * parallel workers is 3 per CPU: 20 stops that each wait out a stop timeout
 * would go 6 at a time on 2 CPUs (3.7 s for 20 one-second stops here, 2.1 s
 * with a worker each, the same as 20 separate podman processes).
 */
function podmanFor(names: readonly string[], verb: string): string[] {
  if (names.length === 0) throw new Error(`podman ${verb} needs at least one name`);
  return names.length > 1
    ? ["podman", "--max-workers", String(names.length), verb]
    : ["podman", verb];
}

/** Stops those of the containers that exist and run. */
export function podmanStop(names: readonly string[], timeoutSeconds: number): string[] {
  return [
    ...podmanFor(names, "stop"),
    "--ignore",
    "--time",
    String(timeoutSeconds),
    "--",
    ...names,
  ];
}

export function podmanStart(name: string): string[] {
  return ["podman", "start", "--", name];
}

/**
 * Removes the containers that exist among `names`. `--ignore` matters with
 * several names: without it podman 4.3 removes none of them when one is missing.
 */
export function podmanRemove(names: readonly string[], timeoutSeconds: number): string[] {
  return [
    ...podmanFor(names, "rm"),
    "--force",
    "--ignore",
    "--time",
    String(timeoutSeconds),
    "--",
    ...names,
  ];
}

export function podmanRename(from: string, to: string): string[] {
  return ["podman", "rename", "--", from, to];
}

export function podmanInspect(names: readonly string[]): string[] {
  return ["podman", "container", "inspect", "--", ...names];
}

/** Every container pulumi-mcp manages on the node, as JSON. */
export function podmanListManaged(): string[] {
  return [
    "podman",
    "ps",
    "--all",
    "--format",
    "json",
    "--filter",
    `label=${LABELS.managedBy}=${MANAGED_BY}`,
  ];
}

export function podmanLogs(name: string, lines: number): string[] {
  return ["podman", "logs", "--tail", String(lines), "--", name];
}

/** Creates the host directories of bind mounts that do not exist yet (podman refuses missing ones). */
export function ensureHostDirectories(paths: readonly string[]): string[] {
  return ["mkdir", "-p", "--", ...paths];
}

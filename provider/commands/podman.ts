import type { ComponentSpec } from "../spec/component";
import { workloadName } from "../spec/component";
import { digestOf } from "../spec/image-ref";
import { parsePortSpec } from "../spec/port-spec";
import { hostPathsOf } from "../spec/volume-spec";
import { chain, chainSteps } from "./chain";
import type { CommandWithInput } from "./command-with-input";
import { ENV_FILE_ON_STDIN, envFileText, withStdinPiped } from "./env-file";
import { toCommandLine } from "./quote";

/** Labels every container we create carries, so drift and adoption can find ours. */
export const LABELS = {
  managedBy: "io.pulumi-mcp.managed-by",
  service: "io.pulumi-mcp.service",
  component: "io.pulumi-mcp.component",
  specHash: "io.pulumi-mcp.spec-hash",
  /** The reference as the spec gives it: podman records `repo:tag@digest` as `repo@digest`. */
  image: "io.pulumi-mcp.image",
  /** pinDigest: the registry digest the tag resolved to at deploy, which the container runs. */
  pinnedDigest: "io.pulumi-mcp.pinned-digest",
} as const;

export const MANAGED_BY = "pulumi-mcp";

/** `podman pull`; with the auth file a registry login wrote (commands/registry-login) when there is one. */
export function podmanPull(image: string, authFile?: string): string[] {
  return ["podman", "pull", "--quiet", ...(authFile ? ["--authfile", authFile] : []), "--", image];
}

/** Pulls the image, then prints its size in bytes (the pull's progress line says it). */
export function podmanPullWithSize(image: string, authFile?: string): string[] {
  return chain(podmanPull(image, authFile), [
    "podman",
    "image",
    "inspect",
    "--format",
    "{{.Size}}",
    "--",
    image,
  ]);
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
  // pinDigest: the tag as given is the image label; the digest it resolved to is what runs.
  const pinned = spec.pinnedImage ? digestOf(spec.pinnedImage) : undefined;
  if (pinned) argv.push("--label", `${LABELS.pinnedDigest}=${pinned}`);
  if (spec.network) argv.push("--network", spec.network);
  // The cap works with podman's k8s-file (and json-file) driver only, not journald (a common
  // default): the driver is named, so the cap is enforced wherever podman's default points.
  if (spec.logMaxSize !== undefined && spec.logMaxSize !== "unlimited")
    argv.push("--log-driver", "k8s-file", "--log-opt", `max-size=${spec.logMaxSize}`);
  if (spec.user) argv.push("--user", spec.user);
  if (spec.memoryMb !== undefined) argv.push("--memory", `${spec.memoryMb}m`);
  if (spec.vcpus !== undefined) argv.push("--cpus", String(spec.vcpus));
  for (const port of spec.ports) argv.push("--publish", publishFlag(port));
  for (const volume of spec.volumes) argv.push("--volume", volume);
  if (Object.keys(spec.env).length > 0) argv.push(...ENV_FILE_ON_STDIN);
  // Secret files' mounts and label (podman-secrets): names only, never contents.
  if (options.secretFlags) argv.push(...options.secretFlags);
  // `--` ends podman's options: an image or cmd starting with "-" stays data.
  argv.push("--", spec.pinnedImage ?? spec.image, ...spec.cmd);
  return argv;
}

/** `--network` values that name a mode or podman's own default network: nothing to create. */
const NETWORK_MODES = new Set([
  "bridge",
  "host",
  "none",
  "private",
  "slirp4netns",
  "pasta",
  "podman",
]);

/**
 * Creates the podman network unless it exists. A network podman creates has
 * DNS on (netavark + aardvark-dns; CNI with the dnsname plugin), so its
 * containers find each other by container name. podman 4.3's `network create`
 * has no `--ignore`: when a concurrent run created it first, the create fails
 * and the second `exists` makes that a success. Networks are never removed.
 */
export function ensureNetwork(name: string): string[] {
  const exists = toCommandLine(["podman", "network", "exists", "--", name]);
  const create = toCommandLine(["podman", "network", "create", "--", name]);
  return ["sh", "-c", `${exists} || ${create} >/dev/null || ${exists}`];
}

/**
 * Re-registers every running container of the network with its DNS server.
 * Measured on Debian 12 (podman 4.3.1, netavark/aardvark-dns 1.4.0, rootful):
 * when a container of a network stops, every other running container of that
 * network gets no DNS answer any more (not even for its own name) until it is
 * restarted or `podman network reload`ed; rootless podman does not show it.
 * An update stops the old container, so the run of the new one heals its peers.
 */
export function reloadNetworkPeers(network: string): string[] {
  const running = toCommandLine([
    "podman",
    "ps",
    "--quiet",
    "--filter",
    `network=${network}`,
    "--filter",
    "status=running",
  ]);
  // Container ids only (hex) go through xargs; -r: no running container, no reload. Best effort:
  // a peer that stops meanwhile makes the reload fail, which must not fail this deploy.
  return ["sh", "-c", `${running} | xargs -r podman network reload >/dev/null 2>&1 || true`];
}

/** One step of a chained remote command, and what to call it when it fails. */
export interface CommandStep {
  what: string;
  argv: string[];
}

/** An update's set-aside of the old container, done in the same command as the new one's run. */
export interface SetAsideStep {
  /** Its name while set aside (`<name>-previous`). */
  to: string;
  /** The old container's stop timeout. */
  timeoutSeconds: number;
  /** Remove it in the same command when the new one runs right after its start (inspectRemovingOnceRunning). */
  removeOnceRunning?: boolean;
}

/** What inspectRemovingOnceRunning prints after the inspection when it removed the set-aside one. */
export const PREVIOUS_REMOVED = "pulumi-mcp: previous removed";

/**
 * The new container's inspection (its JSON on stdout, as podmanInspect), and
 * when that very inspection shows it running, the removal of the set-aside
 * old one, which then prints PREVIOUS_REMOVED: for an update that counts as
 * started once the new one runs (minUptime 0, no health check). A removal
 * that fails does not fail the step (the caller removes it then).
 */
export function inspectRemovingOnceRunning(name: string, previous: string): string[] {
  const script = [
    'out=$(podman container inspect -- "$1") || exit',
    `printf '%s\\n' "$out"`,
    `case "$out" in *'"Status": "running"'*'"Running": true'*) podman rm --force --time 0 -- "$2" >/dev/null 2>&1 && echo '${PREVIOUS_REMOVED}';; esac`,
    "true",
  ].join("\n");
  return ["sh", "-c", script, "sh", name, previous];
}

/** What `lookFirst` prints on stdout once it has looked: after it, what it found. */
export const LOOKED = "pulumi-mcp: looked";
/** `lookFirst`'s exit status when asked to create under a name a container already has. */
export const NAME_TAKEN_EXIT = 3;

/**
 * The first step of a run in one remote command: one `podman container
 * inspect` of the name and of its set-aside name, which prints
 * `pulumi-mcp: current|previous <status> <image> [<image label>]` for those
 * that exist, then LOOKED. For a
 * create (no `setAside`) it stops there with NAME_TAKEN_EXIT when the name is
 * taken. For an update it sets aside what is there: a container under the
 * name is stopped and renamed to `setAside.to` (a leftover of an interrupted
 * update under that name is removed first; a rename that fails starts a
 * running old one again), and with only a set-aside one (an update
 * interrupted after setting aside) that one stays where it is. Any other
 * failure of the inspection exits 125 with podman's words on stderr.
 * Idempotent: a retry of the step after a transient failure picks up where
 * it stopped.
 */
export function lookFirst(name: string, previous: string, setAside?: SetAsideStep): string[] {
  const script = [
    `out=$(podman container inspect --format '{{.Name}} {{.State.Status}} {{.Config.Image}} {{index .Config.Labels "${LABELS.image}"}}' -- "$1" "$2" 2>&1)`,
    "cur= prev= bad=",
    'while read -r who st rest; do if [ -z "$who" ]; then :; elif [ "$who" = "$1" ]; then cur="$st $rest"; elif [ "$who" = "$2" ]; then prev="$st $rest"; else case "$who $st $rest" in *[Nn]"o such container"*|*[Nn]"o such object"*) ;; *) bad=1;; esac; fi; done <<EOF',
    "$out",
    "EOF",
    `[ -z "$bad" ] || { printf '%s\\n' "$out" >&2; exit 125; }`,
    'if [ -n "$cur" ]; then echo "pulumi-mcp: current $cur"; fi',
    'if [ -n "$prev" ]; then echo "pulumi-mcp: previous $prev"; fi',
    `echo '${LOOKED}'`,
    setAside
      ? `if [ -n "$cur" ]; then if [ -n "$prev" ]; then podman rm --force --time 0 -- "$2" >/dev/null || exit; fi; podman stop --ignore --time "$3" -- "$1" >/dev/null || exit; podman rename -- "$1" "$2" || { s=$?; case "$cur" in running*) podman start -- "$1" >/dev/null;; esac; exit $s; }; fi`
      : `if [ -n "$cur" ]; then echo "a container named $1 already exists" >&2; exit ${NAME_TAKEN_EXIT}; fi`,
  ].join("\n");
  return ["sh", "-c", script, "sh", name, previous, String(setAside?.timeoutSeconds ?? 0)];
}

/**
 * Starts a component in one remote command: pull the image when asked
 * (`pull`); look at what has the name and its set-aside name (lookFirst: a
 * create stops there when the name is taken, an update sets the old
 * container aside as `setAside.to`); make the bind mounts' missing
 * host directories (podman refuses them; MCP keeps data in /srv/<service>);
 * create its network if it names one that does not exist yet; `podman run -d`;
 * heal the DNS of the network's other containers (reloadNetworkPeers); then
 * inspect the new container, so its first state costs no extra round trip.
 * `asideSteps` is how many of `steps` come before anything is changed (the
 * pull, the look and the set-aside: a failure there leaves the old container
 * under its name) and
 * `runStep` the index of the run; `argv` chains them (chainSteps: a failure
 * names its step). Env values are not in the argv: they arrive on stdin
 * (env-file).
 */
export function podmanRun(
  spec: ComponentSpec,
  options: {
    name?: string;
    specHash: string;
    secretFlags?: readonly string[];
    setAside?: SetAsideStep;
    /** The pull's argv, when the image is to be pulled first in the same command. */
    pull?: string[];
  },
): CommandWithInput & { steps: CommandStep[]; runStep: number; asideSteps: number } {
  const name = options.name ?? workloadName(spec);
  const hostPaths = hostPathsOf(spec.volumes);
  const run = podmanRunArgv(spec, { ...options, name });
  const hasEnv = Object.keys(spec.env).length > 0;
  const { setAside } = options;
  const network = spec.network && !NETWORK_MODES.has(spec.network) ? [spec.network] : [];
  const aside: CommandStep[] = [
    ...(options.pull ? [{ what: `podman pull ${spec.image}`, argv: options.pull }] : []),
    {
      what: setAside
        ? `looking at ${name} and setting it aside as ${setAside.to} (podman container inspect, stop, rename)`
        : `looking for a container named ${name} (podman container inspect)`,
      argv: lookFirst(name, setAside?.to ?? `${name}-previous`, setAside),
    },
  ];
  const before: CommandStep[] = [
    ...aside,
    ...(hostPaths.length > 0
      ? [{ what: `mkdir -p ${hostPaths.join(" ")}`, argv: ensureHostDirectories(hostPaths) }]
      : []),
    ...network.map((net) => ({ what: `podman network create ${net}`, argv: ensureNetwork(net) })),
  ];
  const steps: CommandStep[] = [
    ...before,
    { what: `podman run ${name}`, argv: hasEnv ? withStdinPiped(run) : run },
    ...network.map((net) => ({
      what: `podman network reload (${net})`,
      argv: reloadNetworkPeers(net),
    })),
    {
      what: `podman container inspect ${name}`,
      argv: setAside?.removeOnceRunning
        ? inspectRemovingOnceRunning(name, setAside.to)
        : podmanInspect([name]),
    },
  ];
  const argv = chainSteps(steps.map((step) => step.argv));
  const shape = { steps, runStep: before.length, asideSteps: aside.length };
  return hasEnv ? { argv, stdin: envFileText(spec.env), ...shape } : { argv, ...shape };
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

/** podman's filter for every container pulumi-mcp manages. */
export const MANAGED_FILTER = `label=${LABELS.managedBy}=${MANAGED_BY}`;

/** Every container pulumi-mcp manages on the node, as JSON. */
export function podmanListManaged(): string[] {
  return ["podman", "ps", "--all", "--format", "json", "--filter", MANAGED_FILTER];
}

export function podmanLogs(name: string, lines: number): string[] {
  return ["podman", "logs", "--tail", String(lines), "--", name];
}

/** What the `pulumi-mcp logs` command asks for. */
export interface LogRequest {
  /** The last N lines only. */
  tail?: number;
  /** podman's --since: a duration (10m) or a time. */
  since?: string;
  follow?: boolean;
}

/** `podman logs` as the logs command streams it. */
export function podmanLogsStream(name: string, request: LogRequest): string[] {
  return [
    "podman",
    "logs",
    ...(request.tail !== undefined ? ["--tail", String(request.tail)] : []),
    ...(request.since !== undefined ? ["--since", request.since] : []),
    ...(request.follow ? ["--follow"] : []),
    "--",
    name,
  ];
}

/** Creates the host directories of bind mounts that do not exist yet (podman refuses missing ones). */
export function ensureHostDirectories(paths: readonly string[]): string[] {
  return ["mkdir", "-p", "--", ...paths];
}

import { probePreflight, probeVolumes } from "../commands/node-preflight";
import { type ComponentSpec, workloadName } from "../spec/component";
import { parsePortSpec } from "../spec/port-spec";
import { parseVolumeSpec } from "../spec/volume-spec";
import type { Transport } from "../transport";
import { ensureSuccess } from "./command-error";

/** What the preflight learnt about a node's login, probed once per node and process. */
export interface NodeFacts {
  uid: number;
  user: string;
  home: string;
  /** Whether the node has perl, which the HTTP and TCP health check probes run in. */
  perl: boolean;
  /** Not root: podman runs rootless as this login. */
  rootless: boolean;
  subuid: boolean;
  subgid: boolean;
  runtimeDir: string;
  /** Where podman takes it from: XDG_RUNTIME_DIR, /run/user/<uid>, or its /tmp fallback. */
  runtimeDirSource: "XDG_RUNTIME_DIR" | "run-user" | "tmp";
  /** ok, creatable, `notmine <owner>` or unwritable. */
  runtimeDirState: string;
  systemd: boolean;
  linger: boolean;
  unprivilegedPortStart: number;
  cgroup: "v1" | "v2";
  /** cgroup v2: the controllers delegated to the login. */
  controllers: string[];
}

/** Parses the probe's `key=value` lines. */
export function parseNodeFacts(stdout: string): NodeFacts {
  const values = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const equals = line.indexOf("=");
    if (equals > 0) values.set(line.slice(0, equals), line.slice(equals + 1).trim());
  }
  const uid = Number(values.get("uid") ?? "0");
  const source = values.get("runtimeDirSource");
  const start = Number(values.get("unprivilegedPortStart") ?? "1024");
  return {
    uid,
    user: values.get("user") ?? "",
    home: values.get("home") ?? "",
    perl: Boolean(values.get("perl")),
    rootless: uid !== 0,
    subuid: values.get("subuid") === "yes",
    subgid: values.get("subgid") === "yes",
    runtimeDir: values.get("runtimeDir") ?? "",
    runtimeDirSource:
      source === "XDG_RUNTIME_DIR" || source === "run-user" || source === "tmp" ? source : "tmp",
    runtimeDirState: values.get("runtimeDirState") ?? "ok",
    systemd: values.get("systemd") === "yes",
    linger: values.get("linger") === "yes",
    unprivilegedPortStart: Number.isFinite(start) ? start : 1024,
    cgroup: values.get("cgroup") === "v2" ? "v2" : "v1",
    controllers: (values.get("controllers") ?? "").split(/\s+/).filter(Boolean),
  };
}

/** Per transport label: the probe runs once per node (and login) in this provider process. */
const probed = new Map<string, Promise<NodeFacts>>();

export function nodeFacts(transport: Transport): Promise<NodeFacts> {
  const cached = probed.get(transport.label);
  if (cached) return cached;
  const probe = (async () => {
    const result = ensureSuccess(
      "probing the node's login for rootless podman",
      await transport.run(probePreflight(), { timeoutMs: 60_000 }),
    );
    return parseNodeFacts(result.stdout);
  })();
  probed.set(transport.label, probe);
  // A failed probe (node unreachable) is not remembered.
  probe.catch(() => {
    if (probed.get(transport.label) === probe) probed.delete(transport.label);
  });
  return probe;
}

/** Forgets what was probed (tests that change a node's login). */
export function forgetNodeFacts(): void {
  probed.clear();
}

/** What is wrong with the node's login itself for rootless podman, each with its fix. */
export function loginProblems(facts: NodeFacts): string[] {
  if (!facts.rootless) return [];
  const { user } = facts;
  const problems: string[] = [];
  const missing = [!facts.subuid && "/etc/subuid", !facts.subgid && "/etc/subgid"].filter(
    (file): file is string => typeof file === "string",
  );
  if (missing.length > 0) {
    problems.push(
      `the login ${user} has no subordinate ids in ${missing.join(" and ")} (rootless podman maps the container's users onto them; images with files of other owners fail to pull): fix: \`sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user}\` (a range no other login uses), then \`podman system migrate\` as ${user}`,
    );
  }
  const state = facts.runtimeDirState;
  if (state !== "ok" && state !== "creatable") {
    const why = state.startsWith("notmine")
      ? `belongs to ${state.slice("notmine".length).trim() || "another user"}`
      : "is not a directory this login can write";
    const from =
      facts.runtimeDirSource === "XDG_RUNTIME_DIR"
        ? "XDG_RUNTIME_DIR"
        : facts.runtimeDirSource === "run-user"
          ? "/run/user/<uid>"
          : "podman's fallback without XDG_RUNTIME_DIR";
    problems.push(
      `no usable runtime directory for rootless podman: ${facts.runtimeDir} (${from}) ${why}: fix: \`sudo rm -rf ${facts.runtimeDir}\` (podman makes it again as ${user}), or give ${user} a runtime directory of its own (\`sudo loginctl enable-linger ${user}\` makes /run/user/${facts.uid} where systemd runs)`,
    );
  }
  if (facts.systemd && !facts.linger) {
    problems.push(
      `lingering is off for ${user}: systemd ends its processes at logout, so its containers die when the SSH session closes and do not come back after a reboot: fix: \`sudo loginctl enable-linger ${user}\``,
    );
  }
  return problems;
}

/** Why this node cannot enforce cgroup limits for the login, or undefined when it can. */
function limitsUnenforceable(facts: NodeFacts, controller: "memory" | "cpu"): string | undefined {
  if (!facts.rootless) return undefined;
  if (facts.cgroup === "v1") {
    return "rootless podman on cgroup v1 cannot set resource limits (it would ignore the limit and run the container without it)";
  }
  if (!facts.controllers.includes(controller)) {
    return `cgroup v2 without the ${controller} controller delegated to ${facts.user} (delegated: ${facts.controllers.join(" ") || "none"}), so rootless podman cannot enforce it`;
  }
  return undefined;
}

/** What about this component the node cannot do for this login, each with its fix. */
export function specProblems(facts: NodeFacts, spec: ComponentSpec): string[] {
  if (!facts.rootless) return [];
  const problems: string[] = [];
  for (const port of spec.ports) {
    const parsed = parsePortSpec(port);
    if (typeof parsed === "string") continue;
    if (parsed.hostPort < facts.unprivilegedPortStart) {
      problems.push(
        `ports: host port ${parsed.hostPort} (${JSON.stringify(port)}) is below net.ipv4.ip_unprivileged_port_start (${facts.unprivilegedPortStart}), so ${facts.user} may not bind it: fix: use a host port of ${facts.unprivilegedPortStart} or more, or \`sudo sysctl -w net.ipv4.ip_unprivileged_port_start=${parsed.hostPort}\` (and in /etc/sysctl.d to keep it)`,
      );
    }
  }
  if (spec.runtime === "container") {
    const limits: [string, number | undefined, "memory" | "cpu"][] = [
      ["memoryMb", spec.memoryMb, "memory"],
      ["vcpus", spec.vcpus, "cpu"],
    ];
    for (const [field, value, controller] of limits) {
      if (value === undefined) continue;
      const why = limitsUnenforceable(facts, controller);
      if (why) {
        problems.push(
          `${field}: ${value} cannot be enforced: ${why}: fix: drop ${field}, deploy as root (user root or sudo: true), or use cgroup v2 with the memory and cpu controllers delegated to ${facts.user} (systemd: Delegate=memory cpu for user@.service)`,
        );
      }
    }
  }
  return problems;
}

/**
 * A workload that should start at boot on a node whose init is not systemd:
 * nothing there would start it again after a reboot.
 */
export function bootProblem(facts: NodeFacts, spec: ComponentSpec): string | undefined {
  if (spec.bootUnit !== "enabled" || facts.systemd) return undefined;
  return `it does not run systemd (no /run/systemd/system), so nothing would start ${workloadName(spec)} again after a reboot (pulumi-mcp makes each workload a systemd unit that starts it at boot): fix: set bootPersistence: false on the node to deploy without that (its workloads then stay down after a reboot until the next pulumi up), or restart: "no" on the component`;
}

/** What the node lacks for the component's health check (any login). */
export function healthcheckProblems(facts: NodeFacts, spec: ComponentSpec): string[] {
  const check = spec.healthcheck;
  if (!check || facts.perl || !(check.http || check.tcp)) return [];
  const kind = check.http ? "http" : "tcp";
  return [
    `healthcheck.${kind}: the node has no perl, which pulumi-mcp's ${kind} probe runs in: fix: install it (Debian: \`apt-get install perl-base\`; Fedora: \`dnf install perl-interpreter\`), or use a cmd check`,
  ];
}

/** Host directories of the spec's bind mounts, with whether they are mounted read-only. */
function volumeDirs(spec: ComponentSpec): { path: string; readOnly: boolean }[] {
  return spec.volumes.flatMap((volume) => {
    const parsed = parseVolumeSpec(volume);
    return typeof parsed === "string"
      ? []
      : [{ path: parsed.hostPath, readOnly: parsed.options.includes("ro") }];
  });
}

/** Parses the volume probe's `missing|unwritable|notadir PATH` lines into problems with their fix. */
export function volumeProblems(facts: NodeFacts, stdout: string): string[] {
  const problems: string[] = [];
  for (const line of stdout.split("\n")) {
    const space = line.indexOf(" ");
    if (space < 0) continue;
    const kind = line.slice(0, space);
    const path = line.slice(space + 1);
    const fix = `\`sudo install -d -o ${facts.user} ${path}\``;
    if (kind === "missing") {
      problems.push(
        `volumes: host directory ${path} does not exist and ${facts.user} cannot create it: fix: ${fix}`,
      );
    } else if (kind === "unwritable") {
      problems.push(
        `volumes: host directory ${path} is not writable by ${facts.user} (the container's root is ${facts.user} on the node): fix: ${fix} (or \`sudo chown ${facts.user} ${path}\`), or mount it :ro`,
      );
    } else if (kind === "notadir") {
      problems.push(`volumes: host path ${path} exists and is not a directory`);
    }
  }
  return problems;
}

/**
 * Refuses, before anything on the node is touched, a deploy that this
 * node's login cannot carry out as asked: rootless podman without subordinate
 * ids or a usable runtime directory, lingering off under systemd, a host port
 * below the unprivileged start, limits rootless podman would ignore, volume
 * directories it cannot create or write; for any login, a workload that
 * should start at boot on a node without systemd, and an HTTP or TCP health
 * check on a node without perl. One cached probe per node.
 */
export async function preflight(transport: Transport, spec: ComponentSpec): Promise<void> {
  const facts = await nodeFacts(transport);
  const noBoot = bootProblem(facts, spec);
  if (noBoot) throw new Error(`node ${transport.label}: ${noBoot}; nothing was changed`);
  const problems = healthcheckProblems(facts, spec);
  if (facts.rootless) problems.push(...loginProblems(facts), ...specProblems(facts, spec));
  const dirs = facts.rootless ? volumeDirs(spec) : [];
  if (dirs.length > 0) {
    const probed = ensureSuccess(
      "checking the volumes' host directories",
      await transport.run(probeVolumes(dirs), { timeoutMs: 60_000 }),
    );
    problems.push(...volumeProblems(facts, probed.stdout));
  }
  if (problems.length > 0) {
    const name = workloadName(spec);
    const login = facts.rootless ? ` as the rootless login ${facts.user} (uid ${facts.uid})` : "";
    throw new Error(
      `node ${transport.label} cannot run ${name}${login}; nothing was changed:\n  - ${problems.join("\n  - ")}`,
    );
  }
}

import { qemuKvmProbe, VM_CPU_MODEL } from "../commands/qemu";
import { probeNode } from "../commands/unikernel-shell";
import type { ComponentSpec } from "../spec/component";
import type { Transport } from "../transport";
import { ensureSuccess } from "./command-error";

/** What a node offers the unikernel runtime, probed once per node and process. */
export interface NodeCapabilities {
  /** $HOME of the login (after sudo, when the node uses it). */
  home: string;
  ops?: string;
  qemu?: string;
  qemuVersion?: string;
  perl?: string;
  podman?: string;
  /** What ops needs offline: its directory, the Nanos version in latest.txt, that version's files present. */
  opsHome: { dir: string; version?: string; files: string[] };
  /** Whether QEMU runs under KVM here, and if not, why. */
  kvm: { usable: boolean; detail: string };
}

/** Parses the probe step's `key=value` lines. */
export function parseCapabilities(stdout: string): NodeCapabilities {
  const values = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const equals = line.indexOf("=");
    if (equals > 0) values.set(line.slice(0, equals), line.slice(equals + 1).trim());
  }
  const present = (key: string): string | undefined => values.get(key) || undefined;
  const kvm = values.get("kvm") ?? "absent";
  const detail =
    kvm === "ok"
      ? "/dev/kvm works with QEMU"
      : kvm === "absent"
        ? "the node has no /dev/kvm"
        : kvm === "noaccess"
          ? "/dev/kvm is not readable and writable by this login"
          : kvm === "untested"
            ? "QEMU is missing, so KVM could not be tried"
            : `QEMU fails under KVM with -cpu ${VM_CPU_MODEL}: ${kvm.replace(/^fails\s*/, "").trim()}`;
  return {
    home: values.get("home") ?? "",
    ops: present("ops"),
    qemu: present("qemu-system-x86_64"),
    qemuVersion: present("qemuVersion"),
    perl: present("perl"),
    podman: present("podman"),
    opsHome: {
      dir: values.get("opsDir") ?? "",
      version: present("opsVersion"),
      files: (values.get("opsFiles") ?? "").split(" ").filter(Boolean),
    },
    kvm: { usable: kvm === "ok", detail },
  };
}

/** Per transport label: the probe runs once per node in this provider process. */
const probed = new Map<string, Promise<NodeCapabilities>>();

export function nodeCapabilities(transport: Transport): Promise<NodeCapabilities> {
  const cached = probed.get(transport.label);
  if (cached) return cached;
  const probe = (async () => {
    const { argv, stdin } = probeNode(qemuKvmProbe());
    const result = ensureSuccess(
      "probing the node for ops, QEMU and KVM",
      await transport.run(argv, { stdin, timeoutMs: 60_000 }),
    );
    return parseCapabilities(result.stdout);
  })();
  probed.set(transport.label, probe);
  // A failed probe (node unreachable) is not remembered.
  probe.catch(() => {
    if (probed.get(transport.label) === probe) probed.delete(transport.label);
  });
  return probe;
}

/** Forgets what was probed (tests that change a node's tools). */
export function forgetCapabilities(): void {
  probed.clear();
}

/** The files ops needs offline that the node lacks, by path (empty when it has them all). */
export function missingOpsFiles(opsHome: NodeCapabilities["opsHome"]): string[] {
  const version = opsHome.version;
  if (!version) return [`${opsHome.dir}/latest.txt (the Nanos version ops uses)`];
  if (version.includes("/") || version === "." || version === "..") {
    return [`usable version in ${opsHome.dir}/latest.txt (it says ${JSON.stringify(version)})`];
  }
  const what: Record<string, string> = {
    "kernel.img": `the Nanos ${version} kernel`,
    "boot.img": `the Nanos ${version} boot loader`,
  };
  return Object.entries(what)
    .filter(([file]) => !opsHome.files.includes(file))
    .map(([file, role]) => `${opsHome.dir}/${version}/${file} (${role})`);
}

/** The acceleration a VM gets, and why. */
export interface ResolvedAccel {
  accel: "kvm" | "tcg";
  reason: string;
}

/**
 * Checks the node can run unikernels at all and picks the acceleration:
 * a clear error names what is missing on which node.
 */
export function requireUnikernelSupport(
  caps: NodeCapabilities,
  label: string,
  requested: ComponentSpec["accel"],
): ResolvedAccel {
  const missing: string[] = [];
  if (!caps.ops) {
    missing.push("`ops` (NanoVMs' image builder)");
  }
  if (!caps.qemu) missing.push("`qemu-system-x86_64` (QEMU)");
  if (!caps.perl) missing.push("`perl` (perl-base: the runtime's QMP client and port probe)");
  if (!caps.podman) missing.push("`podman` (pulls the image the program is taken from)");
  if (!caps.home) missing.push("a home directory ($HOME) for the VMs' state");
  const problems =
    missing.length > 0 ? [`it has no ${missing.join(", no ")} on the PATH of this login`] : [];
  const files = caps.ops ? missingOpsFiles(caps.opsHome) : [];
  if (files.length > 0) {
    problems.push(
      `ops has no ${files.join(", no ")}: ops reads the Nanos version from latest.txt (without it, offline, every ops command fails with "No local build found") and builds every image from that version's kernel.img and boot.img; run \`ops update\` once where ops can download them, or copy ${caps.opsHome.dir}/latest.txt and ${caps.opsHome.dir}/<version>/ from a machine that has them`,
    );
  }
  if (problems.length > 0) {
    throw new Error(`node ${label} cannot run unikernels: ${problems.join("; ")}`);
  }
  if (requested === "kvm") {
    if (!caps.kvm.usable) {
      throw new Error(
        `accel "kvm" asked for, but KVM is not usable on node ${label}: ${caps.kvm.detail} (use accel "tcg" or "auto")`,
      );
    }
    return { accel: "kvm", reason: "asked for kvm" };
  }
  if (requested === "tcg") return { accel: "tcg", reason: "asked for tcg" };
  return caps.kvm.usable
    ? { accel: "kvm", reason: "auto: KVM is usable" }
    : { accel: "tcg", reason: `auto: ${caps.kvm.detail}` };
}

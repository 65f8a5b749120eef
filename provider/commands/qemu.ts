import type { PortSpec } from "../spec/port-spec";

/** Accelerations QEMU is started with (after "auto" is resolved on the node). */
export type QemuAccel = "kvm" | "tcg";

/** A host directory shared with the guest over 9p (QEMU VirtFS). */
export interface VirtfsShare {
  hostPath: string;
  /** The 9p mount tag: "1", "2", … in volume order, as ops numbers host-directory shares. */
  tag: string;
  readOnly: boolean;
}

/** Everything `qemu-system-x86_64` needs to boot one VM from its state directory. */
export interface QemuVmPlan {
  /** The workload name, shown as QEMU's `-name`. */
  name: string;
  /** A UUID per VM: QEMU's `-uuid`, and how a pid is known to be this VM's. */
  vmId: string;
  /** The VM's state directory: disk, pidfile, QMP socket and console live here. */
  stateDir: string;
  memoryMb: number;
  vcpus: number;
  accel: QemuAccel;
  ports: readonly PortSpec[];
  shares: readonly VirtfsShare[];
  /** Let a guest reboot (ops' RebootOnExit) instead of exiting QEMU on reset. */
  allowReboot: boolean;
}

/** The files of a VM's state directory. */
export const VM_FILES = {
  disk: "disk.raw",
  pidfile: "qemu.pid",
  qmp: "qmp.sock",
  console: "console.log",
  record: "spec.json",
  vmId: "vm-id",
  startedAt: "started-at",
  stopped: "stopped",
} as const;

/** QEMU option values separate with ","; a literal comma is written twice. */
export function qemuOptionValue(value: string): string {
  if (value.includes("\0") || value.includes("\n")) {
    throw new Error(`QEMU option value ${JSON.stringify(value)} holds a NUL or a newline`);
  }
  return value.replaceAll(",", ",,");
}

/**
 * One user-mode `hostfwd` rule. It always names the host address, so a port
 * spec without one (127.0.0.1 after check) never listens on every interface.
 */
export function hostfwdRule(port: PortSpec): string {
  if (port.hostIp.includes(":")) {
    throw new Error(
      `QEMU user-mode networking cannot forward the IPv6 address ${port.hostIp} (port ${port.hostPort})`,
    );
  }
  return `${port.protocol}:${port.hostIp}:${port.hostPort}-:${port.containerPort}`;
}

/** The CPU model every VM gets (what ops' command line amounts to). */
export const VM_CPU_MODEL = "max";

function path(plan: QemuVmPlan, file: string): string {
  return `${plan.stateDir}/${file}`;
}

/**
 * `qemu-system-x86_64` for one VM, daemonised with a pidfile, in the shape ops
 * boots Nanos images: q35, the disk on virtio-scsi, virtio-net on a user-mode
 * netdev with one hostfwd per port, a QMP unix socket and the serial console
 * appended to a file. The CPU model is `-cpu max` under KVM and TCG alike:
 * ops adds `-cpu host` with KVM but then `-cpu max` for every VM, and
 * QEMU takes the last one.
 */
export function qemuBootArgv(plan: QemuVmPlan): string[] {
  if (!/^[0-9a-f-]{36}$/.test(plan.vmId)) throw new Error(`bad VM id ${plan.vmId}`);
  const netdev = ["user", "id=n0", ...plan.ports.map((port) => `hostfwd=${hostfwdRule(port)}`)];
  const argv = [
    "qemu-system-x86_64",
    "-name",
    `guest=${qemuOptionValue(plan.name)}`,
    "-uuid",
    plan.vmId,
    "-machine",
    `q35,accel=${plan.accel}`,
    "-cpu",
    VM_CPU_MODEL,
    "-m",
    String(plan.memoryMb),
    "-smp",
    String(plan.vcpus),
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-device",
    "virtio-scsi-pci,id=scsi0",
    "-drive",
    `file=${qemuOptionValue(path(plan, VM_FILES.disk))},format=raw,if=none,id=hd0`,
    "-device",
    "scsi-hd,bus=scsi0.0,drive=hd0",
    // No option ROM: nothing boots from the network, and SeaBIOS starts faster.
    "-device",
    "virtio-net-pci,netdev=n0,romfile=",
    "-netdev",
    netdev.join(","),
    "-device",
    "virtio-rng-pci",
    "-device",
    "isa-debug-exit",
  ];
  for (const share of plan.shares) {
    if (!/^[0-9]+$/.test(share.tag)) throw new Error(`bad 9p mount tag ${share.tag}`);
    const options = [
      "local",
      `path=${qemuOptionValue(share.hostPath)}`,
      `mount_tag=${share.tag}`,
      "security_model=none",
      "multidevs=remap",
      `id=fs${share.tag}`,
    ];
    if (share.readOnly) options.push("readonly=on");
    argv.push("-virtfs", options.join(","));
  }
  argv.push(
    "-qmp",
    `unix:${qemuOptionValue(path(plan, VM_FILES.qmp))},server=on,wait=off`,
    "-chardev",
    `file,id=console,path=${qemuOptionValue(path(plan, VM_FILES.console))},append=on`,
    "-serial",
    "chardev:console",
    "-pidfile",
    path(plan, VM_FILES.pidfile),
    "-daemonize",
  );
  if (!plan.allowReboot) argv.push("-no-reboot");
  return argv;
}

/** What SeaBIOS prints at the end of its POST when there is nothing to boot. */
export const KVM_PROBE_MARKER = "No bootable device";

/**
 * QEMU under KVM with the CPU model the runtime uses, no disk, and the BIOS
 * debug port on stdout: SeaBIOS runs its whole POST in the guest, finds
 * nothing to boot, reboots at once, and -no-reboot makes QEMU exit 0. KVM
 * works when that happens and the output holds `marker`. A paused QEMU would
 * only prove that a vCPU can be set up (a paravirtual KVM may refuse the
 * CPU's MSRs: QEMU then aborts), not that guest code runs; this still is no
 * proof that a Nanos kernel boots (long mode comes later).
 */
export function qemuKvmProbe(): { argv: string[]; stdin: string; marker: string } {
  return {
    argv: [
      "qemu-system-x86_64",
      "-machine",
      "q35,accel=kvm",
      "-cpu",
      VM_CPU_MODEL,
      "-m",
      "64",
      "-nodefaults",
      "-no-user-config",
      "-display",
      "none",
      "-no-reboot",
      "-boot",
      "strict=on,reboot-timeout=0",
      "-chardev",
      "stdio,id=bios",
      "-device",
      "isa-debugcon,iobase=0x402,chardev=bios",
    ],
    stdin: "",
    marker: KVM_PROBE_MARKER,
  };
}

/** QMP commands the runtime sends (no arguments). */
export type QmpCommand = "query-status" | "system_powerdown" | "quit";

/**
 * A minimal QMP client, run on the node with Perl (perl-base: on every Debian
 * system). Connects to the socket, negotiates capabilities, sends each command
 * and prints each reply (`{"return": …}` or `{"error": …}`), one per line.
 * Exits 2 when it cannot connect, 3 on timeout. Arguments: socket, timeout in
 * seconds, commands.
 */
export const QMP_CLIENT = `use strict; use warnings; use IO::Socket::UNIX;
my ($path, $timeout, @cmds) = @ARGV;
$SIG{ALRM} = sub { print STDERR "qmp: no answer from $path within \${timeout}s\\n"; exit 3 };
alarm $timeout;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path)
  or do { print STDERR "qmp: cannot connect to $path: $!\\n"; exit 2 };
$s->autoflush(1);
sub reply { while (defined(my $l = <$s>)) { return $l if $l =~ /^\\{"(?:return|error)"/; } return undef }
defined(my $greeting = <$s>) or do { print STDERR "qmp: $path closed the connection\\n"; exit 2 };
print $s qq({"execute":"qmp_capabilities"}\\n);
reply();
for my $c (@cmds) { print $s qq({"execute":"$c"}\\n); my $r = reply(); last unless defined $r; print $r; }
`;

/** Runs QMP commands against a VM's socket on the node. */
export function qmpArgv(
  socketPath: string,
  timeoutSeconds: number,
  commands: readonly QmpCommand[],
): string[] {
  return ["perl", "-e", QMP_CLIENT, "--", socketPath, String(timeoutSeconds), ...commands];
}

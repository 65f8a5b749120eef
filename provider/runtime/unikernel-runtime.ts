import { randomUUID } from "node:crypto";
import { chain } from "../commands/chain";
import { opsBuild, opsConfigJson, parseBootableImagePath } from "../commands/ops";
import type { LogRequest } from "../commands/podman";
import { QMP_CLIENT, qemuBootArgv } from "../commands/qemu";
import {
  bootVm,
  cachedImage,
  diskSha256,
  extractElf,
  opsBuildWithConfig,
  podmanImageInspect,
  prepareVm,
  probePort,
  pruneCache,
  removeVmDir,
  renameVm,
  stopVm,
  streamConsole,
  tailConsole,
  vmStatus,
} from "../commands/unikernel-shell";
import { untilStdinCloses } from "../commands/until-stdin-closes";
import { type ComponentSpec, workloadName } from "../spec/component";
import { parsePortSpec } from "../spec/port-spec";
import type { RunOptions, Transport } from "../transport";
import { CommandFailed, ensureSuccess } from "./command-error";
import {
  type NodeCapabilities,
  nodeCapabilities,
  requireUnikernelSupport,
} from "./node-capabilities";
import { preflight } from "./node-preflight";
import { elapsed, noProgress, type Progress, sizeOf } from "./progress";
import { pullImage } from "./registry-pull";
import { SetAsideFailed } from "./set-aside-failed";
import { pinnedOrImage } from "./tag-digest";
import { FOREVER_MS, type LiveWorkload, type SetAside, type WorkloadRuntime } from "./types";
import {
  buildImageName,
  buildKey,
  elfKey,
  type ImageConfig,
  type ProcessPlan,
  parseImageInspect,
  processPlan,
  rebootOnExit,
  type UnikernelPaths,
  unikernelPaths,
  type VolumeShare,
  volumeShares,
} from "./unikernel-image";
import { parseVmStatus, type VmRecord, type VmStatus, vmToLive } from "./unikernel-state";

/** How long one readiness probe waits to connect, and then for an answer. */
const PROBE_TIMEOUT_SECONDS = 0.5;
/**
 * How long one readiness check keeps trying on the node: it returns at the
 * first answer, and between checks the deploy loop looks whether the VM died.
 */
const READY_WAIT_SECONDS = 3;
/** Extracted ELFs and built images kept per node (most recently used first). */
const CACHE_ENTRIES = 8;

/** Where the time of one deploy went, per workload name (for tracing and the tests). */
export interface DeployPhases {
  pullMs: number;
  extractMs: number;
  elfCached: boolean;
  buildMs: number;
  imageCached: boolean;
  /** From the start of `run` until QEMU was daemonised. */
  startMs: number;
  /** When QEMU was daemonised (epoch ms): the guest boots from here. */
  bootedAt: number;
  accel: "kvm" | "tcg";
  accelReason: string;
}

export const lastDeployPhases = new Map<string, DeployPhases>();

function trace(message: string): void {
  if (process.env.PULUMI_MCP_TRACE === "1") process.stderr.write(`[pulumi-mcp] ${message}\n`);
}

/** What `pull` prepared for `run`: the image's config and the extracted ELF. */
interface Pulled {
  /** pinDigest: the reference pulled, `repo:tag@sha256:…`. */
  pinnedImage?: string;
  image: ImageConfig;
  plan: ProcessPlan;
  /** The extracted ELF is at elfRoot + plan.program. */
  elfRoot: string;
  elfCached: boolean;
  pullMs: number;
  extractMs: number;
}

/**
 * MCP's runtime operations for Nanos unikernel VMs on one node: the ELF is
 * taken out of the component's OCI image, `ops build` makes the disk image,
 * and `qemu-system-x86_64` boots it daemonised, with one state directory per
 * VM (record, disk, pidfile, QMP socket, console).
 */
export class UnikernelRuntime implements WorkloadRuntime {
  private readonly pulled = new Map<string, Pulled>();

  constructor(
    readonly transport: Transport,
    readonly progress: Progress = noProgress,
  ) {}

  /** Rootless logins: subordinate ids (podman pulls the image), runtime directory, lingering, ports, volumes. */
  preflight(spec: ComponentSpec): Promise<void> {
    return preflight(this.transport, spec);
  }

  private async capabilities(): Promise<NodeCapabilities> {
    return nodeCapabilities(this.transport);
  }

  private async paths(): Promise<UnikernelPaths> {
    const caps = await this.capabilities();
    if (!caps.home) throw new Error(`node ${this.transport.label} reports no home directory`);
    return unikernelPaths(caps.home);
  }

  private async exec(what: string, argv: readonly string[], stdin?: string) {
    return ensureSuccess(what, await this.transport.run(argv, stdin ? { stdin } : undefined));
  }

  /**
   * Pulls the image with podman and takes the program out of it (once per
   * image id and path: the extracted ELF is cached). A node that cannot run
   * unikernels, a bad tag or an image without a static ELF fail here, before
   * anything is touched.
   */
  async pull(spec: ComponentSpec): Promise<void> {
    const caps = await this.capabilities();
    requireUnikernelSupport(caps, this.transport.label, spec.accel);
    const paths = unikernelPaths(caps.home);
    const pullStart = Date.now();
    // pinDigest: the ELF comes from the digest the tag resolves to (pinnedOrImage).
    const ref = await pinnedOrImage(this.transport, spec);
    this.progress(workloadName(spec), `pulling ${ref}`);
    await pullImage(this.transport, ref, spec.credentials?.registries);
    const inspected = await this.exec(`podman image inspect ${ref}`, podmanImageInspect(ref));
    const image = parseImageInspect(inspected.stdout);
    const plan = processPlan(image, spec);
    const pullMs = Date.now() - pullStart;
    this.progress(
      workloadName(spec),
      `pulled ${ref} (${sizeOf(image.size ?? -1)}, ${elapsed(pullStart)})`,
    );
    const extractStart = Date.now();
    // The ELF keeps its in-image path under this root (ops' TargetRoot).
    const elfRoot = `${paths.elfCache}/${elfKey(image.id, plan.program)}/root`;
    const extracted = await this.transport.run(extractElf(elfRoot, ref, plan.program));
    if (extracted.exitCode !== 0) {
      throw new CommandFailed(`taking ${plan.program} out of ${ref}`, extracted);
    }
    this.pulled.set(this.pullKey(spec), {
      ...(ref !== spec.image ? { pinnedImage: ref } : {}),
      image,
      plan,
      elfRoot,
      elfCached: extracted.stdout.trim() === "cached",
      pullMs,
      extractMs: Date.now() - extractStart,
    });
  }

  private pullKey(spec: ComponentSpec): string {
    return JSON.stringify([spec.image, spec.binary ?? "", spec.cmd, spec.env]);
  }

  /** The built disk image for these settings: from the cache, else `ops build`. */
  private async builtImage(
    paths: UnikernelPaths,
    pulled: Pulled,
    shares: readonly VolumeShare[],
    reboot: boolean,
    workload: string,
  ): Promise<{ path: string; pathFile: string; cached: boolean }> {
    const key = buildKey(pulled.image.id, pulled.plan, shares, reboot);
    const pathFile = `${paths.builds}/${key}.path`;
    const cached = (
      await this.exec("looking up the built image", cachedImage(pathFile))
    ).stdout.trim();
    if (cached) return { path: cached, pathFile, cached: true };
    const name = buildImageName(key);
    const since = Date.now();
    this.progress(workload, "building the disk image (ops build)");
    const configPath = `${paths.builds}/${key}.json`;
    const config = opsConfigJson({
      args: pulled.plan.args,
      env: pulled.plan.env,
      mounts: shares.map((share) => share.guestPath),
      rebootOnExit: reboot,
      targetRoot: pulled.elfRoot,
    });
    // The in-image path, as ops makes argv[0] of the path given: what the program sees in its container.
    const { argv, stdin } = opsBuildWithConfig(
      configPath,
      config,
      opsBuild(pulled.plan.program, name, configPath),
    );
    const built = await this.transport.run(argv, { stdin });
    if (built.exitCode !== 0) throw new CommandFailed(`ops build ${name}`, built);
    this.progress(workload, `built the disk image (${elapsed(since)})`);
    const caps = await this.capabilities();
    const path =
      parseBootableImagePath(`${built.stdout}\n${built.stderr}`) ??
      `${caps.home.replace(/\/+$/, "")}/.ops/images/${name}`;
    return { path, pathFile, cached: false };
  }

  /**
   * Builds (or takes from the cache) the disk image, makes the VM's state
   * directory with its own copy of it, and boots QEMU. On failure nothing of
   * the VM is left.
   */
  async run(
    spec: ComponentSpec,
    name: string,
    hash: string,
    setAside?: SetAside,
  ): Promise<undefined> {
    if (setAside) {
      try {
        await this.setAside(name, setAside.to, setAside.timeoutSeconds);
      } catch (error) {
        throw new SetAsideFailed(error);
      }
    }
    const started = Date.now();
    const caps = await this.capabilities();
    const accel = requireUnikernelSupport(caps, this.transport.label, spec.accel);
    const paths = unikernelPaths(caps.home);
    if (!this.pulled.has(this.pullKey(spec))) await this.pull(spec);
    const pulled = this.pulled.get(this.pullKey(spec));
    if (!pulled) throw new Error(`image ${spec.image} was not pulled`);
    const shares = volumeShares(spec.volumes);
    const reboot = rebootOnExit(spec);
    const buildStart = Date.now();
    const image = await this.builtImage(paths, pulled, shares, reboot, name);
    const buildMs = Date.now() - buildStart;
    const disk = await this.exec("hashing the disk image", diskSha256(image.path));
    const diskHex = disk.stdout.trim().split(/\s/)[0] ?? "";

    const record: VmRecord = {
      format: 1,
      vmId: randomUUID(),
      service: spec.service,
      component: spec.name,
      image: spec.image,
      ...(pulled.pinnedImage ? { pinnedImage: pulled.pinnedImage } : {}),
      imageId: pulled.image.id,
      digest: pulled.image.digest,
      ...(/^[a-f0-9]{64}$/.test(diskHex) ? { diskSha256: `sha256:${diskHex}` } : {}),
      specHash: hash,
      ports: [...spec.ports],
      volumes: [...spec.volumes],
      cmd: [...spec.cmd],
      env: { ...spec.env },
      restart: spec.restart,
      memoryMb: spec.memoryMb ?? 256,
      vcpus: spec.vcpus ?? 1,
      accel: accel.accel,
      accelReason: accel.reason,
      program: pulled.plan.program,
      args: [...pulled.plan.args],
      createdAt: new Date().toISOString(),
    };
    const dir = `${paths.vms}/${name}`;
    const prepared = prepareVm(
      dir,
      image.path,
      record.vmId,
      image.pathFile,
      JSON.stringify(record),
    );
    const made = await this.transport.run(prepared.argv, { stdin: prepared.stdin });
    if (made.exitCode !== 0) {
      // Exit 17: the directory was someone else's; anything else: ours, half made.
      if (made.exitCode !== 17) await this.transport.run(removeVmDir(dir));
      throw new CommandFailed(`creating the state directory of VM ${name}`, made);
    }
    try {
      this.progress(name, `booting the VM (${accel.accel})`);
      await this.boot(dir, name, record);
    } catch (error) {
      await this.transport.run(removeVmDir(dir));
      throw error;
    }
    const phases: DeployPhases = {
      pullMs: pulled.pullMs,
      extractMs: pulled.extractMs,
      elfCached: pulled.elfCached,
      buildMs,
      imageCached: image.cached,
      startMs: Date.now() - started,
      bootedAt: Date.now(),
      accel: accel.accel,
      accelReason: accel.reason,
    };
    lastDeployPhases.set(name, phases);
    trace(`${name}: ${JSON.stringify(phases)}`);
    // Keep the caches bounded; never fails the deploy.
    await this.transport.run(pruneCache(paths.elfCache, CACHE_ENTRIES)).catch(() => undefined);
    await this.transport.run(pruneCache(paths.builds, CACHE_ENTRIES * 2)).catch(() => undefined);
    return undefined; // its state comes from the readiness checks that follow
  }

  /** The command that boots the VM from its state directory: what `run`, `start` and its boot unit run. */
  private bootArgv(dir: string, name: string, record: VmRecord): string[] {
    const argv = qemuBootArgv({
      name,
      vmId: record.vmId,
      stateDir: dir,
      memoryMb: record.memoryMb,
      vcpus: record.vcpus,
      accel: record.accel,
      ports: record.ports.map((text) => {
        const port = parsePortSpec(text);
        if (typeof port === "string") throw new Error(`port ${text} ${port}`);
        return port;
      }),
      shares: volumeShares(record.volumes).map((share, index) => ({
        hostPath: share.hostPath,
        tag: String(index + 1),
        readOnly: share.readOnly,
      })),
      allowReboot: record.restart !== "no",
    });
    return bootVm(dir, argv);
  }

  private async boot(dir: string, name: string, record: VmRecord): Promise<void> {
    await this.exec(`starting QEMU for VM ${name}`, this.bootArgv(dir, name, record));
  }

  /**
   * At boot: the VM's recorded command line, as `run` booted it (same disk
   * copy, ports, QMP socket, console log). No stop command: systemd's SIGTERM
   * ends QEMU at shutdown.
   */
  async bootCommands(_spec: ComponentSpec, name: string) {
    const [status] = await this.status([name]);
    if (!status?.record) throw new Error(`no VM ${name} on ${this.transport.label}`);
    const paths = await this.paths();
    return { start: this.bootArgv(`${paths.vms}/${name}`, name, status.record) };
  }

  private async status(names: readonly string[]): Promise<VmStatus[]> {
    const paths = await this.paths();
    const result = await this.exec("reading VM state", vmStatus(paths.vms, QMP_CLIENT, names));
    return parseVmStatus(result.stdout);
  }

  /** Boots a stopped VM again from its state directory (same disk, same settings). */
  async start(name: string): Promise<void> {
    const [status] = await this.status([name]);
    if (!status?.record) throw new Error(`no VM ${name} on ${this.transport.label}`);
    if (status.alive) return;
    const paths = await this.paths();
    await this.boot(`${paths.vms}/${name}`, name, status.record);
  }

  /** QMP system_powerdown, then quit, then the pid, each after a timeout. */
  async stop(name: string, timeoutSeconds: number): Promise<void> {
    const paths = await this.paths();
    await this.exec(
      `stopping VM ${name}`,
      stopVm(`${paths.vms}/${name}`, QMP_CLIENT, timeoutSeconds),
    );
  }

  /** Stops the VMs and deletes their state and disks. Never touches volume data (host directories). */
  async remove(names: readonly string[], timeoutSeconds: number): Promise<void> {
    const paths = await this.paths();
    await Promise.all(
      names.map((name) => {
        const dir = `${paths.vms}/${name}`;
        return this.exec(
          `stopping and removing VM ${name}`,
          chain(stopVm(dir, QMP_CLIENT, timeoutSeconds), removeVmDir(dir)),
        );
      }),
    );
  }

  /** Stops the VM and renames its directory `to` (an update's set-aside), in one command. */
  private async setAside(name: string, to: string, timeoutSeconds: number): Promise<void> {
    const paths = await this.paths();
    await this.exec(
      `stopping VM ${name} and renaming it ${to}`,
      chain(
        stopVm(`${paths.vms}/${name}`, QMP_CLIENT, timeoutSeconds),
        renameVm(`${paths.vms}/${name}`, `${paths.vms}/${to}`),
      ),
    );
  }

  async rename(from: string, to: string): Promise<void> {
    const paths = await this.paths();
    await this.exec(
      `renaming VM ${from} to ${to}`,
      renameVm(`${paths.vms}/${from}`, `${paths.vms}/${to}`),
    );
  }

  /** A VM's state is its own directory's: there is no node-wide snapshot to take. */
  observe(name: string): Promise<LiveWorkload | undefined> {
    return this.inspect(name);
  }

  async inspect(name: string): Promise<LiveWorkload | undefined> {
    const [status] = await this.status([name]);
    return status ? vmToLive(status) : undefined;
  }

  /** Every VM pulumi-mcp manages on the node (its state directories). */
  async list(): Promise<LiveWorkload[]> {
    return (await this.status([]))
      .map(vmToLive)
      .filter((live): live is LiveWorkload => live !== undefined);
  }

  /** The serial console's last lines (the program's output and the kernel's). */
  async logs(name: string, lines: number): Promise<string> {
    const paths = await this.paths();
    const result = await this.transport.run(tailConsole(`${paths.vms}/${name}`, lines));
    if (result.exitCode !== 0) return `(no console log: ${result.stderr.trim()})`;
    return result.stdout.replaceAll("\r", "").trimEnd();
  }

  /** The serial console log streamed (`tail`); it has no times, so `since` is refused. */
  async streamLogs(
    name: string,
    request: LogRequest,
    output: Required<Pick<RunOptions, "onOutput">> & Pick<RunOptions, "signal">,
  ): Promise<number> {
    if (request.since !== undefined) {
      throw new Error(
        `--since ${JSON.stringify(request.since)}: the console log of VM ${name} has no times; use --tail`,
      );
    }
    const paths = await this.paths();
    const argv = streamConsole(`${paths.vms}/${name}`, request.tail, request.follow === true);
    const result = await this.transport.run(request.follow ? untilStdinCloses(argv) : argv, {
      ...output,
      ...(request.follow ? { timeoutMs: FOREVER_MS, holdStdin: true } : {}),
    });
    return result.exitCode;
  }

  /**
   * Ready when every forwarded TCP port answers a request with bytes: QEMU
   * accepts a forwarded connection before the guest listens, so a connect
   * alone proves nothing. Each port is tried on the node for up to
   * READY_WAIT_SECONDS (half a second per try), and the check returns as
   * soon as it answers.
   */
  async checkReady(spec: ComponentSpec, _name: string): Promise<void> {
    for (const text of spec.ports) {
      const port = parsePortSpec(text);
      if (typeof port === "string" || port.protocol !== "tcp") continue;
      const host = port.hostIp === "0.0.0.0" ? "127.0.0.1" : port.hostIp;
      const result = await this.transport.run(
        probePort(host, port.hostPort, PROBE_TIMEOUT_SECONDS, READY_WAIT_SECONDS),
      );
      if (result.exitCode !== 0) {
        throw new Error(
          `port ${host}:${port.hostPort} does not answer yet (${result.stderr.trim() || `exit ${result.exitCode}`})`,
        );
      }
    }
  }
}

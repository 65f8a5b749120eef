import { NameTaken } from "../../../provider/runtime/name-taken";
import { SetAsideFailed } from "../../../provider/runtime/set-aside-failed";
import type { LiveWorkload, SetAside, WorkloadRuntime } from "../../../provider/runtime/types";
import type { ComponentSpec } from "../../../provider/spec/component";
import { FakeTransport, ok } from "./fake-transport";

/** A live container as podman would report it. */
export function liveWorkload(name: string, image: string, running = true): LiveWorkload {
  return {
    name,
    runtime: "container",
    image,
    version: image.slice(image.lastIndexOf(":") + 1),
    imageId: `id-of-${image}`,
    imageDigest: "",
    state: running ? "running" : "exited",
    running,
    exitCode: running ? 0 : 1,
    restartCount: 0,
    startedAt: "2026-12-01T00:00:00Z",
    ports: [],
    volumes: [],
    cmd: [],
    env: {},
    labels: {},
  };
}

/**
 * A node's workloads in memory. Every call is recorded in `calls` (e.g.
 * "rename a-previous a", "lock" for the node lock); a call listed in
 * `failing` throws instead of acting. A workload of an image in `crashing`
 * has exited by the time it is looked at. Its transport runs no command (a
 * test that reaches one fails) but refresh's registry query, when
 * `registryAnswer` is set.
 */
export class FakeRuntime implements WorkloadRuntime {
  readonly calls: string[] = [];
  readonly workloads = new Map<string, LiveWorkload>();
  readonly failing = new Set<string>();
  readonly crashing = new Set<string>();
  /** What the node answers to refresh's registry query (commands/registry-digest), when set. */
  registryAnswer?: string;
  readonly transport = new FakeTransport("fake-node", (argv) => {
    if (this.registryAnswer !== undefined && argv[2]?.includes("skopeo"))
      return ok(this.registryAnswer);
    throw new Error(`the fake node runs no command: ${argv.join(" ")}`);
  });
  /** Set by a test of a runtime whose `run` pulls, looks and sets aside itself (as podman's). */
  looksFirst?: boolean;
  /** Set by a test that needs a readiness check. */
  checkReady?: WorkloadRuntime["checkReady"];
  /** Set by a test that reads the progress lines. */
  progress?: WorkloadRuntime["progress"];

  private started = 0;

  constructor() {
    this.transport.hold = async () => {
      this.calls.push("lock");
      return { release: async () => undefined };
    };
  }

  private record(call: string): void {
    this.calls.push(call);
    if (this.failing.has(call)) throw new Error(`${call} failed`);
  }

  private get(name: string): LiveWorkload {
    const workload = this.workloads.get(name);
    if (!workload) throw new Error(`no workload ${name}`);
    return workload;
  }

  async pull(spec: ComponentSpec): Promise<void> {
    this.record(`pull ${spec.pinnedImage ?? spec.image}`);
  }

  async run(
    spec: ComponentSpec,
    name: string,
    specHash: string,
    setAside?: SetAside,
  ): Promise<LiveWorkload> {
    if (this.looksFirst) this.look(spec, name, setAside);
    else if (setAside) this.setAside(name, setAside);
    this.record(`run ${name} ${spec.image}`);
    if (this.workloads.has(name)) throw new Error(`${name} exists`);
    const live: LiveWorkload = {
      ...liveWorkload(name, spec.image, !this.crashing.has(spec.image)),
      imageDigest: `digest-of-${spec.image}`,
      // Each run its own start time: a recreate shows in it.
      startedAt: new Date(Date.parse("2026-12-01T00:00:00Z") + ++this.started * 1000).toISOString(),
      restart: spec.restart,
      ports: spec.ports,
      volumes: spec.volumes,
      cmd: spec.cmd,
      env: spec.env,
      labels: { "io.pulumi-mcp.spec-hash": specHash },
      ...(spec.pinnedImage ? { pinnedImage: spec.pinnedImage } : {}),
    };
    this.workloads.set(name, live);
    if (this.looksFirst && setAside?.removeOnceRunning && live.running) {
      if (this.workloads.delete(setAside.to)) setAside.removed?.();
    }
    return { ...live };
  }

  /** As ContainerRuntime's chained run does it: pull, look, and for an update set aside (lookFirst). */
  private look(spec: ComponentSpec, name: string, setAside: SetAside | undefined): void {
    const current = this.workloads.get(name);
    const previous = setAside && this.workloads.get(setAside.to);
    try {
      this.record(`pull+look ${spec.image} ${name}`);
    } catch (error) {
      throw setAside ? new SetAsideFailed(error) : error;
    }
    if (!setAside) {
      if (current) throw new NameTaken(name);
      return;
    }
    const old = current ?? (previous && { ...previous, running: true });
    setAside.found?.(old ? { old: { image: old.image, running: old.running } } : {});
    if (!current) return;
    if (previous) this.workloads.delete(setAside.to);
    this.setAside(name, setAside);
  }

  private setAside(name: string, setAside: SetAside): void {
    try {
      this.record(`setAside ${name} ${setAside.to}`);
      const workload = this.get(name);
      this.workloads.delete(name);
      this.workloads.set(setAside.to, {
        ...workload,
        name: setAside.to,
        running: false,
        state: "exited",
      });
    } catch (error) {
      throw new SetAsideFailed(error);
    }
  }

  async bootCommands(_spec: ComponentSpec, name: string) {
    return { start: ["start", name] };
  }

  async start(name: string): Promise<void> {
    this.record(`start ${name}`);
    Object.assign(this.get(name), { running: true, state: "running" });
  }

  async stop(name: string): Promise<void> {
    this.record(`stop ${name}`);
    const workload = this.workloads.get(name);
    if (workload) Object.assign(workload, { running: false, state: "exited" });
  }

  async remove(names: readonly string[]): Promise<void> {
    this.record(`remove ${names.join(" ")}`);
    for (const name of names) this.workloads.delete(name);
  }

  async rename(from: string, to: string): Promise<void> {
    this.record(`rename ${from} ${to}`);
    const workload = this.get(from);
    if (this.workloads.has(to)) throw new Error(`${to} exists`);
    this.workloads.delete(from);
    this.workloads.set(to, { ...workload, name: to });
  }

  async inspect(name: string): Promise<LiveWorkload | undefined> {
    this.record(`inspect ${name}`);
    const workload = this.workloads.get(name);
    return workload && { ...workload };
  }

  observe(name: string): Promise<LiveWorkload | undefined> {
    return this.inspect(name);
  }

  async list(): Promise<LiveWorkload[]> {
    return [...this.workloads.values()];
  }

  async logs(name: string): Promise<string> {
    this.record(`logs ${name}`);
    return `log of ${name}`;
  }
}

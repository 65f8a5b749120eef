import type { LiveWorkload, WorkloadRuntime } from "../../provider/runtime/types";
import type { ComponentSpec } from "../../provider/spec/component";
import type { Transport } from "../../provider/transport";

/**
 * A node in memory: workloads by name, and every runtime call in order. Its
 * transport runs no command (a test that reaches one fails) and holds the
 * node lock at once.
 */
export class FakeNode {
  readonly workloads = new Map<string, LiveWorkload>();
  readonly calls: string[] = [];
  private started = 0;
  /** What the node answers to refresh's registry query (commands/registry-digest), when set. */
  registryAnswer?: string;

  readonly transport: Transport = {
    label: "fake@node:22",
    run: async (argv) => {
      if (this.registryAnswer !== undefined && argv[2]?.includes("skopeo"))
        return { exitCode: 0, stdout: this.registryAnswer, stderr: "" };
      throw new Error(`the fake node runs no command: ${argv.join(" ")}`);
    },
    ready: async () => undefined,
    hold: async () => {
      this.calls.push("lock");
      return { release: async () => undefined };
    },
  };

  runtime(): WorkloadRuntime {
    const live = (spec: ComponentSpec, name: string, hash: string): LiveWorkload => ({
      name,
      runtime: spec.runtime,
      image: spec.image,
      version: spec.image.split(":").pop() ?? "",
      imageId: `sha256:${spec.image}`,
      imageDigest: `digest-of-${spec.image}`,
      state: "running",
      running: true,
      exitCode: 0,
      restartCount: 0,
      startedAt: `t${++this.started}`,
      restart: spec.restart,
      ports: spec.ports,
      volumes: spec.volumes,
      cmd: spec.cmd,
      env: spec.env,
      labels: { "io.pulumi-mcp.spec-hash": hash },
      ...(spec.pinnedImage ? { pinnedImage: spec.pinnedImage } : {}),
    });
    const move = (from: string, to: string): void => {
      const workload = this.workloads.get(from);
      if (!workload) throw new Error(`no ${from}`);
      this.workloads.delete(from);
      this.workloads.set(to, { ...workload, name: to });
    };
    return {
      transport: this.transport,
      pull: async (spec) => void this.calls.push(`pull ${spec.pinnedImage ?? spec.image}`),
      run: async (spec, name, hash, setAside) => {
        if (setAside) {
          this.calls.push(`set aside ${name}`);
          move(name, setAside.to);
        }
        this.calls.push(`run ${name}`);
        const workload = live(spec, name, hash);
        this.workloads.set(name, workload);
        return workload;
      },
      start: async (name) => void this.calls.push(`start ${name}`),
      bootCommands: async (_spec, name) => ({ start: ["start", name] }),
      stop: async (name) => void this.calls.push(`stop ${name}`),
      remove: async (names) => {
        for (const name of names) if (this.workloads.delete(name)) this.calls.push(`rm ${name}`);
      },
      rename: async (from, to) => move(from, to),
      inspect: async (name) => this.workloads.get(name),
      observe: async (name) => this.workloads.get(name),
      list: async () => [...this.workloads.values()],
      logs: async () => "",
    };
  }
}

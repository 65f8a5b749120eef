import {
  ensureHostDirectories,
  podmanInspect,
  podmanListManaged,
  podmanLogs,
  podmanPull,
  podmanRemove,
  podmanRename,
  podmanRun,
  podmanStart,
  podmanStop,
} from "../commands/podman";
import type { ComponentSpec } from "../spec/component";
import { hostPathsOf } from "../spec/volume-spec";
import type { Transport } from "../transport";
import { ensureSuccess } from "./command-error";
import { withSecretFiles } from "./container-secrets";
import { inspectBatched } from "./inspect-batch";
import { parsePodmanInspect } from "./podman-inspect";
import { runPodman } from "./podman-retry";
import { pullOnce } from "./pull-once";
import type { LiveWorkload, WorkloadRuntime } from "./types";

/** MCP's runtime operations over podman on one node. */
export class ContainerRuntime implements WorkloadRuntime {
  constructor(readonly transport: Transport) {}

  /** Pulls the image; a tag that does not exist fails here, before anything runs. */
  async pull(spec: ComponentSpec): Promise<void> {
    await pullOnce(this.transport, spec.image, async () => {
      ensureSuccess(
        `podman pull ${spec.image}`,
        await runPodman(this.transport, podmanPull(spec.image)),
      );
    });
  }

  /** `runContainer`, with the spec's secret files made into podman secrets around it (container-secrets). */
  run(spec: ComponentSpec, name: string, specHash: string): Promise<void> {
    return withSecretFiles(
      this.transport,
      spec,
      name,
      (secretFlags) => this.runContainer(spec, name, specHash, secretFlags),
      () => this.remove(name, 0),
    );
  }

  /** Creates and starts the container. A container podman created but could not start is removed. */
  private async runContainer(
    spec: ComponentSpec,
    name: string,
    specHash: string,
    secretFlags: readonly string[],
  ): Promise<void> {
    // MCP keeps service data in host directories such as /srv/<service>: make them on
    // first deploy, as the agent does. They are never removed.
    const hostPaths = hostPathsOf(spec.volumes);
    if (hostPaths.length > 0) {
      ensureSuccess(
        `creating volume directories ${hostPaths.join(" ")}`,
        await this.transport.run(ensureHostDirectories(hostPaths)),
      );
    }
    const { argv, stdin } = podmanRun(spec, { name, specHash, secretFlags });
    // A run that failed half-way may have left a created container: remove it before trying again.
    const result = await runPodman(this.transport, argv, { stdin }, () => this.remove(name, 0));
    if (result.exitCode !== 0) {
      await this.remove(name, 0);
      ensureSuccess(`podman run ${name}`, result);
    }
  }

  async start(name: string): Promise<void> {
    ensureSuccess(`podman start ${name}`, await runPodman(this.transport, podmanStart(name)));
  }

  async stop(name: string, timeoutSeconds: number): Promise<void> {
    ensureSuccess(
      `podman stop ${name}`,
      await runPodman(this.transport, podmanStop(name, timeoutSeconds)),
    );
  }

  /** Removes the container if it exists. Never removes volumes or their host directories. */
  async remove(name: string, timeoutSeconds: number): Promise<void> {
    ensureSuccess(
      `podman rm ${name}`,
      await runPodman(this.transport, podmanRemove(name, timeoutSeconds)),
    );
  }

  async rename(from: string, to: string): Promise<void> {
    ensureSuccess(
      `podman rename ${from} ${to}`,
      await runPodman(this.transport, podmanRename(from, to)),
    );
  }

  /** The live container, or undefined when there is none by that name. Batched per node. */
  inspect(name: string): Promise<LiveWorkload | undefined> {
    return inspectBatched(this.transport, name);
  }

  /** Every container pulumi-mcp manages on this node. */
  async list(): Promise<LiveWorkload[]> {
    const listed = ensureSuccess("podman ps", await runPodman(this.transport, podmanListManaged()));
    const names = (JSON.parse(listed.stdout || "[]") as { Names?: string[] }[])
      .map((entry) => entry.Names?.[0])
      .filter((name): name is string => Boolean(name));
    if (names.length === 0) return [];
    const inspected = ensureSuccess(
      "podman container inspect",
      await runPodman(this.transport, podmanInspect(names)),
    );
    return parsePodmanInspect(inspected.stdout);
  }

  /** The last lines of the container's output (stdout and stderr), or a note why there are none. */
  async logs(name: string, lines: number): Promise<string> {
    const result = await runPodman(this.transport, podmanLogs(name, lines));
    if (result.exitCode !== 0) return `(no log: ${result.stderr.trim()})`;
    return `${result.stdout}${result.stderr}`.trimEnd();
  }
}

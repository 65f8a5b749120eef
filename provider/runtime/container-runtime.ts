import {
  type LogRequest,
  podmanInspect,
  podmanListManaged,
  podmanLogs,
  podmanLogsStream,
  podmanRename,
  podmanRun,
  podmanStart,
  podmanStop,
} from "../commands/podman";
import { untilStdinCloses } from "../commands/until-stdin-closes";
import { type ComponentSpec, workloadName } from "../spec/component";
import type { RunOptions, Transport } from "../transport";
import { ensureSuccess } from "./command-error";
import { withSecretFiles } from "./container-secrets";
import { inspectBatched } from "./inspect-batch";
import { preflight } from "./node-preflight";
import { removeBatched, stopBatched } from "./podman-batch";
import { parsePodmanInspect } from "./podman-inspect";
import { runPodman } from "./podman-retry";
import { elapsed, noProgress, type Progress, sizeOf } from "./progress";
import { pullOnce } from "./pull-once";
import { pullImage, pullKey } from "./registry-pull";
import { FOREVER_MS, type LiveWorkload, type WorkloadRuntime } from "./types";

/** MCP's runtime operations over podman on one node. */
export class ContainerRuntime implements WorkloadRuntime {
  constructor(
    readonly transport: Transport,
    readonly progress: Progress = noProgress,
  ) {}

  /** Rootless logins: subordinate ids, runtime directory, lingering, ports, limits, volumes. */
  preflight(spec: ComponentSpec): Promise<void> {
    return preflight(this.transport, spec);
  }

  /**
   * Pulls the image (logged in to its registry when the node has credentials
   * for it); a tag that does not exist or a refused login fails here, before anything runs.
   */
  async pull(spec: ComponentSpec): Promise<void> {
    const name = workloadName(spec);
    const since = Date.now();
    this.progress(name, `pulling ${spec.image}`);
    const registries = spec.credentials?.registries;
    const bytes = await pullOnce(this.transport, pullKey(spec.image, registries), () =>
      pullImage(this.transport, spec.image, registries),
    );
    this.progress(name, `pulled ${spec.image} (${sizeOf(bytes)}, ${elapsed(since)})`);
  }

  /** `runContainer`, with the spec's secret files made into podman secrets around it (container-secrets). */
  run(spec: ComponentSpec, name: string, specHash: string): Promise<LiveWorkload | undefined> {
    return withSecretFiles(
      this.transport,
      spec,
      name,
      (secretFlags) => this.runContainer(spec, name, specHash, secretFlags),
      () => this.remove([name], 0),
    );
  }

  /**
   * Creates and starts the container and returns its state right after (from
   * the same command). A container podman created but could not start is removed.
   */
  private async runContainer(
    spec: ComponentSpec,
    name: string,
    specHash: string,
    secretFlags: readonly string[],
  ): Promise<LiveWorkload | undefined> {
    // Also makes missing volume host directories (MCP's /srv/<service>), as the agent
    // does on first deploy. They are never removed.
    const { argv, stdin } = podmanRun(spec, { name, specHash, secretFlags });
    // A run that failed half-way may have left a created container: remove it before trying again.
    const result = await runPodman(this.transport, argv, { stdin }, () => this.remove([name], 0));
    if (result.exitCode !== 0) {
      await this.remove([name], 0);
      ensureSuccess(`podman run ${name}`, result);
    }
    // stdout: the new container's id, then the inspection's JSON array.
    const json = result.stdout.slice(result.stdout.indexOf("\n["));
    return json.startsWith("\n[") ? parsePodmanInspect(json)[0] : undefined;
  }

  /** At boot: start the container as it is; at shutdown: stop it with its stop timeout. */
  async bootCommands(spec: ComponentSpec, name: string) {
    return { start: podmanStart(name), stop: podmanStop([name], spec.stopTimeout) };
  }

  async start(name: string): Promise<void> {
    ensureSuccess(`podman start ${name}`, await runPodman(this.transport, podmanStart(name)));
  }

  /** Stops the container if it runs, batched with other stops on the node. */
  stop(name: string, timeoutSeconds: number): Promise<void> {
    return stopBatched(this.transport, name, timeoutSeconds);
  }

  /**
   * Removes those of the containers that exist, batched with other removals on
   * the node. Never removes volumes or their host directories.
   */
  async remove(names: readonly string[], timeoutSeconds: number): Promise<void> {
    await Promise.all(names.map((name) => removeBatched(this.transport, name, timeoutSeconds)));
  }

  /**
   * The stop is batched with the other updates' stops on the node: one podman
   * process stops them all at once, where one each would queue on podman's locks.
   */
  async setAside(name: string, to: string, timeoutSeconds: number): Promise<void> {
    await this.stop(name, timeoutSeconds);
    await this.rename(name, to);
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

  /** `podman logs` streamed; a follow has no command timeout (it runs until stopped). */
  async streamLogs(
    name: string,
    request: LogRequest,
    output: Required<Pick<RunOptions, "onOutput">> & Pick<RunOptions, "signal">,
  ): Promise<number> {
    const argv = podmanLogsStream(name, request);
    const result = await this.transport.run(request.follow ? untilStdinCloses(argv) : argv, {
      ...output,
      ...(request.follow ? { timeoutMs: FOREVER_MS, holdStdin: true } : {}),
    });
    return result.exitCode;
  }
}

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
import { digestOf } from "../spec/image-ref";
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
import { inspectFromSnapshot } from "./refresh-snapshot";
import { pullImage, pullKey } from "./registry-pull";
import { runSteps, StepFailed } from "./run-steps";
import { SetAsideFailed } from "./set-aside-failed";
import { pinnedOrImage } from "./tag-digest";
import { FOREVER_MS, type LiveWorkload, type SetAside, type WorkloadRuntime } from "./types";

/** MCP's runtime operations over podman on one node. */
export class ContainerRuntime implements WorkloadRuntime {
  /** pinDigest: what `pull` resolved each tag to, for `run` (image → repo:tag@sha256:…). */
  private readonly pinned = new Map<string, string>();

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
    const registries = spec.credentials?.registries;
    const image = await pinnedOrImage(this.transport, spec);
    if (image !== spec.image) this.pinned.set(spec.image, image);
    this.progress(name, `pulling ${image}`);
    const bytes = await pullOnce(this.transport, pullKey(image, registries), () =>
      pullImage(this.transport, image, registries),
    );
    this.progress(name, `pulled ${image} (${sizeOf(bytes)}, ${elapsed(since)})`);
  }

  /** `runContainer`, with the spec's secret files made into podman secrets around it (container-secrets). */
  run(
    spec: ComponentSpec,
    name: string,
    specHash: string,
    setAside?: SetAside,
  ): Promise<LiveWorkload | undefined> {
    let started = false;
    return withSecretFiles(
      this.transport,
      spec,
      name,
      (secretFlags) => {
        started = true;
        return this.runContainer(this.asPulled(spec), name, specHash, secretFlags, setAside);
      },
      () => this.remove([name], 0),
    ).catch((error: unknown) => {
      // The secrets are made first: when that failed, nothing was set aside.
      throw setAside && !started ? new SetAsideFailed(error) : error;
    });
  }

  /** The spec with the pinned reference `pull` resolved, for a pinDigest component (never its bare tag). */
  private asPulled(spec: ComponentSpec): ComponentSpec {
    if (!spec.pinDigest || digestOf(spec.image)) return spec;
    const pinnedImage = spec.pinnedImage ?? this.pinned.get(spec.image);
    if (!pinnedImage) throw new Error(`pinDigest: ${spec.image} was not resolved before its run`);
    return { ...spec, pinnedImage };
  }

  /**
   * Creates and starts the container (for an update, after stopping the old one
   * and renaming it aside) and returns its state right after, all in one
   * command. A container podman created but could not start is removed.
   */
  private async runContainer(
    spec: ComponentSpec,
    name: string,
    specHash: string,
    secretFlags: readonly string[],
    setAside: SetAside | undefined,
  ): Promise<LiveWorkload | undefined> {
    // Also makes missing volume host directories (MCP's /srv/<service>), as the agent
    // does on first deploy. They are never removed.
    const { steps, stdin, runStep, asideSteps } = podmanRun(spec, {
      name,
      specHash,
      secretFlags,
      setAside,
    });
    let stdout: string;
    try {
      // A run that failed half-way may have left a created container: remove it before trying again.
      const done = await runSteps(this.transport, steps, { stdin }, async (step) => {
        if (step === runStep) await this.remove([name], 0);
      });
      stdout = done.stdout;
    } catch (error) {
      throw await this.afterFailedRun(error, name, asideSteps, setAside);
    }
    // stdout: the new container's id, then the inspection's JSON array.
    const json = stdout.slice(stdout.indexOf("\n["));
    return json.startsWith("\n[") ? parsePodmanInspect(json)[0] : undefined;
  }

  /** At boot: start the container as it is; at shutdown: stop it with its stop timeout. */
  async bootCommands(spec: ComponentSpec, name: string) {
    return { start: podmanStart(name), stop: podmanStop([name], spec.stopTimeout) };
  }

  /**
   * What a failed run leaves: nothing new under `name` (removed here once the
   * set-aside, if any, is known to be done), and SetAsideFailed when the old
   * container was not renamed aside, so the caller does not roll back onto it
   * (a step after the set-aside, such as making a volume directory, failing
   * leaves it set aside: the caller rolls back).
   */
  private async afterFailedRun(
    error: unknown,
    name: string,
    asideSteps: number,
    setAside: SetAside | undefined,
  ): Promise<unknown> {
    const step = error instanceof StepFailed ? error.step : undefined;
    if (!setAside) {
      if (error instanceof StepFailed) await this.remove([name], 0);
      return error;
    }
    if (step !== undefined && step < asideSteps) return new SetAsideFailed(error);
    if (step === undefined) {
      // The output does not say how far it got (the channel dropped): the old container was
      // set aside only if it is there under its set-aside name. Not known: touch nothing.
      const aside = await this.inspect(setAside.to).catch(() => undefined);
      if (!aside) return new SetAsideFailed(error);
    }
    await this.remove([name], 0);
    return error;
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

  /** For a refresh: from one inspection of every managed container on the node (refresh-snapshot). */
  observe(name: string): Promise<LiveWorkload | undefined> {
    return inspectFromSnapshot(this.transport, name);
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

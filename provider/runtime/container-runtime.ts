import {
  LABELS,
  LOOKED,
  type LogRequest,
  PREVIOUS_REMOVED,
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
import { runningReference } from "../spec/image-ref";
import type { RunOptions, Transport } from "../transport";
import { ensureSuccess } from "./command-error";
import { withSecretFiles } from "./container-secrets";
import { inspectBatched } from "./inspect-batch";
import { NameTaken } from "./name-taken";
import { preflight } from "./node-preflight";
import { removeBatched, stopBatched } from "./podman-batch";
import { parsePodmanInspect } from "./podman-inspect";
import { runPodman } from "./podman-retry";
import { elapsed, noProgress, type Progress, sizeOf } from "./progress";
import { claimPull, pullOnce, recentPull } from "./pull-once";
import { inspectFromSnapshot } from "./refresh-snapshot";
import { pullCommand, pullImage, pullKey, registryFailure } from "./registry-pull";
import { runSteps, StepFailed } from "./run-steps";
import { SetAsideFailed } from "./set-aside-failed";
import { pinnedOrImage } from "./tag-digest";
import {
  FOREVER_MS,
  type Found,
  type LiveWorkload,
  type SetAside,
  type WorkloadRuntime,
} from "./types";

/** What the look of a chained run found (`lookFirst`'s lines), once it has looked. */
function foundBy(stdout: string): { found: Found; taken: boolean; both: boolean } | undefined {
  const end = stdout.indexOf(`${LOOKED}\n`);
  if (end < 0) return undefined;
  const lines = stdout.slice(0, end).split("\n");
  const seen = (which: string) => {
    const line = lines.find((l) => l.startsWith(`pulumi-mcp: ${which} `));
    if (!line) return undefined;
    const [status, image = "", label] = line.slice(`pulumi-mcp: ${which} `.length).split(" ");
    return { image: runningReference(image, label || undefined), running: status === "running" };
  };
  const current = seen("current");
  const previous = seen("previous");
  // Only a set-aside one (an update interrupted after setting aside): it was serving.
  const old = current ?? (previous && { image: previous.image, running: true });
  return {
    found: old ? { old } : {},
    taken: current !== undefined,
    both: current !== undefined && previous !== undefined,
  };
}

/** MCP's runtime operations over podman on one node. */
export class ContainerRuntime implements WorkloadRuntime {
  /** `run` pulls and looks in its own command (WorkloadRuntime.looksFirst). */
  readonly looksFirst = true;

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
        return this.runContainer(spec, name, specHash, secretFlags, setAside);
      },
      () => this.remove([name], 0),
    ).catch((error: unknown) => {
      // The secrets are made first: when that failed, nothing was set aside.
      throw setAside && !started ? new SetAsideFailed(error) : error;
    });
  }

  /**
   * Pulls (unless pulled moments ago), looks, sets the old container aside
   * (an update), creates and starts the container and returns its state right
   * after, all in one command (podmanRun). A container podman created but
   * could not start is removed.
   */
  private async runContainer(
    given: ComponentSpec,
    name: string,
    specHash: string,
    secretFlags: readonly string[],
    setAside: SetAside | undefined,
  ): Promise<LiveWorkload | undefined> {
    const registries = given.credentials?.registries;
    let image: string;
    try {
      // pinDigest: the tag resolved on the node (or the pin an update keeps); it fails before anything is touched.
      image = await pinnedOrImage(this.transport, given);
    } catch (error) {
      throw setAside ? new SetAsideFailed(error) : error;
    }
    const spec = image === given.image ? given : { ...given, pinnedImage: image };
    const key = pullKey(image, registries);
    const since = Date.now();
    this.progress(name, `pulling ${image}`);
    const pulled = (bytes: number) =>
      this.progress(name, `pulled ${image} (${sizeOf(bytes)}, ${elapsed(since)})`);
    // A pull in flight or done moments ago on this node is shared; else this run pulls
    // first, in its own command, and the node's other runs of the image wait for that.
    const recent = recentPull<number>(this.transport, key);
    const settle = recent ? undefined : claimPull<number>(this.transport, key);
    let pull: string[] | undefined;
    try {
      if (recent) pulled(await recent);
      else pull = await pullCommand(this.transport, image, registries);
    } catch (error) {
      settle?.(Promise.reject(error));
      throw setAside ? new SetAsideFailed(error) : error;
    }
    // Also makes missing volume host directories (MCP's /srv/<service>), as the agent
    // does on first deploy. They are never removed.
    const { steps, stdin, runStep, asideSteps } = podmanRun(spec, {
      name,
      specHash,
      secretFlags,
      setAside,
      pull,
    });
    let pullDone = !settle;
    // The pull prints the image's id, then its size in bytes: then it is done.
    const watch = (printed: string) => {
      const size = pullDone ? undefined : /^[^\n]*\n(\d+)\n/.exec(printed)?.[1];
      if (size === undefined || !settle) return;
      pullDone = true;
      settle(Promise.resolve(Number(size)));
      pulled(Number(size));
    };
    let stdout: string;
    try {
      // A run that failed half-way may have left a created container: remove it before trying again.
      const done = await runSteps(
        this.transport,
        steps,
        { stdin },
        async (step) => {
          if (step === runStep) await this.remove([name], 0);
        },
        settle && watch,
      );
      stdout = done.stdout;
    } catch (error) {
      const failed = error instanceof StepFailed && pull && error.step === 0;
      const cause = failed ? registryFailure(image, registries, error.result) : error;
      if (error instanceof StepFailed) watch(error.stdout);
      if (!pullDone) settle?.(Promise.reject(cause));
      throw await this.afterFailedRun(cause, error, name, specHash, asideSteps, setAside);
    }
    watch(stdout);
    // An output that does not show the size: the pull is done all the same.
    if (!pullDone) settle?.(Promise.resolve(0));
    const looked = foundBy(stdout);
    if (looked) setAside?.found?.(looked.found);
    // stdout ends with the new container's inspection (a JSON array), then whether the
    // set-aside one was removed.
    const removed = stdout.endsWith(`\n${PREVIOUS_REMOVED}\n`);
    if (removed) setAside?.removed?.();
    const inspected = removed ? stdout.slice(0, -(PREVIOUS_REMOVED.length + 1)) : stdout;
    const json = inspected.slice(inspected.indexOf("\n["));
    return json.startsWith("\n[") ? parsePodmanInspect(json)[0] : undefined;
  }

  /** At boot: start the container as it is; at shutdown: stop it with its stop timeout. */
  async bootCommands(spec: ComponentSpec, name: string) {
    return { start: podmanStart(name), stop: podmanStop([name], spec.stopTimeout) };
  }

  /**
   * What a failed run leaves: nothing new under `name` (removed here once what
   * the look found, and so whether the set-aside is done, is known), NameTaken
   * for a create whose name is taken, and SetAsideFailed when the old
   * container was not renamed aside, so the caller does not roll back onto it
   * (a step after the set-aside, such as making a volume directory, failing
   * leaves it set aside: the caller rolls back). `cause` is the error to
   * report, `error` what runSteps threw.
   */
  private async afterFailedRun(
    cause: unknown,
    error: unknown,
    name: string,
    specHash: string,
    asideSteps: number,
    setAside: SetAside | undefined,
  ): Promise<unknown> {
    const nothingDone = (why: unknown) => (setAside ? new SetAsideFailed(why) : why);
    if (!(error instanceof StepFailed)) {
      // Not the chained command's own failure (the connection dropped): how far it got is
      // not known. Set aside only if the set-aside name is there and the name is free or
      // holds the new container (a leftover next to the old one is not a set-aside).
      if (!setAside) return cause;
      const [current, aside] = await Promise.all([
        this.inspect(name),
        this.inspect(setAside.to),
      ]).catch(() => [undefined, undefined]);
      if (!aside || (current && current.labels[LABELS.specHash] !== specHash)) {
        return nothingDone(cause);
      }
      setAside.found?.({ old: { image: aside.image, running: true } });
      if (current) await this.remove([name], 0);
      return cause;
    }
    const found = foundBy(error.stdout);
    if (found) setAside?.found?.(found.found);
    const { step } = error;
    if (!found || (step !== undefined && step < asideSteps)) {
      if (!setAside && found?.taken) return new NameTaken(name);
      return nothingDone(cause);
    }
    if (step === undefined && found.taken) {
      // The output does not say how far it got: the old container was set aside only if
      // it is there under its set-aside name (and no leftover was). Not known: touch nothing.
      if (!setAside || found.both) return nothingDone(cause);
      const aside = await this.inspect(setAside.to).catch(() => undefined);
      if (!aside) return nothingDone(cause);
    }
    await this.remove([name], 0);
    return cause;
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

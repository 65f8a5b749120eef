import type { LogRequest } from "../commands/podman";
import type { TagAnswer } from "../commands/registry-digest";
import type { ComponentSpec } from "../spec/component";
import type { RunOptions, Transport } from "../transport";
import type { Progress } from "./progress";

/** What a node reports about one workload (container or VM), mapped to our vocabulary. */
export interface LiveWorkload {
  name: string;
  runtime: "container" | "unikernel";
  /** The image reference it was started from. */
  image: string;
  /** The pinned version of that image: its tag, else its digest. */
  version: string;
  imageId: string;
  /**
   * The manifest digest of the image it runs (containers: podman's image
   * digest; VMs: the digest of the OCI image the ELF came from), "" when the
   * node does not know it (an image built there and never pushed or pulled).
   */
  imageDigest: string;
  /** pinDigest: the reference it runs, `repo:tag@sha256:…` (the tag resolved at deploy). */
  pinnedImage?: string;
  /** podman's status word: running, exited, created, paused, stopped, … */
  state: string;
  running: boolean;
  /** The program's exit code, when the runtime knows it (podman does; a VM's QEMU does not tell). */
  exitCode?: number;
  /** Restarts since it was created, when the runtime knows (podman does; a VM's reboots are not counted). */
  restartCount?: number;
  startedAt: string;
  user?: string;
  restart?: string;
  network?: string;
  ports: string[];
  volumes: string[];
  cmd: string[];
  /** Environment as the workload sees it (includes the image's own variables). */
  env: Record<string, string>;
  labels: Record<string, string>;
  /** Refresh: what the registry holds under the tag its image label names, asked in the same command. */
  registry?: TagAnswer;
}

/** What an update found before setting aside: the old workload (its image, whether it ran), if any. */
export interface Found {
  old?: { image: string; running: boolean };
}

/** An update's set-aside: the old workload's name while set aside, and its stop timeout. */
export interface SetAside {
  to: string;
  timeoutSeconds: number;
  /** Told what `run` found, by a runtime that looks itself (`WorkloadRuntime.looksFirst`). */
  found?: (found: Found) => void;
  /**
   * Asks `run` to remove the set-aside one in its own round trip once the new
   * one runs right after its start (where the update is then done: minUptime
   * 0, no readiness or health check); `removed` is told when it did.
   */
  removeOnceRunning?: boolean;
  removed?: () => void;
}

/**
 * MCP's runtime operations on one node, for one kind of workload. The deploy
 * logic (create, swap with rollback) is written once against this.
 */
export interface WorkloadRuntime {
  readonly transport: Transport;
  /** Where the slow steps' progress lines go (runtime/progress.ts). */
  readonly progress?: Progress;
  /** Fetches what `run` needs (image, extracted binary, …); a bad tag fails here. */
  pull(spec: ComponentSpec): Promise<void>;
  /**
   * True when `run` pulls (unless pulled moments ago) and looks at the name
   * itself, in the same round trip as the run: without `setAside` it refuses
   * a taken name with NameTaken, touching nothing; with `setAside` it sets
   * aside whatever is there to set aside (a workload under the name; with only
   * one under `setAside.to`, left by an interrupted update, that one stays
   * there as the old one; with neither it just runs) and tells
   * `setAside.found` what it found. Otherwise the caller pulls, inspects and
   * tidies first.
   */
  readonly looksFirst?: boolean;
  /**
   * Creates and starts the workload; on failure nothing of it is left behind.
   * Returns its state right after starting when that comes at no extra cost.
   * With `setAside` (an update), first stops the workload of that name and
   * renames it `setAside.to`, in the same round trip where it can; when that
   * part fails (nothing renamed, nothing new made) it rejects with SetAsideFailed.
   */
  run(
    spec: ComponentSpec,
    name: string,
    specHash: string,
    setAside?: SetAside,
  ): Promise<LiveWorkload | undefined>;
  /** Starts an existing, stopped workload again. */
  start(name: string): Promise<void>;
  stop(name: string, timeoutSeconds: number): Promise<void>;
  /** Removes those of the workloads that exist. Never touches volume data. */
  remove(names: readonly string[], timeoutSeconds: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** The live workload, or undefined when there is none by that name. */
  inspect(name: string): Promise<LiveWorkload | undefined>;
  /**
   * For a refresh: the live workload as a snapshot of the node taken moments
   * ago shows it, so that a whole refresh costs one round trip per node where
   * the runtime can; else as `inspect`.
   */
  observe(name: string): Promise<LiveWorkload | undefined>;
  /** Every workload pulumi-mcp manages on the node. */
  list(): Promise<LiveWorkload[]>;
  /** The last lines of its output (log or console), or a note why there are none. */
  logs(name: string, lines: number): Promise<string>;
  /**
   * Streams its output (log or console) as asked, until it ends (or, with
   * `follow`, until `signal` aborts). Returns the command's exit status;
   * refuses what this runtime cannot do (a VM's console has no times: no `since`).
   */
  streamLogs?(
    name: string,
    request: LogRequest,
    output: Required<Pick<RunOptions, "onOutput">> & Pick<RunOptions, "signal">,
  ): Promise<number>;
  /**
   * Optional extra readiness check once the workload runs (e.g. a VM's port
   * answering); throws with the reason when it is not ready.
   */
  checkReady?(spec: ComponentSpec, name: string): Promise<void>;
  /**
   * The commands a boot unit runs to start the workload (as `run` left it:
   * the existing container, the VM's recorded command line) and to stop it.
   */
  bootCommands(spec: ComponentSpec, name: string): Promise<{ start: string[]; stop?: string[] }>;
  /**
   * Refuses, before anything is touched, a spec this node's login cannot carry
   * out as asked (node-preflight: rootless podman's needs and limits).
   */
  preflight?(spec: ComponentSpec): Promise<void>;
}

/** The longest timer Node.js keeps (about 24.8 days): "no timeout" for a followed log. */
export const FOREVER_MS = 2 ** 31 - 1;

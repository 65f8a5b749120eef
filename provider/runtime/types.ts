import type { ComponentSpec } from "../spec/component";
import type { Transport } from "../transport";

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
  /** podman's status word: running, exited, created, paused, stopped, … */
  state: string;
  running: boolean;
  exitCode: number;
  restartCount: number;
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
}

/**
 * MCP's runtime operations on one node, for one kind of workload. The deploy
 * logic (create, swap with rollback) is written once against this.
 */
export interface WorkloadRuntime {
  readonly transport: Transport;
  /** Fetches what `run` needs (image, extracted binary, …); a bad tag fails here. */
  pull(spec: ComponentSpec): Promise<void>;
  /**
   * Creates and starts the workload; on failure nothing of it is left behind.
   * Returns its state right after starting when that comes at no extra cost.
   */
  run(spec: ComponentSpec, name: string, specHash: string): Promise<LiveWorkload | undefined>;
  /** Starts an existing, stopped workload again. */
  start(name: string): Promise<void>;
  stop(name: string, timeoutSeconds: number): Promise<void>;
  /** Removes those of the workloads that exist. Never touches volume data. */
  remove(names: readonly string[], timeoutSeconds: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Stops the workload and renames it `to` (an update's set-aside), in one step where it can. */
  setAside(name: string, to: string, timeoutSeconds: number): Promise<void>;
  /** The live workload, or undefined when there is none by that name. */
  inspect(name: string): Promise<LiveWorkload | undefined>;
  /** Every workload pulumi-mcp manages on the node. */
  list(): Promise<LiveWorkload[]>;
  /** The last lines of its output (log or console), or a note why there are none. */
  logs(name: string, lines: number): Promise<string>;
  /**
   * Optional extra readiness check once the workload runs (e.g. a VM's port
   * answering); throws with the reason when it is not ready.
   */
  checkReady?(spec: ComponentSpec, name: string): Promise<void>;
  /**
   * Refuses, before anything is touched, a spec this node's login cannot carry
   * out as asked (node-preflight: rootless podman's needs and limits).
   */
  preflight?(spec: ComponentSpec): Promise<void>;
}

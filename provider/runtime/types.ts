/** What a node reports about one workload (container or VM), mapped to our vocabulary. */
export interface LiveWorkload {
  name: string;
  runtime: "container" | "unikernel";
  /** The image reference it was started from. */
  image: string;
  /** The pinned version of that image: its tag, else its digest. */
  version: string;
  imageId: string;
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

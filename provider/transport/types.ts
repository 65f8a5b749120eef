/** What one command run on a node returned. */
export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the command's standard input (text as UTF-8), then closed. */
  readonly stdin?: string | Uint8Array;
  /** Overrides the node's command timeout for this command. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Streams the output as it comes instead of collecting it (the result's
   * stdout and stderr are then empty): for a `podman logs --follow`.
   */
  readonly onOutput?: (stream: "stdout" | "stderr", chunk: Buffer) => void;
  /**
   * Leaves the command's standard input open (nothing written) until it ends
   * or is cancelled: what `untilStdinCloses` watches (commands/until-stdin-closes).
   */
  readonly holdStdin?: boolean;
}

/** A long-running command started by `hold`, kept alive until released. */
export interface HeldCommand {
  /** Closes the command's standard input (so it can exit) and waits until it has. */
  release(): Promise<void>;
}

export interface HoldOptions {
  /** `hold` resolves once the command prints this on stdout. */
  readonly readyMarker: string;
  /** How long to wait for the marker. */
  readonly timeoutMs: number;
}

/**
 * Runs argv on one node. A non-zero exit is a result, not an error; errors
 * are for the transport itself (unreachable, timed out, cancelled).
 */
export interface Transport {
  /** `user@host:port` or `local`, for messages. */
  readonly label: string;
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** Resolves once commands can run (the SSH connection is up); never throws. */
  ready(): Promise<void>;
  /**
   * Starts argv and keeps it running (stdin open) until released: for what
   * lives as long as a connection, such as a lock. Rejects with
   * `CommandEnded` when the command exits before printing the marker.
   */
  hold(argv: readonly string[], options: HoldOptions): Promise<HeldCommand>;
}

/** A held command exited (or timed out) before it was ready; its output says why. */
export class CommandEnded extends Error {
  constructor(readonly result: CommandResult) {
    super(
      `command ended with exit ${result.exitCode} before it was ready: ${result.stderr.trim() || result.stdout.trim()}`,
    );
    this.name = "CommandEnded";
  }
}

/** Counters per node, for `PULUMI_MCP_TRACE=1` and the benchmark. */
export interface TransportCounters {
  handshakes: number;
  channels: number;
  bytesOut: number;
  bytesIn: number;
}

export class TransportError extends Error {
  constructor(
    message: string,
    /** True when retrying the same call may succeed (refused, reset, timed out connecting). */
    readonly transient: boolean,
  ) {
    super(message);
    this.name = "TransportError";
  }
}

/** What one command run on a node returned. */
export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Bytes written to the command's standard input, then closed. */
  readonly stdin?: string;
  /** Overrides the node's command timeout for this command. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Runs argv on one node. A non-zero exit is a result, not an error; errors
 * are for the transport itself (unreachable, timed out, cancelled).
 */
export interface Transport {
  /** `user@host:port` or `local`, for messages. */
  readonly label: string;
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
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

import type { NodeTarget } from "../spec/node";
import { countersFor } from "./counters";
import { type CommandResult, type RunOptions, type Transport, TransportError } from "./types";

/** Runs argv on this machine through execa, with no shell in between: for `local: true` nodes. */
export class LocalTransport implements Transport {
  readonly label = "local";

  constructor(private readonly node: NodeTarget) {}

  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const [file, ...args] = argv;
    if (!file) throw new Error("empty command");
    // execa is ESM-only; a dynamic import keeps this package CommonJS.
    const { execa } = await import("execa");
    const timeout = options.timeoutMs ?? this.node.commandTimeoutMs;
    countersFor(this.label).channels += 1;
    const result = await execa(file, args, {
      input: options.stdin ?? "",
      timeout,
      cancelSignal: options.signal,
      reject: false,
      stripFinalNewline: false,
      encoding: "utf8",
    });
    if (result.timedOut)
      throw new TransportError(`command timed out after ${timeout} ms locally: ${file}`, false);
    if (result.isCanceled) throw new TransportError(`command cancelled locally: ${file}`, false);
    if (result.exitCode === undefined) {
      throw new TransportError(
        `cannot run ${file} locally: ${result.shortMessage ?? result.message}`,
        false,
      );
    }
    return {
      exitCode: result.exitCode,
      stdout: String(result.stdout),
      stderr: String(result.stderr),
    };
  }
}

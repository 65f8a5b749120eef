import type { NodeTarget } from "../spec/node";
import { countersFor } from "./counters";
import {
  CommandEnded,
  type CommandResult,
  type HeldCommand,
  type HoldOptions,
  type RunOptions,
  type Transport,
  TransportError,
} from "./types";

/** Runs argv on this machine through execa, with no shell in between: for `local: true` nodes. */
export class LocalTransport implements Transport {
  readonly label = "local";

  constructor(private readonly node: NodeTarget) {}

  async ready(): Promise<void> {}

  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const [file, ...args] = argv;
    if (!file) throw new Error("empty command");
    // execa is ESM-only; a dynamic import keeps this package CommonJS.
    const { execa } = await import("execa");
    const timeout = options.timeoutMs ?? this.node.commandTimeoutMs;
    countersFor(this.label).channels += 1;
    const { onOutput } = options;
    const child = execa(file, args, {
      ...(options.holdStdin ? { stdin: "pipe" as const } : { input: options.stdin ?? "" }),
      timeout,
      cancelSignal: options.signal,
      reject: false,
      stripFinalNewline: false,
      encoding: "utf8",
      buffer: !onOutput,
    });
    if (onOutput) {
      child.stdout?.on("data", (chunk: Buffer) => onOutput("stdout", chunk));
      child.stderr?.on("data", (chunk: Buffer) => onOutput("stderr", chunk));
    }
    const result = await child;
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
      stdout: onOutput ? "" : String(result.stdout),
      stderr: onOutput ? "" : String(result.stderr),
    };
  }

  async hold(argv: readonly string[], options: HoldOptions): Promise<HeldCommand> {
    const [file, ...args] = argv;
    if (!file) throw new Error("empty command");
    const { execa } = await import("execa");
    countersFor(this.label).channels += 1;
    const child = execa(file, args, {
      stdin: "pipe",
      reject: false,
      encoding: "utf8",
      stripFinalNewline: false,
    });
    let stdout = "";
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
      }, options.timeoutMs);
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        if (stdout.includes(options.readyMarker)) {
          clearTimeout(timer);
          resolve({
            release: async () => {
              child.stdin?.end();
              await child;
            },
          });
        }
      });
      child.then((result) => {
        clearTimeout(timer);
        reject(
          new CommandEnded({
            exitCode: result.exitCode ?? 124,
            stdout: String(result.stdout),
            stderr: String(result.stderr),
          }),
        );
      });
    });
  }
}

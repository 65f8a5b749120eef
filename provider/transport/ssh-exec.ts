import type { Client, ClientChannel } from "ssh2";
import { toCommandLine } from "../commands/quote";
import { countersFor } from "./counters";
import {
  CommandEnded,
  type CommandResult,
  type HeldCommand,
  type HoldOptions,
  type RunOptions,
  TransportError,
} from "./types";

/** The node refused to open a channel: the command did not start. */
export class ChannelRefused extends TransportError {
  constructor(label: string, reason: string) {
    super(`cannot open a channel on ${label}: ${reason}`, true);
    this.name = "ChannelRefused";
  }
}

function shortCommand(argv: readonly string[]): string {
  const line = argv.join(" ");
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/** Runs one command on an open connection: one exec channel, stdin written then closed. */
export function execOnChannel(
  client: Client,
  label: string,
  argv: readonly string[],
  options: RunOptions & { timeoutMs: number },
): Promise<CommandResult> {
  const command = toCommandLine(argv);
  const counters = countersFor(label);
  return new Promise((resolve, reject) => {
    let settled = false;
    let channel: ClientChannel | undefined;
    const finish = (outcome: CommandResult | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (outcome instanceof Error) {
        channel?.close();
        reject(outcome);
      } else resolve(outcome);
    };
    const timer = setTimeout(
      () =>
        finish(
          new TransportError(
            `command timed out after ${options.timeoutMs} ms on ${label}: ${shortCommand(argv)}`,
            false,
          ),
        ),
      options.timeoutMs,
    );
    const onAbort = () =>
      finish(new TransportError(`command cancelled on ${label}: ${shortCommand(argv)}`, false));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });

    counters.channels += 1;
    counters.bytesOut += command.length + Buffer.byteLength(options.stdin ?? "");
    client.exec(command, (error, stream) => {
      if (error) return finish(new ChannelRefused(label, error.message));
      channel = stream;
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let exitCode: number | undefined;
      const { onOutput } = options;
      stream.on("data", (chunk: Buffer) =>
        onOutput ? onOutput("stdout", chunk) : stdout.push(chunk),
      );
      stream.stderr.on("data", (chunk: Buffer) =>
        onOutput ? onOutput("stderr", chunk) : stderr.push(chunk),
      );
      stream.on("exit", (code: number | null, signalName?: string) => {
        exitCode = code ?? (signalName ? 128 : 255);
      });
      stream.on("close", () => {
        const out = Buffer.concat(stdout);
        const err = Buffer.concat(stderr);
        counters.bytesIn += out.length + err.length;
        if (exitCode === undefined) {
          return finish(
            new TransportError(
              `connection to ${label} lost while running: ${shortCommand(argv)}`,
              false,
            ),
          );
        }
        finish({ exitCode, stdout: out.toString("utf8"), stderr: err.toString("utf8") });
      });
      if (!options.holdStdin) stream.end(options.stdin ?? "");
    });
  });
}

/**
 * Starts one command on its own channel and resolves once its stdout shows
 * `readyMarker`; the channel stays open (stdin too) until released. If the
 * connection dies, sshd closes the command's stdin and it ends by itself.
 */
export function holdOnChannel(
  client: Client,
  label: string,
  argv: readonly string[],
  options: HoldOptions,
): Promise<HeldCommand> {
  const command = toCommandLine(argv);
  countersFor(label).channels += 1;
  return new Promise((resolve, reject) => {
    client.exec(command, (error, stream) => {
      if (error)
        return reject(
          new TransportError(`cannot open a channel on ${label}: ${error.message}`, true),
        );
      let stdout = "";
      let stderr = "";
      let exitCode = 255;
      let ready = false;
      const ended = new Promise<void>((done) => stream.on("close", () => done()));
      const timer = setTimeout(() => {
        if (ready) return;
        stream.close();
        reject(
          new CommandEnded({
            exitCode: 124,
            stdout,
            stderr: `${stderr}timed out after ${options.timeoutMs} ms`,
          }),
        );
      }, options.timeoutMs);
      stream.on("exit", (code: number | null) => {
        exitCode = code ?? 255;
      });
      stream.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
      });
      stream.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        if (!ready && stdout.includes(options.readyMarker)) {
          ready = true;
          clearTimeout(timer);
          resolve({
            release: async () => {
              stream.end();
              await ended;
            },
          });
        }
      });
      stream.on("close", () => {
        clearTimeout(timer);
        if (!ready) reject(new CommandEnded({ exitCode, stdout, stderr }));
      });
    });
  });
}

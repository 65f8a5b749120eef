#!/usr/bin/env node
/**
 * `pulumi-mcp logs`: the log of one component of a stack, read over its own
 * SSH connection (a follow never takes a deploy's channel). Where the node is
 * and how to log in come from the stack's state (`pulumi stack export
 * --show-secrets`, read into memory, never printed), as refresh and destroy
 * use them.
 */
import { execFile } from "node:child_process";
import { runtimeFor } from "../runtime";
import { workloadName } from "../spec/component";
import { messageOf } from "../spec/message-of";
import { closeAllConnections } from "../transport";
import { LOGS_USAGE, type LogsArgs, parseLogsArgs } from "./logs-args";
import { workloadOfStack } from "./stack-workload";

/** The stack's state as JSON, its secrets decrypted (the same access `pulumi up` needs). */
function exportStack(args: LogsArgs): Promise<unknown> {
  const argv = [
    "stack",
    "export",
    "--show-secrets",
    ...(args.stack ? ["--stack", args.stack] : []),
  ];
  return new Promise((resolve, reject) => {
    execFile(
      process.env.PULUMI_MCP_PULUMI ?? "pulumi",
      argv,
      { cwd: args.cwd ?? process.cwd(), maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        // pulumi's stderr says what went wrong (no stack, wrong passphrase); stdout holds secrets.
        if (error)
          return reject(
            new Error(`pulumi ${argv.join(" ")} failed: ${stderr.trim() || error.message}`),
          );
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new Error(`pulumi ${argv.join(" ")} printed no JSON`));
        }
      },
    );
  });
}

async function logs(argv: readonly string[]): Promise<number> {
  const args = parseLogsArgs(argv);
  const spec = workloadOfStack(await exportStack(args), args.service, args.component);
  const runtime = runtimeFor(spec);
  if (!runtime.streamLogs) throw new Error(`the ${spec.runtime} runtime cannot stream logs`);
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  try {
    return await runtime.streamLogs(workloadName(spec), args, {
      signal: stop.signal,
      onOutput: (stream, chunk) =>
        (stream === "stdout" ? process.stdout : process.stderr).write(chunk),
    });
  } catch (error) {
    if (stop.signal.aborted) return 0; // Ctrl-C ends a follow: not a failure
    throw error;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "logs") return logs(rest);
  process.stderr.write(
    `${command === undefined || command === "--help" ? "" : `unknown command ${JSON.stringify(command)}\n`}${LOGS_USAGE}\n`,
  );
  return command === "--help" ? 0 : 2;
}

main(process.argv.slice(2))
  .catch((error: unknown) => {
    process.stderr.write(`pulumi-mcp: ${messageOf(error)}\n`);
    return 1;
  })
  .then(async (code) => {
    await closeAllConnections();
    process.exitCode = code;
  });

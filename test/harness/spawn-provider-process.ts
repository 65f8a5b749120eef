// TEST TOOL — not shipped. Starts @pulumi/pulumi's dynamic-provider process the way the engine
// does (`node <sdk>/cmd/dynamic-provider/index.js <engine-address>`, cwd = program directory) and
// reads the gRPC port it prints. Used by dynamic-provider-process.ts.

import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { childEnv } from "./child-env";

export interface SpawnProviderOptions {
  cwd: string;
  env?: Record<string, string>;
  engineAddress?: string;
  startTimeoutMs?: number;
}

export interface ProviderProcess {
  pid: number;
  port: number;
  stdout(): string;
  stderr(): string;
  kill(): Promise<void>;
}

export const DYNAMIC_PROVIDER_SCRIPT = "@pulumi/pulumi/cmd/dynamic-provider/index.js";
const EXIT_WITH_PARENT = path.join(__dirname, "exit-with-parent.js");

export function spawnProviderProcess(options: SpawnProviderOptions): Promise<ProviderProcess> {
  // Resolved from the program directory, so the program's installed SDK copy is the one run.
  const script = require.resolve(DYNAMIC_PROVIDER_SCRIPT, { paths: [options.cwd] });
  // The one addition to the engine's command line: a preload that ends the process when our end
  // of its stdin closes, so a test worker that dies before close() leaves no orphan behind.
  const args = ["--require", EXIT_WITH_PARENT, script, options.engineAddress ?? "127.0.0.1:1"];
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => killProcess(child, exited);

  return new Promise((resolve, reject) => {
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    const failed = (why: string) => {
      clearTimeout(timer);
      child.stdout.off("data", onData);
      void kill().then(() => reject(new Error(`dynamic provider ${why}\nstderr:\n${err}`)));
    };
    const timer = setTimeout(() => failed(`printed no port within ${timeoutMs}ms`), timeoutMs);
    const onData = () => {
      const line = /^(\d+)\r?\n/.exec(out);
      if (!line?.[1] || child.pid === undefined) return;
      clearTimeout(timer);
      child.stdout.off("data", onData);
      child.off("exit", onEarlyExit);
      const pid = child.pid;
      resolve({ pid, port: Number(line[1]), stdout: () => out, stderr: () => err, kill });
    };
    const onEarlyExit = (code: number | null) => failed(`exited (${code}) before printing a port`);
    child.stdout.on("data", onData);
    child.once("exit", onEarlyExit);
    child.on("error", (e) => {
      err += `\n[spawn error] ${e.message}`;
      failed(`could not start: ${e.message}`);
    });
  });
}

async function killProcess(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(child.pid, sig);
    } catch {
      // Already gone (ESRCH).
    }
  };
  if (child.pid === undefined) return;
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

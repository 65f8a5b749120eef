// TEST ENGINE — not shipped. Runs a Pulumi program in its own node process through the SDK's
// language entry, as the nodejs language host does:
//   node <sdk>/cmd/run/index.js --monitor=ADDR --project P --stack S --pwd DIR [--dry-run] .
// with PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS and PULUMI_NODEJS_TYPESCRIPT. No --engine: log
// calls go to the program's own stderr, and nothing asks the engine for a root resource.

import { spawn } from "node:child_process";
import * as path from "node:path";
import { childEnv } from "../harness/child-env";

export interface ProgramRunOptions {
  /** The project directory (Pulumi.yaml): --root-directory. */
  programDir: string;
  /** --pwd: the working directory (`main:` when it is a directory); programDir by default. */
  pwd?: string;
  /** What to run: "." (the default) or a file (`main:` when it is a file). */
  entry?: string;
  project: string;
  stack: string;
  monitorAddress: string;
  dryRun: boolean;
  /** "project:key" -> string value. */
  config: Record<string, string>;
  /** Full keys ("project:key") whose values are secret. */
  secretKeys: string[];
  typescript: boolean;
  env: Record<string, string>;
  timeoutMs: number;
}

export interface ProgramExit {
  /** null when killed by a signal (or our timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

const RUN_SCRIPT = "@pulumi/pulumi/cmd/run/index.js";
/** A workaround for a Node bug that makes a failed registration take ~16 s to print. */
const PROGRAM_PRELOAD = path.join(__dirname, "program-preload.js");

export function runProgram(options: ProgramRunOptions): Promise<ProgramExit> {
  // The SDK the program itself resolves, as the language host does.
  const pwd = options.pwd ?? options.programDir;
  const script = require.resolve(RUN_SCRIPT, { paths: [pwd] });
  // No exit-with-parent preload here (unlike the provider process): an open stdin would keep the
  // program's event loop alive, and the SDK waits for an empty loop before it signals shutdown.
  const args = [
    "--require",
    PROGRAM_PRELOAD,
    script,
    `--monitor=${options.monitorAddress}`,
    "--project",
    options.project,
    "--stack",
    options.stack,
    "--pwd",
    pwd,
    "--root-directory",
    options.programDir,
    ...(options.dryRun ? ["--dry-run"] : []),
    options.entry ?? ".",
  ];
  const env = childEnv({
    ...options.env,
    PULUMI_CONFIG: JSON.stringify(options.config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(options.secretKeys),
    ...(options.typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
  });
  const child = spawn(process.execPath, args, {
    cwd: pwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    }, options.timeoutMs);
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    };
    child.on("error", (error) => {
      stderr += `\n[test engine] could not start the program: ${error.message}`;
      if (child.pid === undefined) done(null, null);
    });
    child.on("close", done);
  });
}

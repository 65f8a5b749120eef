// TEST ONLY. The real Pulumi CLI, as a user runs it in a project directory: `pulumi stack init`,
// `pulumi config set [--secret] [--path]` run the binary itself; preview/up/refresh/destroy run it
// through run-program.ts (the program's process; see README.md here). Offline: a file backend
// inside the program directory, PULUMI_HOME of its own, no update check, no plugin downloads.
// A missing binary fails loudly: nothing falls back to anything else.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { REPO_ROOT } from "./repo-root";
import type { RunOptions, RunResult } from "./run-program";

const PROBE_PRELOAD = path.join(__dirname, "provider-probe-preload.js");
const RUNNER = path.join(__dirname, "run-program.ts");

let root: string | undefined;

/** The directory whose bin/ holds the `pulumi` that test/fixtures/pulumi-cli.sh built. */
export function pulumiRoot(): string {
  if (root) return root;
  const bin = execFileSync("bash", [path.join(REPO_ROOT, "test/fixtures/pulumi-cli.sh"), "bin"], {
    encoding: "utf8",
  }).trim();
  if (!existsSync(path.join(bin, "pulumi"))) {
    throw new Error(
      `the real Pulumi CLI is missing (${bin}/pulumi): run \`bash test/fixtures/pulumi-cli.sh up\` (npm run nodes does)`,
    );
  }
  root = path.dirname(bin);
  return root;
}

/** A config value; `{ secret }` is set with `pulumi config set --secret`. */
export type ConfigValue = string | number | boolean | { secret: string };

export interface Step {
  /** The resource's name (the last part of its URN). */
  name: string;
  urn: string;
  type: string;
  op: OpType;
  /** Top-level inputs that differ, as the engine reports them. */
  diffs: string[];
  /** Keys causing a replacement. */
  keys: string[];
  detailedDiff: Record<string, { kind: string; inputDiff: boolean }>;
  oldOutputs: Record<string, unknown>;
  newOutputs: Record<string, unknown>;
}

export interface CliRun extends RunResult {
  /** One per resource the engine stepped over (its resource-pre events). */
  steps: Step[];
  /** SSH handshakes the provider process completed (all nodes, jumped ones too). */
  handshakes: number;
  /** `host:port` of every TCP connect the provider process attempted. */
  connects: string[];
  /** Every command the provider process ran over SSH, as `host:port command`. */
  execs: string[];
  /** Every process the provider process started on this machine (`local: true` nodes), as its argv joined by spaces. */
  spawns: string[];
  /** Every line of the run's probe log (PULUMI_MCP_TEST_PROBE_LOG), other preloads' included. */
  probe: string[];
}

export interface CliStackOptions {
  /** The program directory (a Pulumi.yaml, its package.json and node_modules). */
  dir: string;
  stack: string;
  /** PULUMI_CONFIG_PASSPHRASE of this stack (the passphrase secrets provider). */
  passphrase: string;
  /**
   * Extra environment for the CLI and the provider it starts. Its NODE_OPTIONS comes after the
   * probe's `--require` (more preloads, e.g. the bench's).
   */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Called with each run's text (what the CLI printed); tests print it when they fail. */
  onRun?: (text: string) => void;
}

export class CliStack {
  readonly backend: string;
  readonly home: string;
  readonly project: string;

  constructor(readonly options: CliStackOptions) {
    this.backend = path.join(options.dir, ".pulumi-backend");
    this.home = path.join(options.dir, ".pulumi-home");
    mkdirSync(this.backend, { recursive: true });
    mkdirSync(this.home, { recursive: true });
    this.project = projectName(options.dir);
  }

  get stack(): string {
    return this.options.stack;
  }

  /** The environment every command runs with. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const bin = path.join(pulumiRoot(), "bin");
    return {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      PULUMI_HOME: this.home,
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_CONFIG_PASSPHRASE: this.options.passphrase,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_MCP_PULUMI_ROOT: pulumiRoot(),
      ...this.options.env,
      ...extra,
    };
  }

  /** Runs `pulumi ARGS…` in the program directory; throws with its output when it fails. */
  pulumi(args: string[], input?: string): string {
    const result = spawnSync(path.join(pulumiRoot(), "bin", "pulumi"), args, {
      cwd: this.options.dir,
      env: this.env(),
      input,
      encoding: "utf8",
      timeout: 60_000,
    });
    if (result.status !== 0) {
      throw new Error(
        `pulumi ${args.join(" ")} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
      );
    }
    return result.stdout;
  }

  /**
   * A fresh stack: whatever state an earlier run left is dropped (the node is the caller's), and
   * so is its Pulumi.<stack>.yaml unless `keepConfig` (a stack file the program ships).
   */
  init(keepConfig = false): this {
    const existing = JSON.parse(this.pulumi(["stack", "ls", "--json"])) as { name: string }[];
    if (existing.some((s) => s.name === this.stack)) {
      this.pulumi(["stack", "rm", "--yes", "--force", "--preserve-config", this.stack]);
    }
    if (!keepConfig)
      rmSync(path.join(this.options.dir, `Pulumi.${this.stack}.yaml`), { force: true });
    this.pulumi(["stack", "init", this.stack]);
    return this;
  }

  /** `pulumi config set [--secret] [--path] KEY` with the value on stdin, as a user pipes a key file. */
  setConfig(key: string, value: string, flags: { secret?: boolean; path?: boolean } = {}): void {
    const args = ["config", "set", "--stack", this.stack];
    if (flags.secret) args.push("--secret");
    if (flags.path) args.push("--path");
    this.pulumi([...args, key], value);
  }

  setAllConfig(config: Record<string, ConfigValue>): void {
    for (const [key, value] of Object.entries(config)) {
      if (typeof value === "object") this.setConfig(key, value.secret, { secret: true });
      else this.setConfig(key, String(value));
    }
  }

  /** The stack's checkpoint in the file backend, as text (secrets there are ciphertext). */
  stateText(): string {
    const file = path.join(this.backend, ".pulumi", "stacks", this.project, `${this.stack}.json`);
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  }

  /** `pulumi stack export`: the deployment as the engine keeps it (secrets as ciphertext). */
  exportState(): {
    resources?: { urn: string; type: string; id?: string; outputs?: Record<string, unknown> }[];
  } {
    const exported = JSON.parse(this.pulumi(["stack", "export", "--stack", this.stack])) as {
      deployment: {
        resources?: { urn: string; type: string; id?: string; outputs?: Record<string, unknown> }[];
      };
    };
    return exported.deployment;
  }

  /** One preview/up/refresh/destroy; its output is printed if the current test then fails. */
  async run(
    operation: "preview" | "up" | "refresh" | "destroy",
    options: RunOptions = {},
  ): Promise<CliRun> {
    const scratch = path.join(this.options.dir, ".runs");
    mkdirSync(scratch, { recursive: true });
    const id = `${Date.now()}-${operation}`;
    const resultFile = path.join(scratch, `${id}.json`);
    const probeLog = path.join(scratch, `${id}.probe`);
    const env = this.env({
      PULUMI_MCP_TEST_PROBE_LOG: probeLog,
      PULUMI_MCP_TRACE: "1",
      NODE_OPTIONS: [`--require ${PROBE_PRELOAD}`, this.options.env?.NODE_OPTIONS]
        .filter(Boolean)
        .join(" "),
    });
    const child = await spawnAsync(
      process.execPath,
      [
        "--require",
        "ts-node/register/transpile-only",
        RUNNER,
        resultFile,
        operation,
        this.options.dir,
        this.stack,
        JSON.stringify(options),
      ],
      {
        cwd: REPO_ROOT,
        // The preload acts only in the dynamic-provider process the CLI starts.
        env,
        timeoutMs: this.options.timeoutMs ?? 150_000,
      },
    );
    if (!existsSync(resultFile)) {
      throw new Error(
        `run-program.ts ${operation} wrote no result:\n${child.stdout}${child.stderr}`,
      );
    }
    const result = JSON.parse(readFileSync(resultFile, "utf8")) as RunResult;
    const probe = existsSync(probeLog) ? readFileSync(probeLog, "utf8").split("\n") : [];
    const run: CliRun = {
      ...result,
      steps: stepsOf(result.events),
      handshakes: probe.filter((line) => line.startsWith("handshake ")).length,
      connects: probe.filter((l) => l.startsWith("connect ")).map((l) => l.slice(8)),
      execs: probe.filter((l) => l.startsWith("exec ")).map((l) => l.slice(5)),
      spawns: probe.filter((l) => l.startsWith("spawn ")).map((l) => l.slice(6)),
      probe,
    };
    this.options.onRun?.(
      `pulumi ${operation} (${this.stack}) ${run.ok ? "succeeded" : `failed: ${run.error}`}\n${run.stdout}\n${run.stderr}\n${child.stderr}`,
    );
    return run;
  }
}

function projectName(dir: string): string {
  const yaml = readFileSync(path.join(dir, "Pulumi.yaml"), "utf8");
  const name = /^name:\s*["']?([^"'\s#]+)/m.exec(yaml)?.[1];
  if (!name) throw new Error(`${dir}/Pulumi.yaml has no name:`);
  return name;
}

function stepsOf(events: EngineEvent[]): Step[] {
  return events.flatMap((event) => {
    const meta = event.resourcePreEvent?.metadata;
    if (!meta) return [];
    return [
      {
        name: meta.urn.slice(meta.urn.lastIndexOf("::") + 2),
        urn: meta.urn,
        type: meta.type,
        op: meta.op,
        diffs: meta.diffs ?? [],
        keys: meta.keys ?? [],
        detailedDiff: (meta.detailedDiff ?? {}) as unknown as Step["detailedDiff"],
        oldOutputs: meta.old?.outputs ?? {},
        newOutputs: meta.new?.outputs ?? {},
      },
    ];
  });
}

/** The one step of the resource named `name`. */
export function stepOf(run: CliRun, name: string): Step {
  const steps = run.steps.filter((s) => s.name === name);
  if (steps.length !== 1) {
    throw new Error(`expected one step of ${name}, got ${JSON.stringify(steps.map((s) => s.op))}`);
  }
  return steps[0] as Step;
}

/** Every step's op by resource name (the stack itself included). */
export function opsByName(run: CliRun): Record<string, string> {
  return Object.fromEntries(run.steps.map((s) => [s.name, s.op]));
}

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnAsync(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(
        new Error(
          `${path.basename(args[2] ?? command)} timed out after ${options.timeoutMs} ms:\n${stdout}${stderr}`,
        ),
      );
    }, options.timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

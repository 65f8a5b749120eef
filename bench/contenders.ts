// BENCH ONLY. The three contenders of bench/run.sh, each able to run one scenario and say how
// long it took and how many SSH handshakes and sessions (exec channels) it used per node.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { DeployPhases } from "../provider/runtime/unikernel-runtime";

export const BENCH_DIR = __dirname;

export type Scenario =
  | "deploy"
  | "preview"
  | "nochange"
  | "nochange-transpile"
  | "empty"
  | "bump"
  | "refresh"
  | "refresh-seq"
  | "destroy"
  | "destroy-seq";

export interface BenchNode {
  /** "a", "b": also the service suffix (bencha, benchb). */
  label: string;
  host: string;
  port: number;
  user: string;
  hostKey: string;
  knownHostsFile: string;
  portBase: number;
}

export interface Setup {
  nodes: BenchNode[];
  count: number;
  images: { v1: string; v2: string };
  keyFile: string;
  stopTimeout: number;
  /** Commands at once per node for the floor and pulumi-mcp: the bench sshds' MaxSessions. */
  sessions: number;
  work: string;
  servicePrefix: string;
}

export interface NodeCounts {
  handshakes: number;
  channels: number;
}

export interface Sample {
  contender: string;
  scenario: Scenario;
  rep: number;
  t0: number;
  t1: number;
  ms: number;
  /** By node label ("a", "b"); absent when the contender cannot tell. */
  nodes?: Record<string, NodeCounts>;
  trace?: ProviderTrace;
  program?: { origin: number; exit: number };
  note?: string;
}

export interface Contender {
  name: string;
  /** Forget any state left from an earlier repetition (the nodes are cleaned separately). */
  reset?(): void;
  run(scenario: Scenario, image: string, rep: number): Promise<Sample>;
}

export function serviceOf(setup: Setup, node: BenchNode): string {
  return `${setup.servicePrefix}${node.label}`;
}

export function containerNames(setup: Setup): string[] {
  const names: string[] = [];
  for (const node of setup.nodes) {
    for (let i = 0; i < setup.count; i++) {
      names.push(`${serviceOf(setup, node)}-c${String(i).padStart(2, "0")}`);
    }
  }
  return names;
}

function nodeByPort(setup: Setup, port: number): BenchNode | undefined {
  return setup.nodes.find((n) => n.port === port);
}

function runChild(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      writeFileSync(
        logFile,
        `$ ${command} ${args.join(" ")}\n${stdout}\n--- stderr ---\n${stderr}`,
      );
      resolve({ code, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The floor
// ---------------------------------------------------------------------------------------------

export function floorContender(setup: Setup): Contender {
  const nodesFile = path.join(setup.work, "floor-nodes.txt");
  writeFileSync(
    nodesFile,
    setup.nodes
      .map(
        (n) =>
          `${n.label} ${n.host} ${n.port} ${n.knownHostsFile} ${serviceOf(setup, n)} ${n.portBase}\n`,
      )
      .join(""),
  );
  const logs = path.join(setup.work, "logs");
  mkdirSync(logs, { recursive: true });
  return {
    name: "floor",
    async run(scenario, image, rep) {
      const env = {
        ...process.env,
        BENCH_KEY: setup.keyFile,
        BENCH_COUNT: String(setup.count),
        BENCH_IMAGE: image,
        BENCH_STOP_TIMEOUT: String(setup.stopTimeout),
        FLOOR_PARALLEL: String(setup.sessions),
        BENCH_WORK: setup.work,
      };
      const t0 = Date.now();
      const result = await runChild(
        "bash",
        [path.join(BENCH_DIR, "floor.sh"), scenario, nodesFile],
        env,
        path.join(logs, `floor-${scenario}-${rep}.log`),
      );
      const t1 = Date.now();
      if (result.code !== 0) {
        throw new Error(
          `floor ${scenario} failed (${result.code}):\n${result.stderr.slice(-2000)}`,
        );
      }
      const nodes: Record<string, NodeCounts> = {};
      for (const m of result.stdout.matchAll(/^floor (\S+) handshakes=(\d+) sessions=(\d+)$/gm)) {
        nodes[m[1] as string] = { handshakes: Number(m[2]), channels: Number(m[3]) };
      }
      return { contender: "floor", scenario, rep, t0, t1, ms: t1 - t0, nodes };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Ansible
// ---------------------------------------------------------------------------------------------

export function ansibleContender(setup: Setup): Contender {
  const dir = path.join(setup.work, "ansible");
  const home = path.join(dir, "home");
  mkdirSync(home, { recursive: true });
  const knownHosts = path.join(dir, "known_hosts");
  writeFileSync(
    knownHosts,
    setup.nodes.map((n) => readFileSync(n.knownHostsFile, "utf8")).join(""),
  );
  const inventory = path.join(dir, "inventory.ini");
  writeFileSync(
    inventory,
    [
      "[bench]",
      ...setup.nodes.map(
        (n) =>
          `node-${n.label} ansible_host=${n.host} ansible_port=${n.port} service=${serviceOf(setup, n)} port_base=${n.portBase}`,
      ),
      "",
      "[bench:vars]",
      `ansible_user=${setup.nodes[0]?.user ?? "root"}`,
      `ansible_ssh_private_key_file=${setup.keyFile}`,
      `ansible_ssh_common_args='-F /dev/null -o IdentitiesOnly=yes -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes'`,
      // Skips interpreter discovery (one more round trip per host and a warning); the node's
      // python3 is the one discovery would find.
      "ansible_python_interpreter=/usr/bin/python3",
      "",
    ].join("\n"),
  );
  const logs = path.join(setup.work, "logs");
  return {
    name: "ansible",
    async run(scenario, image, rep) {
      const playbook =
        { deploy: "deploy", nochange: "deploy", bump: "deploy" }[scenario as string] ?? scenario;
      if (!["deploy", "refresh", "destroy"].includes(playbook)) {
        throw new Error(`ansible has no ${scenario} scenario`);
      }
      const runDir = path.join(dir, `run-${scenario}-${rep}`);
      rmSync(runDir, { recursive: true, force: true });
      const sshLog = path.join(runDir, "ssh");
      const controlDir = path.join(runDir, "cp");
      mkdirSync(sshLog, { recursive: true });
      mkdirSync(controlDir, { recursive: true });
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${path.join(BENCH_DIR, "ansible", "bin")}:${process.env.PATH ?? ""}`,
        BENCH_SSH_LOG: sshLog,
        ANSIBLE_HOME: home,
        ANSIBLE_LOCAL_TEMP: path.join(home, "tmp"),
        // A fresh ControlPath directory per run: every run starts without a connection, like
        // the other contenders (ControlPersist=60s would otherwise carry masters across runs).
        ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
        ANSIBLE_RETRY_FILES_ENABLED: "false",
        ANSIBLE_NOCOLOR: "1",
        ANSIBLE_FORKS: "5",
      };
      const args = [
        "-i",
        inventory,
        path.join(BENCH_DIR, "ansible", `${playbook}.yml`),
        "-e",
        `count=${setup.count}`,
        "-e",
        `stop_timeout=${setup.stopTimeout}`,
        "-e",
        `image=${image}`,
      ];
      const t0 = Date.now();
      const result = await runChild(
        "ansible-playbook",
        args,
        env,
        path.join(logs, `ansible-${scenario}-${rep}.log`),
      );
      const t1 = Date.now();
      closeMasters(controlDir);
      if (result.code !== 0) {
        throw new Error(
          `ansible ${scenario} failed (${result.code}):\n${result.stdout.slice(-3000)}`,
        );
      }
      const changed = [...result.stdout.matchAll(/^node-\S+\s*:.*changed=(\d+)/gm)].map((m) =>
        Number(m[1]),
      );
      // Ansible counts changed tasks, not loop items: the one looped task per host.
      const expectChanged = scenario === "nochange" || scenario === "refresh" ? 0 : 1;
      const note =
        changed.length === setup.nodes.length && changed.every((c) => c === expectChanged)
          ? undefined
          : `changed=${changed.join(",")} (expected ${expectChanged} task(s) per host)`;
      return {
        contender: "ansible",
        scenario,
        rep,
        t0,
        t1,
        ms: t1 - t0,
        nodes: ansibleCounts(setup, sshLog),
        note,
      };
    },
  };
}

/** Sessions: one per ssh/sftp/scp invocation; handshakes: ssh logs that authenticated. */
function ansibleCounts(setup: Setup, sshLog: string): Record<string, NodeCounts> {
  const counts: Record<string, NodeCounts> = {};
  for (const n of setup.nodes) counts[n.label] = { handshakes: 0, channels: 0 };
  const invocations = existsSync(path.join(sshLog, "invocations"))
    ? readFileSync(path.join(sshLog, "invocations"), "utf8").split("\n")
    : [];
  for (const line of invocations) {
    const port = /Port=(\d+)/.exec(line)?.[1];
    const node = port ? nodeByPort(setup, Number(port)) : undefined;
    if (node) (counts[node.label] as NodeCounts).channels += 1;
  }
  for (const file of readdirSync(sshLog).filter((f) => f.endsWith(".log"))) {
    const text = readFileSync(path.join(sshLog, file), "utf8");
    if (!text.includes("Authenticated to")) continue;
    const port = /Connecting to \S+ \[\S+\] port (\d+)/.exec(text)?.[1];
    const node = port ? nodeByPort(setup, Number(port)) : undefined;
    if (node) (counts[node.label] as NodeCounts).handshakes += 1;
  }
  return counts;
}

/** Ends the ControlPersist masters Ansible left in `controlDir`, by their sockets. */
function closeMasters(controlDir: string): void {
  for (const socket of existsSync(controlDir) ? readdirSync(controlDir) : []) {
    try {
      execFileSync(
        "/usr/bin/ssh",
        [
          "-F",
          "/dev/null",
          "-o",
          `ControlPath=${path.join(controlDir, socket)}`,
          "-O",
          "exit",
          "x",
        ],
        { stdio: "ignore", timeout: 10_000 },
      );
    } catch {
      // already gone
    }
  }
}

// ---------------------------------------------------------------------------------------------
// pulumi-mcp through the test engine
// ---------------------------------------------------------------------------------------------

export interface ExecEvent {
  node: string;
  kind: string;
  op?: string;
  name?: string;
  asked?: number;
  t0: number;
  opened?: number;
  first?: number;
  t1?: number;
}

export interface OpEvent {
  op: string;
  name?: string;
  t0: number;
  t1?: number;
  ok: boolean;
}

export interface ProviderTrace {
  origin: number;
  exit: number;
  connects: { node: string; t0: number; ready?: number }[];
  execs: ExecEvent[];
  ops: OpEvent[];
  counters: Record<
    string,
    { handshakes: number; channels: number; bytesOut: number; bytesIn: number }
  >;
  problems: string[];
  /** Unikernel deploys' phases by VM name (the runtime's lastDeployPhases). */
  phases?: Record<string, DeployPhases>;
}

/** The snapshot's test engine, loaded through ts-node from `src` (see run.sh). */
// biome-ignore lint/suspicious/noExplicitAny: modules loaded at run time from the snapshot
type Any = any;

export interface McpOptions {
  name: string;
  src: string;
  programDir: string;
  project: string;
  stateFile: string;
  /** Components per node, for this stack (the per-operation table uses 1). */
  count?: number;
  nodes?: BenchNode[];
  minUptime?: number;
  /** Unikernel components instead of containers (with this acceleration). */
  unikernel?: { accel: "kvm" | "tcg" };
  /** Every program run with PULUMI_NODEJS_TRANSPILE_ONLY=true (an experiment). */
  transpileOnly?: boolean;
}

export function mcpContender(setup: Setup, options: McpOptions): Contender {
  const engine: Any = require(path.join(options.src, "test/engine/index.ts"));
  const sessions: Any = require(path.join(options.src, "test/engine/provider-session.ts"));
  const stackConfig: Any = require(path.join(options.src, "test/engine/stack-config.ts"));
  const stateFile: Any = require(path.join(options.src, "test/engine/state-file.ts"));
  const values: Any = require(path.join(options.src, "test/engine/property-values.ts"));
  const nodes = options.nodes ?? setup.nodes;
  const stack = "bench";
  const key = readFileSync(setup.keyFile, "utf8");
  const providerEnv = {
    PULUMI_MCP_TRACE: "1",
    NODE_OPTIONS: `--require ${path.join(BENCH_DIR, "trace-provider.js")}`,
  };
  const programEnv: Record<string, string> = {
    NODE_OPTIONS: `--require ${path.join(BENCH_DIR, "trace-program.js")}`,
    ...(options.transpileOnly ? { PULUMI_NODEJS_TRANSPILE_ONLY: "true" } : {}),
  };
  const config = (image: string) => ({
    nodes: JSON.stringify(
      nodes.map((n) => ({
        host: n.host,
        port: n.port,
        user: n.user,
        hostKey: n.hostKey,
        portBase: n.portBase,
      })),
    ),
    count: options.count ?? setup.count,
    image,
    sshKey: { secret: key },
    servicePrefix: setup.servicePrefix,
    stopTimeout: setup.stopTimeout,
    maxSessions: setup.sessions,
    ...(options.unikernel ? { runtime: "unikernel", accel: options.unikernel.accel } : {}),
    ...(options.minUptime === undefined ? {} : { minUptime: options.minUptime }),
  });

  /** What the Pulumi CLI does for refresh/destroy of independent resources: all calls at once. */
  async function parallel(operation: "refresh" | "destroy", image: string) {
    const old = stateFile.loadState(options.stateFile, options.project, stack);
    const cfg = stackConfig.stackConfig(options.project, config(image));
    const session = sessions.providerSession({
      programDir: options.programDir,
      project: options.project,
      stack,
      config: stackConfig.configureArgs(cfg),
      env: providerEnv,
    });
    let problem: string | undefined;
    try {
      const resources = old.resources.filter((r: Any) => r.custom && r.id);
      const client = await session.client();
      if (operation === "refresh") {
        const reads = await Promise.all(
          resources.map((r: Any) =>
            client.read(r.urn, r.id, values.plain(r.outputs), values.plain(r.inputs)),
          ),
        );
        const gone = reads.filter((r: Any) => r.id === "").length;
        if (gone > 0) problem = `${gone} component(s) gone`;
      } else {
        await Promise.all(
          resources.map((r: Any) => client.delete(r.urn, r.id, values.plain(r.outputs))),
        );
        stateFile.saveState(options.stateFile, stateFile.emptyState(options.project, stack));
      }
    } finally {
      await session.close();
    }
    return { providerStderr: session.stderr() as string, stderr: "", problem };
  }

  return {
    name: options.name,
    reset() {
      rmSync(options.stateFile, { force: true });
    },
    async run(scenario, image, rep) {
      const t0 = Date.now();
      let out: { providerStderr: string; stderr: string; problem?: string };
      if (scenario === "refresh" || scenario === "destroy") {
        out = await parallel(scenario, image);
      } else {
        const operation = {
          deploy: "up",
          nochange: "up",
          "nochange-transpile": "up",
          empty: "up",
          bump: "up",
          preview: "preview",
          "refresh-seq": "refresh",
          "destroy-seq": "destroy",
        }[scenario];
        // "empty": the same program declaring nothing (count 0), against a state of its own: what
        // a run costs before any resource is involved.
        const empty = scenario === "empty";
        const summary = await engine.runPulumi({
          programDir: options.programDir,
          project: options.project,
          stack,
          config: empty ? { ...config(image), count: 0 } : config(image),
          stateFile: empty ? `${options.stateFile}.empty.json` : options.stateFile,
          operation,
          // The SDK type-checks a TypeScript program unless told not to; this scenario measures
          // how much of a run that is.
          env:
            scenario === "nochange-transpile"
              ? { ...programEnv, PULUMI_NODEJS_TRANSPILE_ONLY: "true" }
              : programEnv,
          providerEnv,
          timeoutMs: 15 * 60_000,
        });
        const ops = (summary.resources as Any[]).filter((r) => r.custom).map((r) => r.op as string);
        const want = {
          deploy: "create",
          nochange: "same",
          "nochange-transpile": "same",
          empty: "same",
          bump: "update",
          preview: "same",
          "refresh-seq": "read",
          "destroy-seq": "delete",
        }[scenario];
        const wrong = ops.filter((op) => op !== want);
        out = {
          providerStderr: summary.providerStderr,
          stderr: summary.stderr,
          problem:
            wrong.length > 0 ? `unexpected steps: ${[...new Set(wrong)].join(",")}` : undefined,
        };
      }
      const t1 = Date.now();
      const traceLine = /^bench-trace (.*)$/m.exec(out.providerStderr)?.[1];
      const trace = traceLine ? (JSON.parse(traceLine) as ProviderTrace) : undefined;
      const programLine = /^bench-program (.*)$/m.exec(out.stderr)?.[1];
      const counts: Record<string, NodeCounts> = {};
      for (const n of nodes) counts[n.label] = { handshakes: 0, channels: 0 };
      for (const [label, c] of Object.entries(trace?.counters ?? {})) {
        const port = Number(/:(\d+)$/.exec(label)?.[1]);
        const node = nodes.find((n) => n.port === port);
        if (node) counts[node.label] = { handshakes: c.handshakes, channels: c.channels };
      }
      const problems = [out.problem, ...(trace?.problems ?? [])].filter(Boolean);
      if (!trace && !["preview", "nochange", "nochange-transpile", "empty"].includes(scenario)) {
        problems.push("no provider trace");
      }
      return {
        contender: options.name,
        scenario,
        rep,
        t0,
        t1,
        ms: t1 - t0,
        nodes: counts,
        trace,
        program: programLine ? JSON.parse(programLine) : undefined,
        note: problems.length > 0 ? problems.join("; ") : undefined,
      };
    },
  };
}

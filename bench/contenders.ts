// BENCH ONLY. The contenders of bench/run.sh, each able to run one scenario and say how
// long it took and how many SSH handshakes and sessions (exec channels) it used per node.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { DeployPhases } from "../provider/runtime/unikernel-runtime";

export const BENCH_DIR = __dirname;

export type Scenario = "deploy" | "preview" | "nochange" | "empty" | "bump" | "refresh" | "destroy";

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
  /** TCP connects to the node (pulumi-mcp: the probe's connect lines). */
  connects?: number;
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
  program?: RunnerTrace;
  note?: string;
}

export interface Contender {
  name: string;
  /** Forget any state left from an earlier repetition (the nodes are cleaned separately). */
  reset?(): void;
  /** Once before the first repetition, untimed. */
  warmUp?(): Promise<void>;
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
// pulumi-mcp through the real Pulumi CLI (test/cli)
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

/** What bench/trace-provider.js recorded in the dynamic-provider process the CLI started. */
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

/** What bench/trace-program.js recorded in test/cli/run-program.ts (the program's process). */
export interface RunnerTrace {
  origin: number;
  exit: number;
  /** Every `pulumi` command the Automation API ran: "version", "stack select", "up", … */
  commands: { args: string; t0: number; t1?: number }[];
}

type CliModule = typeof import("../test/cli/pulumi-cli");
type CliStack = InstanceType<CliModule["CliStack"]>;
type ConfigValue = import("../test/cli/pulumi-cli").ConfigValue;

/** The snapshot's test/cli (see run.sh), loaded through ts-node. */
export function cliModule(src: string): CliModule {
  return require(path.join(src, "test/cli/pulumi-cli.ts")) as CliModule;
}

export interface McpOptions {
  /** Its name in the tables. */
  name: string;
  /** The stack's name (every contender has its own stack in the one program directory). */
  stack: string;
  src: string;
  programDir: string;
  /** Components per node, for this stack (the per-operation table uses 1). */
  count?: number;
  nodes?: BenchNode[];
  minUptime?: number;
  /** Unikernel components instead of containers (with this acceleration). */
  unikernel?: { accel: "kvm" | "tcg" };
  /** The CLI's --parallel; the CLI's default when undefined. */
  parallel?: number;
  /** V8 CPU profiles of the provider and program processes, one directory per run (cpu-profile.js). */
  cpuProfileDir?: string;
  /** The same resources served by bench/null-provider.js (the sdk-null contender). */
  nullProvider?: boolean;
}

/** The control contender: the SDK and the engine with a provider that does nothing. */
export const NULL_CONTENDER = "sdk-null";

/** Contenders run through the real CLI (test/cli's CliStack): pulumi-mcp's and sdk-null. */
export function throughCli(name: string): boolean {
  return name.startsWith("pulumi-mcp") || name === NULL_CONTENDER;
}

const OPERATION: Record<Scenario, "preview" | "up" | "refresh" | "destroy"> = {
  deploy: "up",
  preview: "preview",
  nochange: "up",
  empty: "up",
  bump: "up",
  refresh: "refresh",
  destroy: "destroy",
};

/** The step the engine must report for every component. */
const WANT: Record<Scenario, string> = {
  deploy: "create",
  preview: "same",
  nochange: "same",
  empty: "same",
  bump: "update",
  refresh: "refresh",
  destroy: "delete",
};

/** Scenarios in which the provider must not open any SSH connection. */
export const NO_SSH: readonly Scenario[] = ["preview", "nochange", "empty"];

const PASSPHRASE = "bench-loopback-only";

export function mcpContender(setup: Setup, options: McpOptions): Contender {
  const cli = cliModule(options.src);
  const nodes = options.nodes ?? setup.nodes;
  const key = readFileSync(setup.keyFile, "utf8");
  const env = {
    NODE_OPTIONS: ["trace-provider.js", "trace-program.js", "cpu-profile.js"]
      .map((f) => `--require ${path.join(BENCH_DIR, f)}`)
      .join(" "),
    ...(options.nullProvider ? { BENCH_NULL_PROVIDER: "1" } : {}),
  };
  const make = (stack: string) =>
    new cli.CliStack({
      dir: options.programDir,
      stack,
      passphrase: PASSPHRASE,
      env,
      timeoutMs: 15 * 60_000,
    });
  const main = make(options.stack);
  // "empty": the same program declaring nothing (count 0) through the same CLI path, in a stack of
  // its own: what a run costs before any resource is involved.
  const empty = make(`${options.stack}-empty`);
  const configured = new Map<CliStack, Map<string, string>>();

  const config = (image: string, count: number): Record<string, ConfigValue> => ({
    nodes: JSON.stringify(
      nodes.map((n) => ({
        host: n.host,
        port: n.port,
        user: n.user,
        hostKey: n.hostKey,
        portBase: n.portBase,
      })),
    ),
    count,
    image,
    sshKey: { secret: key },
    servicePrefix: setup.servicePrefix,
    stopTimeout: setup.stopTimeout,
    maxSessions: setup.sessions,
    // The loopback bench nodes' init is not systemd.
    bootPersistence: false,
    ...(options.unikernel ? { runtime: "unikernel", accel: options.unikernel.accel } : {}),
    ...(options.minUptime === undefined ? {} : { minUptime: options.minUptime }),
    ...(options.nullProvider ? { provider: "null" } : {}),
  });

  /** A fresh stack, or `pulumi config set` of the keys that changed since the last run. */
  function configure(stack: CliStack, values: Record<string, ConfigValue>): void {
    let known = configured.get(stack);
    if (!known) {
      stack.init();
      known = new Map();
      configured.set(stack, known);
    }
    for (const [k, v] of Object.entries(values)) {
      const text = JSON.stringify(v);
      if (known.get(k) === text) continue;
      stack.setAllConfig({ [k]: v });
      known.set(k, text);
    }
  }

  const flags = options.parallel === undefined ? {} : { parallel: options.parallel };
  /** The empty stack, configured, after its first `up` (which creates its Stack resource). */
  async function emptyReady(image: string): Promise<void> {
    const fresh = !configured.has(empty);
    configure(empty, config(image, 0));
    if (!fresh) return;
    const first = await empty.run("up", flags);
    if (!first.ok)
      throw new Error(`${options.name}: the empty program's first up failed: ${first.error}`);
  }

  return {
    name: options.name,
    reset() {
      configured.delete(main);
    },
    // The first run of the CLI, node and the SDK from a cold file cache is not what is measured.
    warmUp: () => emptyReady(setup.images.v1),
    async run(scenario, image, rep) {
      const isEmpty = scenario === "empty";
      const stack = isEmpty ? empty : main;
      if (isEmpty) await emptyReady(image);
      else configure(stack, config(image, options.count ?? setup.count));
      // bench/cpu-profile.js acts when this is set (bench.ts --cpu-profile): one directory per run.
      if (options.cpuProfileDir)
        process.env.BENCH_CPU_PROFILE_DIR = path.join(
          options.cpuProfileDir,
          `${options.stack}-${scenario}-${rep}`,
        );
      const t0 = Date.now();
      const result = await stack.run(OPERATION[scenario], flags);
      delete process.env.BENCH_CPU_PROFILE_DIR;
      const t1 = Date.now();
      if (!result.ok) {
        throw new Error(
          `${options.name} ${scenario} (pulumi ${OPERATION[scenario]}) failed: ${result.error}\n${result.stdout.slice(-3000)}`,
        );
      }
      const problems: string[] = [];
      const ops = result.steps.filter((s) => s.type.endsWith(":Component")).map((s) => s.op);
      const wrong = ops.filter((op) => op !== WANT[scenario]);
      if (wrong.length > 0) problems.push(`unexpected steps: ${[...new Set(wrong)].join(",")}`);
      const expected = isEmpty ? 0 : (options.count ?? setup.count) * nodes.length;
      if (ops.length !== expected) problems.push(`${ops.length} component steps, not ${expected}`);
      const line = (prefix: string) =>
        result.probe.find((l) => l.startsWith(`${prefix} `))?.slice(prefix.length + 1);
      const traceLine = line("bench-trace");
      const trace = traceLine ? (JSON.parse(traceLine) as ProviderTrace) : undefined;
      const programLine = line("bench-program");
      const counts: Record<string, NodeCounts> = {};
      for (const n of nodes) {
        const at = `${n.host}:${n.port}`;
        const c = Object.entries(trace?.counters ?? {}).find(([label]) =>
          label.endsWith(`:${n.port}`),
        )?.[1];
        counts[n.label] = {
          // The probe's lines: every completed handshake, every TCP connect attempted.
          handshakes: result.probe.filter((l) => l === `handshake ${at}`).length,
          connects: result.connects.filter((c) => c === at).length,
          channels: c?.channels ?? 0,
        };
      }
      if (NO_SSH.includes(scenario)) {
        const opened = Object.values(counts).reduce((sum, c) => sum + (c.connects ?? 0), 0);
        if (opened > 0) problems.push(`${opened} SSH connection(s) on a run that needs none`);
      }
      problems.push(...(trace?.problems ?? []));
      if (!trace && !NO_SSH.includes(scenario)) problems.push("no provider trace");
      return {
        contender: options.name,
        scenario,
        rep,
        t0,
        t1,
        ms: t1 - t0,
        nodes: counts,
        trace,
        program: programLine ? (JSON.parse(programLine) as RunnerTrace) : undefined,
        note: problems.length > 0 ? problems.join("; ") : undefined,
      };
    },
  };
}

/** The CLI's --parallel default on this machine, as `pulumi up --help` states it. */
export function cliParallelDefault(src: string): string {
  const cli = cliModule(src);
  const help = execFileSync(path.join(cli.pulumiRoot(), "bin", "pulumi"), ["up", "--help"], {
    encoding: "utf8",
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
  });
  return /--parallel\b.*\(default (\d+)\)/.exec(help)?.[1] ?? "?";
}

/** `pulumi version` of the CLI test/cli runs. */
export function cliModuleVersion(src: string): string {
  const bin = path.join(cliModule(src).pulumiRoot(), "bin", "pulumi");
  const version = execFileSync(bin, ["version"], {
    encoding: "utf8",
    env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
  });
  return `pulumi ${version.trim()}`;
}

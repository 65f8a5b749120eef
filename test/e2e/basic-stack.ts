// TEST ONLY (e2e). examples/basic as a stack on the loopback test node, run through the test
// engine (test/engine): its config, a runner that watches the provider's SSH use, and checks on
// what the state file holds.

import { readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { prepareProgram, type RunSummary, runPulumi } from "../engine";
import type { ConfigValue, Operation } from "../engine/types";
import type { TestNodes } from "../integration/test-nodes";

/** A secret env value the e2e test looks for: in the container, never in plain text in state. */
export const API_TOKEN = "e2e-api-token-5b0c9a";

export const CONTAINER = "hello-web";
export const HTTP_PORT = 18494;
/** The example's volume: host data the node keeps across deploys (never deleted). */
export const VOLUME_DIR = "/srv/hello";

const COUNTERS_PRELOAD = path.join(__dirname, "provider-counters-preload.js");

export interface BasicStack {
  programDir: string;
  stateFile: string;
  run(operation: Operation, config?: Record<string, ConfigValue>): Promise<BasicRun>;
}

export interface BasicRun {
  summary: RunSummary;
  /** SSH handshakes the provider process made during the run (all nodes). */
  handshakes: number;
}

export function prepareBasicStack(nodes: TestNodes): BasicStack {
  const program = prepareProgram({ example: "examples/basic", name: "e2e-basic" });
  const stateFile = path.join(program.dir, ".pulumi-test-engine", "e2e.json");
  // A fresh stack each time: whatever an earlier, interrupted run left is removed by the caller.
  rmSync(stateFile, { force: true });
  const baseConfig: Record<string, ConfigValue> = {
    host: nodes.node.host,
    port: nodes.node.port,
    user: nodes.node.user,
    hostKey: nodes.node.hostKeyFingerprint,
    sshKey: { secret: readFileSync(nodes.node.privateKeyPath, "utf8") },
    apiToken: { secret: API_TOKEN },
    image: nodes.images.v1,
    httpPort: HTTP_PORT,
  };
  return {
    programDir: program.dir,
    stateFile,
    async run(operation, config = {}) {
      const summary = await runPulumi({
        programDir: program.dir,
        project: program.project,
        stack: "e2e",
        config: { ...baseConfig, ...config },
        stateFile,
        operation,
        providerEnv: { PULUMI_MCP_TRACE: "1", NODE_OPTIONS: `--require ${COUNTERS_PRELOAD}` },
        timeoutMs: 90_000,
      });
      return { summary, handshakes: handshakesIn(summary.providerStderr, program.dir) };
    },
  };
}

/**
 * Sum of `handshakes` over the counters line the preload prints, after checking that it read the
 * counters of the pulumi-mcp copy installed in the program (the one the provider runs).
 */
export function handshakesIn(providerStderr: string, programDir: string): number {
  const module = /^pulumi-mcp counters module (.*)$/m.exec(providerStderr)?.[1];
  const line = /^pulumi-mcp counters (\{.*)$/m.exec(providerStderr)?.[1];
  if (module === undefined || line === undefined) {
    throw new Error(`the provider process printed no counters:\n${providerStderr}`);
  }
  if (!module.startsWith(path.join(programDir, "node_modules", "pulumi-mcp"))) {
    throw new Error(`counters came from ${module}, not the program's pulumi-mcp`);
  }
  const counters = JSON.parse(line) as Record<string, { handshakes: number }>;
  return Object.values(counters).reduce((sum, c) => sum + c.handshakes, 0);
}

/** The step for the component, which every run of examples/basic has exactly one of. */
export function webStep(summary: RunSummary) {
  const steps = summary.resources.filter((r) => r.name === CONTAINER);
  if (steps.length !== 1)
    throw new Error(`expected one ${CONTAINER} step: ${JSON.stringify(steps)}`);
  const [step] = steps;
  if (!step) throw new Error("unreachable");
  return step;
}

/** Lines of the private key's body that would show up if it were stored in plain text. */
export function privateKeyFragments(privateKeyPath: string): string[] {
  const lines = readFileSync(privateKeyPath, "utf8").split("\n");
  return lines.filter((line) => line.length >= 20 && !line.startsWith("-----"));
}

/** "Accepted publickey" lines in the test sshd's log (shared with any other test running). */
export function sshdLogins(nodes: TestNodes): number {
  const log = readFileSync(path.join(nodes.stateDir, "ssh", "sshd.log"), "utf8");
  return log.split("\n").filter((line) => line.includes("Accepted publickey")).length;
}

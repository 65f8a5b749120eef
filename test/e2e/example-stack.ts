// TEST ONLY (e2e). An example program as a stack on the loopback test node, run through the test
// engine (test/engine — not the Pulumi CLI): pulumi-mcp installed from `npm pack`, a fresh state
// file, and per run the provider process' SSH handshakes (its own counters) and every TCP connect
// it made (network-guard-preload.js, which also refuses anything but loopback).

import { rmSync } from "node:fs";
import * as path from "node:path";
import { onTestFailed } from "vitest";
import {
  formatPreview,
  type PreparedProgram,
  prepareProgram,
  type RunSummary,
  runPulumi,
} from "../engine";
import type { ConfigValue, Operation } from "../engine/types";
import { containerNames, podman } from "../integration/test-nodes";

const PRELOADS = ["provider-counters-preload.js", "network-guard-preload.js"].map(
  (file) => `--require ${path.join(__dirname, file)}`,
);

export interface ExampleRun {
  summary: RunSummary;
  /** SSH handshakes the provider process completed (all nodes, jumped ones too). */
  handshakes: number;
  /** `host:port` of every TCP connect the provider process attempted. */
  connects: string[];
}

export interface ExampleStack {
  dir: string;
  project: string;
  stateFile: string;
  /** One run; its display and stderr are printed if the current test then fails. */
  run(operation: Operation, config?: Record<string, ConfigValue>): Promise<ExampleRun>;
}

export interface ExampleStackOptions {
  /** Directory to copy (relative to the repository, or absolute). */
  example: string;
  /** Its name under .test-nodes/programs (unique per test file). */
  name: string;
  stack: string;
  /** The stack config of every run (a function: read again before each run). */
  config: () => Record<string, ConfigValue>;
  timeoutMs?: number;
}

export function prepareExampleStack(options: ExampleStackOptions): ExampleStack {
  return exampleStack(prepareProgram({ example: options.example, name: options.name }), options);
}

/** A stack of an already prepared program (several stacks can share one). */
export function exampleStack(
  program: PreparedProgram,
  options: Pick<ExampleStackOptions, "stack" | "config" | "timeoutMs">,
): ExampleStack {
  const stateFile = path.join(program.dir, ".pulumi-test-engine", `${options.stack}.json`);
  // A fresh stack: whatever an interrupted earlier run left on the node is the caller's to remove.
  rmSync(stateFile, { force: true });
  rmSync(`${stateFile}.key`, { force: true });
  return {
    dir: program.dir,
    project: program.project,
    stateFile,
    async run(operation, config = {}) {
      const summary = await runPulumi({
        programDir: program.dir,
        project: program.project,
        stack: options.stack,
        config: { ...options.config(), ...config },
        stateFile,
        operation,
        providerEnv: { PULUMI_MCP_TRACE: "1", NODE_OPTIONS: PRELOADS.join(" ") },
        timeoutMs: options.timeoutMs ?? 100_000,
      });
      onTestFailed(() => {
        console.error(`${formatPreview(summary)}\nprogram stderr:\n${summary.stderr}`);
      });
      return {
        summary,
        handshakes: handshakesIn(summary.providerStderr, program.dir),
        connects: connectsIn(summary.providerStderr),
      };
    },
  };
}

export function connectsIn(providerStderr: string): string[] {
  return [...providerStderr.matchAll(/^pulumi-mcp-test connect (.*)$/gm)].map((m) => m[1] ?? "");
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

/** One name per call: podman 4.3's `rm -f a b` removes neither when b is missing. */
export function removeContainers(names: readonly string[]): void {
  for (const name of names) {
    for (const each of [name, `${name}-previous`]) podman("rm", "--force", "--time", "0", each);
  }
}

/** Which of `names` (or their `-previous` copies) exist on the node, running or not. */
export function leftOver(names: readonly string[]): string[] {
  const present = new Set(containerNames());
  return names.flatMap((name) => [name, `${name}-previous`]).filter((name) => present.has(name));
}

/** Every step op of a run, by resource name (the stack itself included). */
export function opsByName(summary: RunSummary): Record<string, string> {
  return Object.fromEntries(summary.resources.map((r) => [r.name, r.op]));
}

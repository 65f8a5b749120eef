// TEST ONLY (e2e). An example program as a stack of the REAL Pulumi CLI on the loopback test node:
// pulumi-mcp installed from `npm pack`, a fresh stack in a file backend inside the program
// directory, config set with `pulumi config set` as a user types it, and every run's output
// printed when the test that made it fails.

import { onTestFailed } from "vitest";
import { type PreparedProgram, prepareProgram } from "../cli/prepare-program";
import { CliStack, type ConfigValue } from "../cli/pulumi-cli";
import { containerNames, podman } from "../integration/test-nodes";

export interface ExampleStackOptions {
  /** Directory to copy (relative to the repository, or absolute). */
  example: string;
  /** Its name under .test-nodes/programs (unique per test file). */
  name: string;
  stack: string;
  /** The stack's initial config, set with `pulumi config set [--secret]`. */
  config?: Record<string, ConfigValue>;
  passphrase?: string;
  /** Keep the program's own Pulumi.<stack>.yaml (a stack file it ships). */
  keepConfig?: boolean;
  timeoutMs?: number;
}

export function prepareExampleStack(options: ExampleStackOptions): CliStack {
  return exampleStack(prepareProgram({ example: options.example, name: options.name }), options);
}

/** A fresh stack of an already prepared program (several stacks can share one). */
export function exampleStack(
  program: PreparedProgram,
  options: Omit<ExampleStackOptions, "example" | "name">,
): CliStack {
  const stack = new CliStack({
    dir: program.dir,
    stack: options.stack,
    passphrase: options.passphrase ?? `${options.stack}-e2e-loopback-only`,
    timeoutMs: options.timeoutMs,
    onRun: (text) => onTestFailed(() => console.error(text)),
  }).init(options.keepConfig);
  if (options.config) stack.setAllConfig(options.config);
  return stack;
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

/** Each container's `State.StartedAt` ("" when it does not exist): what a restart changes. */
export function startedAt(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => [
      name,
      podman("inspect", "--format", "{{.State.StartedAt}}", name).stdout.trim(),
    ]),
  );
}

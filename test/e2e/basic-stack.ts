// TEST ONLY (e2e). examples/basic as a stack on the loopback test node, run through the test
// engine (test/engine): its config, a runner that watches the provider's SSH use, and checks on
// what the state file holds.

import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { RunSummary } from "../engine";
import { type TestNodes, testNodeConfig } from "../integration/test-nodes";
import { type ExampleStack, prepareExampleStack } from "./example-stack";

/** A secret env value the e2e test looks for: in the container, never in plain text in state. */
export const API_TOKEN = "e2e-api-token-5b0c9a";

export const CONTAINER = "hello-web";
export const HTTP_PORT = 18494;
/** The example's volume: host data the node keeps across deploys (never deleted). */
export const VOLUME_DIR = "/srv/hello";

/** examples/basic as the stack "e2e", fresh each time (an earlier run's leftovers are the caller's). */
export function prepareBasicStack(nodes: TestNodes): ExampleStack {
  return prepareExampleStack({
    example: "examples/basic",
    name: "e2e-basic",
    stack: "e2e",
    config: () => ({
      ...testNodeConfig(nodes),
      apiToken: { secret: API_TOKEN },
      image: nodes.images.v1,
      httpPort: HTTP_PORT,
    }),
    timeoutMs: 90_000,
  });
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

// End to end through the TEST ENGINE (test/engine — not the Pulumi CLI): examples/fleet, two nodes
// and three services, pulumi-mcp installed from `npm pack`. Both nodes are the loopback test sshd:
// "edge" directly, "inner" through edge as its proxyJump (sshd forwarding to itself). That is the
// one way to have a second node here that still exercises something real (a jumped SSH connection
// with its own host key check), where `local: true` would skip SSH altogether.
// up → every component answers HTTP, the inner node's connection rode the jump (a handshake with
// no TCP connect of its own) → up again (no changes, no SSH) → destroy → only volume data left.

import { existsSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadState } from "../engine";
import { httpGet, loadTestNodes, testNodeConfig } from "../integration/test-nodes";
import {
  type ExampleStack,
  leftOver,
  opsByName,
  prepareExampleStack,
  removeContainers,
} from "./example-stack";

const nodes = loadTestNodes();
const PREFIX = "e2efleet-";
const BASE_PORT = 18721; // 18721-18724
const COMPONENTS = [
  { container: `${PREFIX}frontend-web`, port: BASE_PORT, role: "frontend web" },
  { container: `${PREFIX}frontend-api`, port: BASE_PORT + 1, role: "frontend api" },
  { container: `${PREFIX}metrics-collector`, port: BASE_PORT + 2, role: "metrics collector" },
  { container: `${PREFIX}docs-site`, port: BASE_PORT + 3, role: "docs site" },
];
const CONTAINERS = COMPONENTS.map((c) => c.container);
const DATA_DIR = path.join(nodes.stateDir, "volumes", "e2e-fleet");
const MARKER = path.join(DATA_DIR, `${PREFIX}metrics`, "kept.txt");
const SSHD = `${nodes.node.host}:${nodes.node.port}`;

let stack: ExampleStack;

beforeAll(() => {
  removeContainers(CONTAINERS);
  rmSync(DATA_DIR, { recursive: true, force: true });
  stack = prepareExampleStack({
    example: "examples/fleet",
    name: "e2e-fleet",
    stack: "e2e",
    config: () => ({
      ...testNodeConfig(nodes),
      innerHost: nodes.node.host,
      innerPort: nodes.node.port,
      innerHostKey: nodes.node.hostKeyFingerprint,
      image: nodes.images.v1,
      prefix: PREFIX,
      basePort: BASE_PORT,
      dataDir: DATA_DIR,
    }),
  });
});

afterAll(() => removeContainers(CONTAINERS));

describe("examples/fleet end to end through the test engine (inner node via proxyJump)", () => {
  it("up creates the three services on both nodes; every component answers HTTP", async () => {
    const { summary, handshakes, connects } = await stack.run("up");
    expect(opsByName(summary)).toMatchObject({
      frontend: "create",
      metrics: "create",
      docs: "create",
    });
    for (const { port, role } of COMPONENTS) {
      expect(await httpGet(`http://127.0.0.1:${port}/version`)).toBe("v1.0.0");
      expect(await httpGet(`http://127.0.0.1:${port}/env/ROLE`)).toBe(role);
    }
    const status = summary.outputs.status as Record<string, Record<string, { state: string }>>;
    expect(status.metrics?.collector?.state).toBe("running");
    expect(status.docs?.site?.state).toBe("running");
    // Every TCP connect went to the sshd (the edge); the inner node's handshake needed none.
    console.info(
      `[fleet e2e] provider TCP connects: ${connects.length}, SSH handshakes: ${handshakes}`,
    );
    expect(connects.length).toBeGreaterThan(0);
    expect(new Set(connects)).toEqual(new Set([SSHD]));
    expect(handshakes).toBeGreaterThan(connects.length);
    writeFileSync(MARKER, "kept\n");
  });

  it("up again changes nothing and opens no SSH connection", async () => {
    const { summary, handshakes, connects } = await stack.run("up");
    expect(new Set(summary.resources.map((r) => r.op))).toEqual(new Set(["same"]));
    expect(handshakes).toBe(0);
    expect(connects).toEqual([]);
  });

  it("destroy removes every service from both nodes and keeps the volume data", async () => {
    const { summary } = await stack.run("destroy");
    expect(opsByName(summary)).toMatchObject({
      frontend: "delete",
      metrics: "delete",
      docs: "delete",
    });
    expect(leftOver(CONTAINERS)).toEqual([]);
    expect(existsSync(MARKER)).toBe(true);
    expect(loadState(stack.stateFile, stack.project, "e2e").resources).toEqual([]);
  });
});

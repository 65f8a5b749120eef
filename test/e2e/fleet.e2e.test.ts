// End to end through the REAL Pulumi CLI (test/cli): examples/fleet, two nodes and three services,
// pulumi-mcp installed from `npm pack`. Both nodes are the loopback test sshd: "edge" directly,
// "inner" through edge as its proxyJump (sshd forwarding to itself). That is the one way to have a
// second node here that still exercises something real (a jumped SSH connection with its own host
// key check), where `local: true` would skip SSH altogether.
// stack init, config set [--secret] → up → every component answers HTTP, the inner node's
// connection rode the jump (a handshake with no TCP connect of its own) → preview
// --expect-no-changes and up again (no changes, no SSH) → preview --diff of the frontend api's tag
// bump (names the service, the component, the old and the new version) → up (only that container
// restarted) → destroy → only volume data left.

import { existsSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliStack, opsByName } from "../cli/pulumi-cli";
import { httpGet, loadTestNodes, testNodeConfig } from "../integration/test-nodes";
import { leftOver, prepareExampleStack, removeContainers, startedAt } from "./example-stack";

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
const API = `${PREFIX}frontend-api`;
const DATA_DIR = path.join(nodes.stateDir, "volumes", "e2e-fleet");
const MARKER = path.join(DATA_DIR, `${PREFIX}metrics`, "kept.txt");
const SSHD = `${nodes.node.host}:${nodes.node.port}`;
const SERVICE_TYPE = "pulumi-nodejs:dynamic/mcp:Service";

let stack: CliStack;

type Status = Record<string, Record<string, { state: string; version: string }>>;

beforeAll(() => {
  removeContainers(CONTAINERS);
  rmSync(DATA_DIR, { recursive: true, force: true });
  stack = prepareExampleStack({
    example: "examples/fleet",
    name: "e2e-fleet",
    stack: "e2e",
    config: {
      ...testNodeConfig(nodes),
      innerHost: nodes.node.host,
      innerPort: nodes.node.port,
      innerHostKey: nodes.node.hostKeyFingerprint,
      image: nodes.images.v1,
      prefix: PREFIX,
      basePort: BASE_PORT,
      dataDir: DATA_DIR,
    },
  });
});

afterAll(() => removeContainers(CONTAINERS));

describe("examples/fleet end to end through the real pulumi CLI (inner node via proxyJump)", () => {
  it("up creates the three services on both nodes; every component answers HTTP", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(opsByName(run)).toMatchObject({
      frontend: "create",
      metrics: "create",
      docs: "create",
    });
    expect(run.stdout).toMatch(/\+ 4 created/);
    for (const { port, role } of COMPONENTS) {
      expect(await httpGet(`http://127.0.0.1:${port}/version`)).toBe("v1.0.0");
      expect(await httpGet(`http://127.0.0.1:${port}/env/ROLE`)).toBe(role);
    }
    const status = run.outputs.status?.value as Status;
    expect(status.frontend?.web?.state).toBe("running");
    expect(status.frontend?.api?.state).toBe("running");
    expect(status.metrics?.collector?.state).toBe("running");
    expect(status.docs?.site?.state).toBe("running");
    // Every TCP connect went to the sshd (the edge); the inner node's handshake needed none.
    console.info(
      `[fleet e2e] provider TCP connects: ${run.connects.length}, SSH handshakes: ${run.handshakes}`,
    );
    // One TCP connection (the edge's) and one handshake per node: the inner one over the edge's.
    expect(run.connects).toEqual([SSHD]);
    expect(run.handshakes).toBe(2);
    expect(stack.stateText()).toContain("ciphertext");
    writeFileSync(MARKER, "kept\n");
  });

  it("preview --expect-no-changes and up again change nothing and open no SSH connection", async () => {
    const preview = await stack.run("preview", { expectNoChanges: true, diff: true });
    expect(preview.ok).toBe(true);
    const up = await stack.run("up", { expectNoChanges: true });
    expect(up.ok).toBe(true);
    expect(up.stdout).toMatch(/4 unchanged/);
    for (const run of [preview, up]) {
      expect(run.steps.filter((s) => s.op !== "same")).toEqual([]);
      expect(run.handshakes).toBe(0);
      expect(run.connects).toEqual([]);
    }
  });

  it("preview --diff of the frontend api's tag bump names the component, its old and its new image", async () => {
    const stateBefore = stack.stateText();
    const before = startedAt(CONTAINERS);
    stack.setConfig("apiImage", nodes.images.v2);
    const run = await stack.run("preview", { diff: true });
    expect(run.ok).toBe(true);
    expect(opsByName(run)).toMatchObject({ frontend: "update", metrics: "same", docs: "same" });
    // What a reviewer reads in `pulumi preview --diff`:
    expect(run.stdout).toContain(
      `[urn=urn:pulumi:e2e::mcp-fleet-example::${SERVICE_TYPE}::frontend]`,
    );
    // The changed lines of the resources (alignment before ":" collapsed): frontend → components
    // → api → image. Below "--outputs:--" the stack output `status` shows as changing too: the
    // frontend's new status is known only after the update.
    const [resources = "", outputs = ""] = run.stdout.split("--outputs:--");
    expect(outputs).toMatch(/^\s*~ status\s*: \{/m);
    const changed = resources
      .split("\n")
      .filter((line) => /^\s*[~+-] \S/.test(line))
      .map((line) => line.trim().replace(/\s+:/, ":"));
    expect(changed).toEqual([
      `~ ${SERVICE_TYPE}: (update)`,
      "~ components: {",
      "~ api: {",
      `~ image: "${nodes.images.v1}" => "${nodes.images.v2}"`,
    ]);
    expect(outputs).toMatch(/~ 1 to update\s+3 unchanged/);
    expect(run.stdout).not.toMatch(/~ (web|collector|site)\s*:/);
    expect(run.handshakes).toBe(0);
    expect(run.connects).toEqual([]);
    expect(await httpGet(`http://127.0.0.1:${BASE_PORT + 1}/version`)).toBe("v1.0.0");
    expect(stack.stateText()).toBe(stateBefore);
    expect(startedAt(CONTAINERS)).toEqual(before);
  });

  it("up applies it to the frontend api alone: every other container keeps running untouched", async () => {
    const before = startedAt(CONTAINERS);
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(opsByName(run)).toMatchObject({ frontend: "update", metrics: "same", docs: "same" });
    const after = startedAt(CONTAINERS);
    for (const name of CONTAINERS.filter((c) => c !== API)) {
      expect(after[name], name).toBe(before[name]);
    }
    expect(after[API]).not.toBe(before[API]);
    expect(await httpGet(`http://127.0.0.1:${BASE_PORT + 1}/version`)).toBe("v2.0.0");
    for (const offset of [0, 2, 3]) {
      expect(await httpGet(`http://127.0.0.1:${BASE_PORT + offset}/version`)).toBe("v1.0.0");
    }
    const status = run.outputs.status?.value as Status;
    expect(status.frontend?.api).toMatchObject({ version: "v2.0.0", state: "running" });
    expect(status.frontend?.web).toMatchObject({ version: "v1.0.0", state: "running" });
    // Only the edge node had work to do: nothing went through the jump.
    expect(run.connects).toEqual([SSHD]);
    expect(run.handshakes).toBe(1);
  });

  it("destroy removes every service from both nodes and keeps the volume data", async () => {
    const run = await stack.run("destroy");
    expect(run.ok).toBe(true);
    expect(opsByName(run)).toMatchObject({
      frontend: "delete",
      metrics: "delete",
      docs: "delete",
    });
    expect(run.stdout).toMatch(/- 4 deleted/);
    expect(leftOver(CONTAINERS)).toEqual([]);
    expect(existsSync(MARKER)).toBe(true);
    expect(stack.exportState().resources ?? []).toEqual([]);
  });
});

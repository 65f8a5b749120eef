// End to end through the REAL Pulumi CLI (test/cli): examples/service, one mcp.Service with three
// components, pulumi-mcp installed from `npm pack`, on the loopback sshd:
// up → every component answers HTTP (env, cmd, secret) → preview --expect-no-changes and up again
// (no changes, no SSH) → preview --diff of one component's tag bump (names the component, the old
// and the new version) → up (only that component restarted) → destroy → no container left, the
// volume data kept.

import { existsSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliStack, opsByName } from "../cli/pulumi-cli";
import { httpGet, loadTestNodes, testNodeConfig } from "../integration/test-nodes";
import { changedLines } from "./cli-output";
import { leftOver, prepareExampleStack, removeContainers, startedAt } from "./example-stack";

const nodes = loadTestNodes();
const SERVICE = "e2esvc";
const BASE_PORT = 18701; // web 18701, api 18702, worker 18703
const COMPONENTS = ["web", "api", "worker"] as const;
const CONTAINERS = COMPONENTS.map((name) => `${SERVICE}-${name}`);
const DATA_DIR = path.join(nodes.stateDir, "volumes", "e2e-service");
const MARKER = path.join(DATA_DIR, "api", "kept.txt");
const API_TOKEN = `e2e-token-${process.pid}-${Date.now()}`;
const SERVICE_TYPE = "pulumi-nodejs:dynamic/mcp:Service";
const url = (index: number, route: string) => `http://127.0.0.1:${BASE_PORT + index}/${route}`;

let stack: CliStack;

beforeAll(() => {
  removeContainers(CONTAINERS);
  rmSync(DATA_DIR, { recursive: true, force: true });
  stack = prepareExampleStack({
    example: "examples/service",
    name: "e2e-service",
    stack: "e2e",
    config: {
      ...testNodeConfig(nodes),
      image: nodes.images.v1,
      service: SERVICE,
      basePort: BASE_PORT,
      dataDir: DATA_DIR,
      apiToken: { secret: API_TOKEN },
    },
  });
});

afterAll(() => removeContainers(CONTAINERS));

describe("examples/service end to end through the real pulumi CLI", () => {
  it("up creates the service; every component answers HTTP as declared", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(opsByName(run)).toMatchObject({ shop: "create" });
    expect(run.handshakes).toBe(1);
    for (const [index, name] of COMPONENTS.entries()) {
      expect(await httpGet(url(index, "version"))).toBe("v1.0.0");
      expect(await httpGet(url(index, "env/ROLE"))).toBe(name);
    }
    expect(await httpGet(url(1, "env/API_TOKEN"))).toBe(API_TOKEN);
    expect(await httpGet(url(2, "args/1"))).toBe("default");
    const status = run.outputs.status?.value as Record<string, Record<string, unknown>>;
    expect(Object.keys(status).sort()).toEqual([...COMPONENTS].sort());
    for (const name of COMPONENTS) {
      expect(status[name]).toMatchObject({
        containerName: `${SERVICE}-${name}`,
        version: "v1.0.0",
        state: "running",
      });
    }
    // The api's volume directory was created on the node; data written there must survive.
    writeFileSync(MARKER, "kept\n");
    expect(stack.stateText()).not.toContain(API_TOKEN);
    expect(run.stdout).not.toContain(API_TOKEN);
  });

  it("preview --expect-no-changes and up again change nothing and open no SSH connection", async () => {
    const preview = await stack.run("preview", { expectNoChanges: true, diff: true });
    expect(preview.ok).toBe(true);
    const up = await stack.run("up", { expectNoChanges: true });
    expect(up.ok).toBe(true);
    for (const run of [preview, up]) {
      expect(run.steps.filter((s) => s.op !== "same")).toEqual([]);
      expect(run.handshakes).toBe(0);
      expect(run.connects).toEqual([]);
    }
  });

  it("preview --diff of the worker's tag bump names the worker, its old and its new image", async () => {
    stack.setConfig("workerImage", nodes.images.v2);
    const run = await stack.run("preview", { diff: true });
    expect(run.ok).toBe(true);
    expect(opsByName(run)).toMatchObject({ shop: "update" });
    expect(run.stdout).toContain(`~ ${SERVICE_TYPE}: (update)`);
    // The changed lines a reviewer reads (alignment before ":" collapsed): components → worker → image.
    expect(changedLines(run.stdout)).toEqual([
      `~ ${SERVICE_TYPE}: (update)`,
      "~ components: {",
      "~ worker: {",
      `~ image: "${nodes.images.v1}" => "${nodes.images.v2}"`,
      "~ 1 to update",
    ]);
    expect(run.stdout).not.toMatch(/~ web\s*:|~ api\s*:/);
    expect(run.handshakes).toBe(0);
  });

  it("up applies it to the worker alone: the others keep running untouched", async () => {
    const before = startedAt(CONTAINERS);
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    const after = startedAt(CONTAINERS);
    expect(after[`${SERVICE}-web`]).toBe(before[`${SERVICE}-web`]);
    expect(after[`${SERVICE}-api`]).toBe(before[`${SERVICE}-api`]);
    expect(after[`${SERVICE}-worker`]).not.toBe(before[`${SERVICE}-worker`]);
    expect(await httpGet(url(2, "version"))).toBe("v2.0.0");
    expect(await httpGet(url(0, "version"))).toBe("v1.0.0");
    const status = run.outputs.status?.value as Record<string, Record<string, unknown>>;
    expect(status.worker).toMatchObject({ version: "v2.0.0", state: "running" });
  });

  it("destroy removes every component and keeps the volume data", async () => {
    const run = await stack.run("destroy");
    expect(run.ok).toBe(true);
    expect(leftOver(CONTAINERS)).toEqual([]);
    expect(existsSync(MARKER)).toBe(true);
    expect(stack.exportState().resources ?? []).toEqual([]);
  });
});

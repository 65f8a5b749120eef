// End to end through the TEST ENGINE (test/engine — not the Pulumi CLI): examples/service, one
// mcp.Service with three components, pulumi-mcp installed from `npm pack`, on the loopback sshd:
// up → every component answers HTTP (env, cmd, secret) → up again (no changes, no SSH) → destroy
// → no container left, the volume data kept.

import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
const SERVICE = "e2esvc";
const BASE_PORT = 18701; // web 18701, api 18702, worker 18703
const COMPONENTS = ["web", "api", "worker"] as const;
const CONTAINERS = COMPONENTS.map((name) => `${SERVICE}-${name}`);
const DATA_DIR = path.join(nodes.stateDir, "volumes", "e2e-service");
const MARKER = path.join(DATA_DIR, "api", "kept.txt");
const API_TOKEN = `e2e-token-${process.pid}-${Date.now()}`;
const url = (index: number, route: string) => `http://127.0.0.1:${BASE_PORT + index}/${route}`;

let stack: ExampleStack;

beforeAll(() => {
  removeContainers(CONTAINERS);
  rmSync(DATA_DIR, { recursive: true, force: true });
  stack = prepareExampleStack({
    example: "examples/service",
    name: "e2e-service",
    stack: "e2e",
    config: () => ({
      ...testNodeConfig(nodes),
      image: nodes.images.v1,
      service: SERVICE,
      basePort: BASE_PORT,
      dataDir: DATA_DIR,
      apiToken: { secret: API_TOKEN },
    }),
  });
});

afterAll(() => removeContainers(CONTAINERS));

describe("examples/service end to end through the test engine", () => {
  it("up creates the service; every component answers HTTP as declared", async () => {
    const { summary, handshakes } = await stack.run("up");
    expect(opsByName(summary)).toMatchObject({ shop: "create" });
    expect(handshakes).toBeGreaterThan(0);
    for (const [index, name] of COMPONENTS.entries()) {
      expect(await httpGet(url(index, "version"))).toBe("v1.0.0");
      expect(await httpGet(url(index, "env/ROLE"))).toBe(name);
    }
    expect(await httpGet(url(1, "env/API_TOKEN"))).toBe(API_TOKEN);
    expect(await httpGet(url(2, "args/1"))).toBe("default");
    const status = summary.outputs.status as Record<string, Record<string, unknown>>;
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
    const state = readFileSync(stack.stateFile, "utf8");
    expect(state).not.toContain(API_TOKEN);
    expect(JSON.stringify(summary)).not.toContain(API_TOKEN);
  });

  it("up again changes nothing and opens no SSH connection", async () => {
    const { summary, handshakes, connects } = await stack.run("up");
    expect(summary.resources.map((r) => r.op)).toEqual(["same", "same"]);
    expect(handshakes).toBe(0);
    expect(connects).toEqual([]);
  });

  it("destroy removes every component and keeps the volume data", async () => {
    const { summary } = await stack.run("destroy");
    expect(opsByName(summary)).toMatchObject({ shop: "delete" });
    expect(leftOver(CONTAINERS)).toEqual([]);
    expect(existsSync(MARKER)).toBe(true);
    expect(loadState(stack.stateFile, stack.project, "e2e").resources).toEqual([]);
  });
});

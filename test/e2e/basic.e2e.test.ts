// End to end, without the Pulumi CLI: examples/basic (pulumi-mcp installed from `npm pack`) run
// through the TEST ENGINE (test/engine — not the Pulumi CLI; see test/engine/README.md for what it
// does not cover) against the real loopback sshd, podman and registry:
// up → up again (no changes, no SSH) → preview of a version bump (shows it, touches nothing) →
// up (updated) → container removed out of band, refresh (gone) → up (recreated) → destroy.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineRunError, formatPreview, loadState } from "../engine";
import { containerNames, httpGet, loadTestNodes, podman } from "../integration/test-nodes";
import {
  API_TOKEN,
  CONTAINER,
  HTTP_PORT,
  prepareBasicStack,
  privateKeyFragments,
  sshdLogins,
  VOLUME_DIR,
  webStep,
} from "./basic-stack";
import { type ExampleRun, type ExampleStack, removeContainers } from "./example-stack";

const nodes = loadTestNodes();
const URL = `http://127.0.0.1:${HTTP_PORT}/version`;
const MARKER = path.join(VOLUME_DIR, "e2e-volume-data");
const v2 = { image: nodes.images.v2 };

let stack: ExampleStack;
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

function removeAll(): void {
  removeContainers([CONTAINER]);
  expect(containerNames()).not.toContain(CONTAINER);
}

/** One run; when the test then fails, its display and the program's stderr are printed. */
function run(...args: Parameters<ExampleStack["run"]>): Promise<ExampleRun> {
  return stack.run(...args);
}

async function version(): Promise<string> {
  return (await httpGet(URL)).trim();
}

function expectStateHasNoPlaintextKey(holdsSecrets = true): void {
  const state = readFileSync(stack.stateFile, "utf8");
  expect(state).not.toContain("PRIVATE KEY");
  expect(state).not.toContain(API_TOKEN);
  for (const fragment of privateKeyFragments(nodes.node.privateKeyPath)) {
    expect(state).not.toContain(fragment);
  }
  if (holdsSecrets) expect(state).toContain("ciphertext");
}

beforeAll(() => {
  process.on("unhandledRejection", onRejection);
  removeAll();
  // The example mounts /srv/hello; podman refuses a missing host directory, and the node keeps
  // this data across deploys. The marker proves destroy leaves volume data alone.
  mkdirSync(VOLUME_DIR, { recursive: true });
  writeFileSync(MARKER, "kept\n");
  stack = prepareBasicStack(nodes);
});

afterAll(() => {
  process.off("unhandledRejection", onRejection);
  removeAll();
});

describe("examples/basic end to end through the test engine", () => {
  it("up creates the component and serves v1", async () => {
    const { summary, handshakes } = await run("up");
    expect(webStep(summary).op).toBe("create");
    expect(summary.outputs).toMatchObject({ version: "v1.0.0", container: CONTAINER });
    expect(summary.outputs.url).toBe(`http://127.0.0.1:${HTTP_PORT}/`);
    expect(await version()).toBe("v1.0.0");
    expect(handshakes).toBeGreaterThan(0);
    // The secret env value reached the container, and state holds it only encrypted.
    expect(await httpGet(`http://127.0.0.1:${HTTP_PORT}/env/API_TOKEN`)).toBe(API_TOKEN);
    expectStateHasNoPlaintextKey();
  });

  it("up again changes nothing and opens no SSH connection", async () => {
    const loginsBefore = sshdLogins(nodes);
    const { summary, handshakes } = await run("up");
    expect(summary.resources.map((r) => r.op)).toEqual(["same", "same"]);
    expect(handshakes).toBe(0);
    // Other tests may log in to the shared sshd meanwhile: reported, the counters decide.
    console.info(`sshd logins during the no-change up: ${sshdLogins(nodes) - loginsBefore}`);
    expect(summary.providerStderr).not.toMatch(/pulumi-mcp trace/);
  });

  it("preview of a version bump shows the update and touches nothing", async () => {
    const stateBefore = readFileSync(stack.stateFile, "utf8");
    const startedBefore = podman("inspect", "--format", "{{.State.StartedAt}}", CONTAINER).stdout;
    const { summary, handshakes } = await run("preview", v2);
    const step = webStep(summary);
    expect(step.op).toBe("update");
    expect(step.changed).toEqual(["image"]);
    expect(step.changes).toEqual([
      { name: "image", kind: "update", old: nodes.images.v1, new: nodes.images.v2, secret: false },
    ]);
    const display = formatPreview(summary);
    expect(display).toContain(
      `~ pulumi-nodejs:dynamic/mcp:Component ${CONTAINER} update [diff: ~image]`,
    );
    expect(display).toContain(`image: "${nodes.images.v1}" => "${nodes.images.v2}"`);
    expect(handshakes).toBe(0);
    expect(await version()).toBe("v1.0.0");
    expect(readFileSync(stack.stateFile, "utf8")).toBe(stateBefore);
    expect(podman("inspect", "--format", "{{.State.StartedAt}}", CONTAINER).stdout).toBe(
      startedBefore,
    );
  });

  it("up applies the bump in place: v2 answers", async () => {
    const { summary } = await run("up", v2);
    const step = webStep(summary);
    expect(step.op).toBe("update");
    expect(step.outputChanges).toContainEqual({
      name: "version",
      kind: "update",
      old: "v1.0.0",
      new: "v2.0.0",
      secret: false,
    });
    expect(summary.outputs.version).toBe("v2.0.0");
    expect(await version()).toBe("v2.0.0");
    expectStateHasNoPlaintextKey();
  });

  it("refresh drops a container removed out of band from state", async () => {
    removeAll();
    const { summary } = await run("refresh", v2);
    expect(webStep(summary).op).toBe("delete");
    const state = loadState(stack.stateFile, "mcp-basic", "e2e");
    expect(state.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });

  it("up recreates it", async () => {
    const { summary } = await run("up", v2);
    expect(webStep(summary).op).toBe("create");
    expect(await version()).toBe("v2.0.0");
    expect(containerNames()).toContain(CONTAINER);
  });

  it("destroy leaves nothing on the node but volume data", async () => {
    const { summary } = await run("destroy", v2);
    expect(summary.resources.map((r) => r.op)).toEqual(["delete", "delete"]);
    const names = containerNames();
    expect(names).not.toContain(CONTAINER);
    expect(names).not.toContain(`${CONTAINER}-previous`);
    expect(existsSync(MARKER)).toBe(true);
    expect(loadState(stack.stateFile, "mcp-basic", "e2e").resources).toEqual([]);
    expectStateHasNoPlaintextKey(false);
  });

  it("had no unhandled rejections in this process", () => {
    expect(rejections).toEqual([]);
  });
});

describe("the test engine reports provider failures", () => {
  it("fails the run with the provider's message and keeps going nowhere", async () => {
    const failed = run("preview", { image: `${nodes.registry}/mcp-test/web:latest` });
    const error = await failed.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineRunError);
    const message = (error as EngineRunError).message;
    expect(message).toMatch(/check urn:pulumi:e2e::mcp-basic::.*hello-web: .*not pinned/);
  });
});

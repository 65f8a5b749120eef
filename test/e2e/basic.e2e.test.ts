// End to end through the REAL Pulumi CLI (test/cli): examples/basic, pulumi-mcp installed from
// `npm pack`, against the real loopback sshd, podman and registry, as a user types it:
// stack init, config set [--secret] → up → preview --expect-no-changes (no SSH) → preview --diff of
// a version bump (shows it, touches nothing) → up (updated in place) → refresh of an unchanged
// stack, then preview --expect-no-changes → container removed out of band, refresh (gone) → up
// (recreated) → destroy.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliStack, stepOf } from "../cli/pulumi-cli";
import {
  containerNames,
  httpGet,
  loadTestNodes,
  podman,
  testNodeConfig,
} from "../integration/test-nodes";
import { changedLines } from "./cli-output";
import { prepareExampleStack, removeContainers } from "./example-stack";

const nodes = loadTestNodes();
/** A secret env value: in the container, never in plain text in state or output. */
const API_TOKEN = "e2e-api-token-5b0c9a";
const CONTAINER = "hello-web";
const HTTP_PORT = 18494;
const URL = `http://127.0.0.1:${HTTP_PORT}/version`;
/** The example's volume: host data the node keeps across deploys (never deleted). */
const VOLUME_DIR = "/srv/hello";
const MARKER = path.join(VOLUME_DIR, "e2e-volume-data");
const COMPONENT_TYPE = "pulumi-nodejs:dynamic/mcp:Component";

let stack: CliStack;
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

function removeAll(): void {
  removeContainers([CONTAINER]);
  expect(containerNames()).not.toContain(CONTAINER);
}

async function version(): Promise<string> {
  return (await httpGet(URL)).trim();
}

function startedAt(): string {
  return podman("inspect", "--format", "{{.State.StartedAt}}", CONTAINER).stdout;
}

/** Lines of the private key's body that would show up if it were stored in plain text. */
function privateKeyFragments(): string[] {
  const lines = readFileSync(nodes.node.privateKeyPath, "utf8").split("\n");
  return lines.filter((line) => line.length >= 20 && !line.startsWith("-----"));
}

function expectNoPlaintextSecret(text: string): void {
  expect(text).not.toContain("PRIVATE KEY");
  expect(text).not.toContain(API_TOKEN);
  for (const fragment of privateKeyFragments()) expect(text).not.toContain(fragment);
}

beforeAll(() => {
  process.on("unhandledRejection", onRejection);
  removeAll();
  // The example mounts /srv/hello; the marker proves destroy leaves volume data alone.
  mkdirSync(VOLUME_DIR, { recursive: true });
  writeFileSync(MARKER, "kept\n");
  stack = prepareExampleStack({
    example: "examples/basic",
    name: "e2e-basic",
    stack: "e2e",
    config: {
      ...testNodeConfig(nodes),
      apiToken: { secret: API_TOKEN },
      image: nodes.images.v1,
      httpPort: HTTP_PORT,
    },
  });
});

afterAll(() => {
  process.off("unhandledRejection", onRejection);
  removeAll();
});

describe("examples/basic end to end through the real pulumi CLI", () => {
  it("up creates the component and serves v1", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(stepOf(run, CONTAINER).op).toBe("create");
    expect(run.outputs.version?.value).toBe("v1.0.0");
    expect(run.outputs.container?.value).toBe(CONTAINER);
    expect(run.outputs.url?.value).toBe(`http://127.0.0.1:${HTTP_PORT}/`);
    expect(run.stdout).toMatch(/\+ 2 created/);
    expect(await version()).toBe("v1.0.0");
    expect(run.handshakes).toBe(1);
    // The secret env value reached the container; state and output hold it only encrypted.
    expect(await httpGet(`http://127.0.0.1:${HTTP_PORT}/env/API_TOKEN`)).toBe(API_TOKEN);
    const state = stack.stateText();
    expectNoPlaintextSecret(state);
    expectNoPlaintextSecret(run.stdout);
    expect(state).toContain("ciphertext");
    // The installed package serialises to a require of itself: state holds none of our code.
    const web = stack.exportState().resources?.find((r) => r.urn.endsWith(`::${CONTAINER}`));
    const provider = String(web?.outputs?.__provider ?? "");
    expect(provider).toContain('require("pulumi-mcp/dist/resources/component-provider.js")');
    expect(provider).not.toContain("podman");
    expect(provider).not.toContain("checkComponent");
  });

  it("preview --expect-no-changes passes and opens no connection", async () => {
    const run = await stack.run("preview", { expectNoChanges: true, diff: true });
    expect(run.ok).toBe(true);
    expect(run.steps.filter((s) => s.op !== "same")).toEqual([]);
    expect(run.handshakes).toBe(0);
    expect(run.connects).toEqual([]);
  });

  it("up again changes nothing and opens no SSH connection", async () => {
    const run = await stack.run("up", { expectNoChanges: true });
    expect(run.ok).toBe(true);
    expect(run.stdout).toMatch(/2 unchanged/);
    expect(run.handshakes).toBe(0);
    expect(run.connects).toEqual([]);
  });

  it("preview --diff of a version bump shows the old and new image and touches nothing", async () => {
    const stateBefore = stack.stateText();
    const startedBefore = startedAt();
    stack.setConfig("image", nodes.images.v2);
    const run = await stack.run("preview", { diff: true });
    expect(run.ok).toBe(true);
    expect(stepOf(run, CONTAINER).op).toBe("update");
    // What a reviewer reads in `pulumi preview --diff`:
    expect(run.stdout).toContain(`~ ${COMPONENT_TYPE}: (update)`);
    expect(run.stdout).toContain(
      `[urn=urn:pulumi:e2e::mcp-basic::${COMPONENT_TYPE}::${CONTAINER}]`,
    );
    // Every changed line (alignment before ":" collapsed): the one field, old and new.
    expect(changedLines(run.stdout)).toEqual([
      `~ ${COMPONENT_TYPE}: (update)`,
      `~ image: "${nodes.images.v1}" => "${nodes.images.v2}"`,
      "~ 1 to update",
    ]);
    expectNoPlaintextSecret(run.stdout);
    expect(run.handshakes).toBe(0);
    expect(await version()).toBe("v1.0.0");
    expect(stack.stateText()).toBe(stateBefore);
    expect(startedAt()).toBe(startedBefore);
  });

  it("up applies the bump in place: v2 answers", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(stepOf(run, CONTAINER).op).toBe("update");
    expect(run.outputs.version?.value).toBe("v2.0.0");
    expect(await version()).toBe("v2.0.0");
    expectNoPlaintextSecret(stack.stateText());
  });

  it("refresh of an unchanged stack changes nothing; preview --expect-no-changes then passes", async () => {
    const refresh = await stack.run("refresh", { expectNoChanges: true });
    expect(refresh.ok).toBe(true);
    const preview = await stack.run("preview", { expectNoChanges: true });
    expect(preview.ok).toBe(true);
    expect(preview.handshakes).toBe(0);
  });

  it("refresh drops a container removed out of band from state", async () => {
    removeAll();
    const run = await stack.run("refresh");
    expect(run.ok).toBe(true);
    expect(run.stdout).toMatch(/- 1 deleted/);
    const types = (stack.exportState().resources ?? []).map((r) => r.type);
    expect(types).not.toContain(COMPONENT_TYPE);
  });

  it("up recreates it", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(stepOf(run, CONTAINER).op).toBe("create");
    expect(await version()).toBe("v2.0.0");
    expect(containerNames()).toContain(CONTAINER);
  });

  it("destroy leaves nothing on the node but volume data", async () => {
    const run = await stack.run("destroy");
    expect(run.ok).toBe(true);
    const names = containerNames();
    expect(names).not.toContain(CONTAINER);
    expect(names).not.toContain(`${CONTAINER}-previous`);
    expect(existsSync(MARKER)).toBe(true);
    expect(stack.exportState().resources ?? []).toEqual([]);
  });

  it("a :latest image fails at preview with the field and the value, before any node is touched", async () => {
    stack.setConfig("image", `${nodes.registry}/mcp-test/web:latest`);
    const run = await stack.run("preview");
    expect(run.ok).toBe(false);
    expect(`${run.stdout}${run.stderr}`).toMatch(
      /image = "127\.0\.0\.1:\d+\/mcp-test\/web:latest": .*not pinned/,
    );
    expect(run.connects).toEqual([]);
  });

  it("had no unhandled rejections in this process", () => {
    expect(rejections).toEqual([]);
  });
});

// End to end through the REAL Pulumi CLI (test/cli): a program (secret-files-program/) with
// secretFiles on a Component and on a Service component. The first content comes from PLAIN
// config (`pulumi config set --plaintext token …`) on purpose: pulumi-mcp itself must keep it out
// of its resources' state and out of what the CLI prints. (The real engine keeps its own copy of
// the stack config, plain values in clear, as the default pulumi-nodejs provider's inputs: that
// copy is the user's plain config, not pulumi-mcp's doing, and is checked apart.) The next content
// is set with --secret, as a user should: then nothing in the checkpoint or the engine events
// holds it in clear.
// up → the file is inside both containers, state and output hold the content only encrypted →
// preview --expect-no-changes (no SSH) → preview --diff of a new content: both update, nothing
// shown in clear, nothing touched; the changed field named → up recreates both → destroy leaves
// no container and no podman secret.

import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { type CliRun, type CliStack, opsByName, stepOf } from "../cli/pulumi-cli";
import { containerNames, loadTestNodes, podman, testNodeConfig } from "../integration/test-nodes";
import { prepareExampleStack, removeContainers } from "./example-stack";

const nodes = loadTestNodes();
const TOKEN = "sfe2e-token-content-3a9f";
const NEXT = "sfe2e-next-token-content-c21d";
const CONTAINERS = ["sfe2e-web", "sfe2esvc-api"];
const COMPONENT_TYPE = "pulumi-nodejs:dynamic/mcp:Component";
const SERVICE_TYPE = "pulumi-nodejs:dynamic/mcp:Service";
/** The default provider of every dynamic resource; the engine gives it the whole stack config. */
const PROVIDER_TYPE = "pulumi:providers:pulumi-nodejs";

let stack: CliStack;

function readInside(container: string): string {
  return podman("exec", container, "cat", "/run/secrets/token").stdout;
}

function expectNotInClear(text: string, ...contents: string[]): void {
  for (const content of contents) {
    expect(text).not.toContain(content);
    expect(text).not.toContain(Buffer.from(content).toString("base64"));
  }
}

/**
 * `pulumi config set --plaintext KEY` (value on stdin): the CLI refuses a plain value for a key
 * named like a secret ("looks like a secret; rerun with --secret … or --plaintext") unless told.
 */
function setPlainConfig(key: string, value: string): void {
  stack.pulumi(["config", "set", "--stack", stack.stack, "--plaintext", key], value);
}

interface CheckpointResource {
  type: string;
  inputs?: Record<string, unknown>;
}

/** The checkpoint's resources (the file backend's text, secrets as ciphertext). */
function stateResources(): CheckpointResource[] {
  const checkpoint = JSON.parse(stack.stateText()) as {
    checkpoint: { latest?: { resources?: CheckpointResource[] } };
  };
  return checkpoint.checkpoint.latest?.resources ?? [];
}

/** The checkpoint without the engine's own copy of the stack config (the default provider). */
function stateOfOurResources(): string {
  return JSON.stringify(stateResources().filter((r) => r.type !== PROVIDER_TYPE));
}

function eventType(event: EngineEvent): string | undefined {
  return (
    event.resourcePreEvent?.metadata.type ??
    event.resOutputsEvent?.metadata.type ??
    event.resOpFailedEvent?.metadata.type
  );
}

/**
 * What a run showed of pulumi-mcp's resources: the CLI's text and every engine event but the
 * engine's echo of the stack config (the prelude, the default provider's steps) and the SDK's
 * debug-level diagnostics (its log of each RegisterResource response, which holds secret outputs'
 * plaintext; the CLI masks only values it knows as secret config there).
 */
function shown(run: CliRun): string {
  const events = run.events.filter(
    (event) =>
      !event.preludeEvent &&
      eventType(event) !== PROVIDER_TYPE &&
      String(event.diagnosticEvent?.severity) !== "debug",
  );
  return `${run.stdout}\n${run.stderr}\n${JSON.stringify(events)}`;
}

/** The preview text of one resource: its header line up to the next resource's (or the end). */
function block(text: string, type: string, name: string): string[] {
  const lines = text.split("\n");
  const urn = lines.findIndex((line) => line.includes(`::${type}::${name}]`));
  if (urn < 1) throw new Error(`no ${type}::${name} in the preview:\n${text}`);
  const end = lines.findIndex((line, i) => i > urn && /^\s*[~+-]? ?\S+:\S+: \(/.test(line));
  return lines.slice(urn - 1, end < 0 ? undefined : end).map((line) => line.trim());
}

beforeAll(() => {
  removeContainers(CONTAINERS);
  stack = prepareExampleStack({
    example: path.join(__dirname, "secret-files-program"),
    name: "e2e-secret-files",
    stack: "e2e",
    config: { ...testNodeConfig(nodes), image: nodes.images.v1 },
  });
  setPlainConfig("token", TOKEN);
});

afterAll(() => {
  removeContainers(CONTAINERS);
});

describe("secretFiles through the real pulumi CLI", () => {
  it("up: the file is inside both containers; state and output hold the content only encrypted", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(opsByName(run)).toMatchObject({ "sfe2e-web": "create", sfe2esvc: "create" });
    for (const container of CONTAINERS) expect(readInside(container)).toBe(TOKEN);
    const ours = stateOfOurResources();
    expectNotInClear(ours, TOKEN);
    expect(ours).toContain("ciphertext");
    // The one place the checkpoint holds it in clear: the engine's copy of the plain config.
    const provider = stateResources().find((r) => r.type === PROVIDER_TYPE);
    expect(provider?.inputs?.["mcp-secret-files:token"]).toBe(TOKEN);
    expectNotInClear(shown(run), TOKEN);
  });

  it("preview --expect-no-changes passes and opens no connection", async () => {
    const run = await stack.run("preview", { expectNoChanges: true, diff: true });
    expect(run.ok).toBe(true);
    expect(run.steps.filter((s) => s.op !== "same")).toEqual([]);
    expect(run.handshakes).toBe(0);
    expect(run.connects).toEqual([]);
    expectNotInClear(shown(run), TOKEN);
  });

  // Its run is kept for the next test (a run cannot happen in a hook: its output is shown through
  // onTestFailed, which only a test can call).
  let preview: CliRun | undefined;

  it("preview --diff of a new content (set with --secret): both update, no content in clear, nothing touched", async () => {
    const stateBefore = stack.stateText();
    stack.setConfig("token", NEXT, { secret: true });
    const run = await stack.run("preview", { diff: true });
    preview = run;
    expect(run.ok).toBe(true);
    expect(stepOf(run, "sfe2e-web").op).toBe("update");
    expect(stepOf(run, "sfe2esvc").op).toBe("update");
    expect(run.stdout).toContain(`~ ${COMPONENT_TYPE}: (update)`);
    expect(run.stdout).toContain(`~ ${SERVICE_TYPE}: (update)`);
    expect(run.stdout).toMatch(/~ 2 to update/);
    // The file is named, its content masked.
    expect(block(run.stdout, COMPONENT_TYPE, "sfe2e-web")).toContain("token: [secret]");
    expectNotInClear(shown(run), TOKEN, NEXT);
    expectNotInClear(JSON.stringify(run.events), NEXT);
    expect(run.handshakes).toBe(0);
    expect(run.connects).toEqual([]);
    expect(stack.stateText()).toBe(stateBefore);
    for (const container of CONTAINERS) expect(readInside(container)).toBe(TOKEN);
  });

  it("that preview marks which file changed for the reviewer: its revision, never its content", () => {
    if (!preview) throw new Error("the preview of the test before did not run");
    const text = preview.stdout;
    onTestFailed(() => console.error(`the preview --diff of the test before:\n${text}`));
    // What a reviewer needs to read: which input makes each resource update. The content is
    // [secret] on both sides (a dynamic provider cannot send a detailed diff), so the provider's
    // per-value revision is what marks it (provider/diff/revisions.ts).
    const changed = (lines: string[]) =>
      lines
        .filter((line) => line.startsWith("~ ") && !/ to update$/.test(line))
        .map((line) => line.replace(/\s+:/, ":"));
    expect(changed(block(text, COMPONENT_TYPE, "sfe2e-web"))).toEqual([
      "~ revisions: {",
      "~ secretFiles.token: 1 => 2",
    ]);
    expect(changed(block(text, SERVICE_TYPE, "sfe2esvc"))).toEqual([
      "~ revisions: {",
      "~ api.secretFiles.token: 1 => 2",
    ]);
  });

  it("up with the new content recreates both; nothing holds either content in clear", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(opsByName(run)).toMatchObject({ "sfe2e-web": "update", sfe2esvc: "update" });
    for (const container of CONTAINERS) expect(readInside(container)).toBe(NEXT);
    // Set with --secret, the engine's config copy is ciphertext too: the whole checkpoint is clean.
    expectNotInClear(stack.stateText(), TOKEN, NEXT);
    expectNotInClear(shown(run), TOKEN, NEXT);
    expectNotInClear(JSON.stringify(run.events), NEXT);
  });

  it("destroy leaves no container and no podman secret of theirs", async () => {
    const run = await stack.run("destroy");
    expect(run.ok).toBe(true);
    expect(opsByName(run)).toMatchObject({ "sfe2e-web": "delete", sfe2esvc: "delete" });
    for (const container of CONTAINERS) expect(containerNames()).not.toContain(container);
    const secrets = podman("secret", "ls", "--format", "{{.Name}}").stdout;
    expect(secrets).not.toMatch(/^sfe2e/m);
    expect(stack.exportState().resources ?? []).toEqual([]);
  });
});

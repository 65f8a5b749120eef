// End to end through the REAL Pulumi CLI (test/cli): how the engine drives pulumi-mcp where the
// old test engine did not (issue 11 items 1, 2 and 4, ignoreChanges and customTimeouts), with
// test/e2e/programs/engine, one scenario per stack, on the loopback sshd, podman and registry.
// Each block says what happened before the fix. Item 3 (key rotation) is key-rotation.e2e.test.ts.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PreparedProgram, prepareProgram } from "../cli/prepare-program";
import { type CliRun, type CliStack, opsByName } from "../cli/pulumi-cli";
import {
  httpGet,
  loadTestNodes,
  podman,
  runHandMade,
  testNodeConfig,
} from "../integration/test-nodes";
import { changedLines, sectionOf } from "./cli-output";
import { exampleStack, leftOver, removeContainers } from "./example-stack";

const nodes = loadTestNodes();
const COMPONENT_TYPE = "pulumi-nodejs:dynamic/mcp:Component";
const SERVICE_TYPE = "pulumi-nodejs:dynamic/mcp:Service";
const ALL = [
  "e2eeng-a",
  "e2eeng-b",
  "e2eeng-s-web",
  "e2eeng-adopt",
  "e2eeng-mu-web",
  "e2eeng-mu-api",
  "e2eeng-ign-web",
  "e2eeng-ignc",
  "e2eeng-slow",
];
/** Steps that would mean a replacement. */
const REPLACING = ["replace", "create-replacement", "delete-replaced"];

let program: PreparedProgram;

function stackFor(name: string, config: Record<string, string | number | boolean>): CliStack {
  return exampleStack(program, {
    stack: name,
    config: { ...testNodeConfig(nodes), image: nodes.images.v1, ...config },
  });
}

/** What identifies one container run: its id and when it started. */
function identity(name: string): string {
  return podman(
    "container",
    "inspect",
    "--format",
    "{{.Id}} {{.State.StartedAt}}",
    name,
  ).stdout.trim();
}

function imageId(image: string): string {
  return podman("image", "inspect", "--format", "{{.Id}}", image).stdout.trim();
}

/** Everything the CLI said, the diagnostics included. */
function said(run: CliRun): string {
  return `${run.stdout}\n${run.stderr}\n${run.error ?? ""}`;
}

beforeAll(() => {
  removeContainers(ALL);
  program = prepareProgram({ example: "test/e2e/programs/engine", name: "e2e-engine" });
});

afterAll(() => removeContainers(ALL));

// Before: Component's check returned the raw inputs when anything was unknown and diff then
// answered {"changes":true,"replaces":["runtime","node"],"deleteBeforeReplace":true} — B showed
// as "+-" replace (delete first) — and Service's diff threw `components[0].image = "04da6b54-…":
// is not pinned`, failing the whole preview.
describe("1. a preview with inputs not known yet (another resource's outputs)", () => {
  let stack: CliStack;
  let v1Id = "";

  beforeAll(() => {
    stack = stackFor("unknowns", {
      scenario: "unknowns",
      imageB: nodes.images.v1,
      registry: nodes.registry,
    });
  });

  it("up: A, B (env from A's outputs) and the Service (image from A's version)", async () => {
    const up = await stack.run("up");
    expect(up.ok).toBe(true);
    v1Id = imageId(nodes.images.v1);
    expect(up.outputs.aImageId?.value).toBe(v1Id);
    expect(await httpGet("http://127.0.0.1:18901/env/A_IMAGE_ID")).toBe(v1Id);
  });

  it("preview --diff of A's v1 → v2: B (env from A) and the Service (image from A's version) are updates", async () => {
    stack.setConfig("image", nodes.images.v2);
    const preview = await stack.run("preview", { diff: true });
    expect(preview.ok).toBe(true);
    expect(opsByName(preview)).toMatchObject({
      "e2eeng-a": "update",
      "e2eeng-b": "update",
      "e2eeng-s": "update",
    });
    expect(preview.steps.filter((s) => REPLACING.includes(s.op))).toEqual([]);
    expect(changedLines(sectionOf(preview.stdout, "e2eeng-a"))).toEqual([
      `~ ${COMPONENT_TYPE}: (update)`,
      `~ image: "${nodes.images.v1}" => "${nodes.images.v2}"`,
    ]);
    expect(changedLines(sectionOf(preview.stdout, "e2eeng-b"))).toEqual([
      `~ ${COMPONENT_TYPE}: (update)`,
      "~ env: {",
      '~ A_CONTAINER: "e2eeng-a" => [unknown]',
      `~ A_IMAGE_ID: "${v1Id}" => [unknown]`,
      // Their revisions (what marks a change of a value shown as [secret]) are not known either.
      "~ revisions: {",
      "~ env.A_CONTAINER: 1 => [unknown]",
      "~ env.A_IMAGE_ID: 1 => [unknown]",
    ]);
    expect(changedLines(sectionOf(preview.stdout, "e2eeng-s"))).toEqual([
      `~ ${SERVICE_TYPE}: (update)`,
      "~ components: {",
      "~ web: {",
      `~ image: "${nodes.images.v1}" => [unknown]`,
    ]);
    expect(preview.stdout).toMatch(/^ {4}~ 3 to update$/m);
    expect(preview.handshakes).toBe(0);
  });

  it("up applies it: B gets A's new image id, the Service runs A's version, nothing replaced", async () => {
    const up = await stack.run("up");
    expect(up.ok).toBe(true);
    expect(opsByName(up)).toMatchObject({
      "e2eeng-a": "update",
      "e2eeng-b": "update",
      "e2eeng-s": "update",
    });
    expect(up.steps.filter((s) => REPLACING.includes(s.op))).toEqual([]);
    const v2Id = imageId(nodes.images.v2);
    expect(up.outputs.aImageId?.value).toBe(v2Id);
    expect(await httpGet("http://127.0.0.1:18901/env/A_IMAGE_ID")).toBe(v2Id);
    expect(await httpGet("http://127.0.0.1:18902/version")).toBe("v2.0.0");
    const status = up.outputs.sStatus?.value as Record<string, { version: string }>;
    expect(status.web?.version).toBe("v2.0.0");
  });

  it("destroy", async () => {
    expect((await stack.run("destroy")).ok).toBe(true);
    expect(leftOver(["e2eeng-a", "e2eeng-b", "e2eeng-s-web"])).toEqual([]);
  });
});

// Before: no way through the real CLI. The README's `{ import: "<host>/<service>-<name>" }` fails
// in the SDK's dynamic-provider process (pulumi/pulumi#3550), and a create that found a container
// of its name replaced it (a restart) — there was no adopt input.
describe("2. adopting a container started by hand with podman run", () => {
  const NAME = "e2eeng-adopt";
  let handMade = "";
  let stack: CliStack;

  beforeAll(() => {
    // As a user starts it by hand: no labels of ours, the same name, image, port, env and cmd.
    const run = runHandMade(NAME, 18910, nodes.images.v1);
    expect(run.exitCode, run.stderr).toBe(0);
    handMade = identity(NAME);
    stack = stackFor("adopt", { scenario: "adopt" });
  });

  it("the `import` resource option fails in the SDK's dynamic-provider process, before pulumi-mcp runs", async () => {
    const imports = stackFor("import", {
      scenario: "adopt",
      importId: `127.0.0.1:${nodes.node.port}/${NAME}`,
    });
    for (const operation of ["preview", "up"] as const) {
      const run = await imports.run(operation);
      expect(run.ok).toBe(false);
      expect(run.steps.find((s) => s.name === NAME)?.op).toBe("import");
      expect(said(run)).toContain("code must be a string, not undefined");
      expect(said(run)).toContain("at requireFromString");
      expect(run.handshakes).toBe(0);
    }
    expect(imports.exportState().resources?.some((r) => r.urn.endsWith(`::${NAME}`))).toBeFalsy();
    expect(identity(NAME)).toBe(handMade);
  });

  it("without adopt, up fails naming the container and `adopt: true`; it keeps running", async () => {
    const up = await stack.run("up");
    expect(up.ok).toBe(false);
    expect(up.stdout).toContain(
      `error: creating component ${NAME} on root@127.0.0.1:${nodes.node.port}: a container named ${NAME} already exists on root@127.0.0.1:${nodes.node.port} (image ${nodes.images.v1}, running) and was not created from these inputs: set adopt: true to take it over without restarting it (it must match the inputs), or remove it`,
    );
    expect(identity(NAME)).toBe(handMade);
  });

  it("adopt: true with a different image and env: up fails naming each field; it keeps running", async () => {
    stack.setConfig("adopt", "true");
    stack.setConfig("image", nodes.images.v2);
    stack.setConfig("mode", "something-else");
    const up = await stack.run("up");
    expect(up.ok).toBe(false);
    const lines = up.stdout.split("\n").map((line) => line.trim());
    expect(lines).toContain(
      `error: creating component ${NAME} on root@127.0.0.1:${nodes.node.port}: cannot adopt ${NAME} on root@127.0.0.1:${nodes.node.port}: what runs differs from the inputs (nothing was changed):`,
    );
    expect(lines).toContain(
      `image: the inputs say "${nodes.images.v2}", it runs with "${nodes.images.v1}"`,
    );
    expect(lines).toContain("env.MODE: another value runs (values not shown)");
    expect(up.stdout).not.toContain("hand-made");
    expect(identity(NAME)).toBe(handMade);
    expect(await httpGet("http://127.0.0.1:18910/version")).toBe("v1.0.0");
  });

  it("adopt: true with matching inputs: up creates the resource without a restart (same Id and StartedAt)", async () => {
    stack.setConfig("image", nodes.images.v1);
    stack.setConfig("mode", "hand-made");
    const up = await stack.run("up");
    expect(up.ok).toBe(true);
    expect(opsByName(up)).toMatchObject({ [NAME]: "create" });
    expect(identity(NAME)).toBe(handMade);
    expect(up.outputs.state?.value).toBe("running");
    // podman prints "2026-12-01 20:41:28.113616697 +0000 UTC"; the output is RFC 3339.
    const [, day, time] = handMade.split(" ");
    expect(up.outputs.startedAt?.value).toBe(`${day}T${time}Z`);
    // From now on an ordinary component: nothing to do, and no SSH for that.
    const again = await stack.run("preview", { expectNoChanges: true });
    expect(again.ok).toBe(true);
    expect(again.handshakes).toBe(0);
  });

  it("destroy removes it", async () => {
    expect((await stack.run("destroy")).ok).toBe(true);
    expect(leftOver([NAME])).toEqual([]);
  });
});

// Before: a Service diffed a component's changed minUptime or startTimeout as a recreate (Component
// did not): the container was stopped and started again.
describe("4. a Service component's minUptime and startTimeout", () => {
  let stack: CliStack;
  beforeAll(() => {
    stack = stackFor("timings", { scenario: "serviceTimings" });
  });

  it("up", async () => {
    expect((await stack.run("up")).ok).toBe(true);
  });

  it("preview --diff shows an update of those two fields of that component, with no SSH", async () => {
    stack.setConfig("webMinUptime", "3");
    stack.setConfig("webStartTimeout", "40");
    const preview = await stack.run("preview", { diff: true });
    expect(preview.ok).toBe(true);
    expect(opsByName(preview)).toMatchObject({ "e2eeng-mu": "update" });
    expect(changedLines(preview.stdout)).toEqual([
      `~ ${SERVICE_TYPE}: (update)`,
      "~ components: {",
      "~ web: {",
      "~ minUptime: 1 => 3",
      "~ startTimeout: 20 => 40",
      "~ 1 to update",
    ]);
    expect(preview.handshakes).toBe(0);
  });

  it("up records it in state and restarts nothing: same Id and StartedAt, no SSH handshake", async () => {
    const before = [identity("e2eeng-mu-web"), identity("e2eeng-mu-api")];
    const up = await stack.run("up");
    expect(up.ok).toBe(true);
    expect(opsByName(up)).toMatchObject({ "e2eeng-mu": "update" });
    expect(up.stdout).toContain("e2eeng-mu updated");
    expect(up.handshakes).toBe(0);
    expect([identity("e2eeng-mu-web"), identity("e2eeng-mu-api")]).toEqual(before);
    const service = stack.exportState().resources?.find((r) => r.urn.endsWith("::e2eeng-mu"));
    const components = service?.outputs?.components as Record<string, Record<string, unknown>>;
    const web = components?.web;
    expect(web).toMatchObject({ minUptime: 3, startTimeout: 40 });
    expect((await stack.run("preview", { expectNoChanges: true })).ok).toBe(true);
  });

  it("destroy", async () => {
    expect((await stack.run("destroy")).ok).toBe(true);
    expect(leftOver(["e2eeng-mu-web", "e2eeng-mu-api"])).toEqual([]);
  });
});

// The engine applies ignoreChanges to the program's inputs before check, resetting each path to its
// value in the inputs check returned last time (state), where components are a map keyed by name.
// Before: the Service sent components as a list, so `components[0].image` and
// `components.web.image` both missed (the engine says so only as an info message, "cannot ignore
// changes in added or removed elements of the path") and the preview and up applied the change.
describe("ignoreChanges on a Service component's field", () => {
  let stack: CliStack;
  beforeAll(() => {
    stack = stackFor("ignore", { scenario: "ignore" });
  });

  it("up with v1, then v2 in config", async () => {
    expect((await stack.run("up")).ok).toBe(true);
    stack.setConfig("image", nodes.images.v2);
  });

  it.each([["components[0].image"], ["components.web.image"]])(
    "%s: a new image is no change; the control Component's ignoreChanges [image] too",
    async (path) => {
      stack.setConfig("ignoreChanges", JSON.stringify([path]));
      const preview = await stack.run("preview", { diff: true, expectNoChanges: true });
      expect(preview.ok).toBe(true);
      expect(opsByName(preview)).toMatchObject({ "e2eeng-ign": "same", "e2eeng-ignc": "same" });
      expect(changedLines(preview.stdout)).toEqual([]);
      // What the engine said before, as an info message only, while applying the change anyway.
      const infos = preview.events.flatMap((e) =>
        e.diagnosticEvent?.severity === "info" ? [e.diagnosticEvent.message] : [],
      );
      expect(infos.filter((m) => m.includes("cannot ignore changes"))).toEqual([]);
    },
  );

  it("up with components[0].image ignored keeps v1 running untouched", async () => {
    stack.setConfig("ignoreChanges", JSON.stringify(["components[0].image"]));
    const before = identity("e2eeng-ign-web");
    const up = await stack.run("up", { expectNoChanges: true });
    expect(up.ok).toBe(true);
    expect(identity("e2eeng-ign-web")).toBe(before);
    expect(await httpGet("http://127.0.0.1:18940/version")).toBe("v1.0.0");
  });

  it("without ignoreChanges the same config is an update of that image", async () => {
    stack.setConfig("ignoreChanges", "[]");
    const preview = await stack.run("preview", { diff: true });
    expect(preview.ok).toBe(true);
    expect(changedLines(sectionOf(preview.stdout, "e2eeng-ign"))).toEqual([
      `~ ${SERVICE_TYPE}: (update)`,
      "~ components: {",
      "~ web: {",
      `~ image: "${nodes.images.v1}" => "${nodes.images.v2}"`,
    ]);
  });

  it("a path to a component the Service does not have is refused, naming it", async () => {
    stack.setConfig("ignoreChanges", JSON.stringify(["components[3].image"]));
    const preview = await stack.run("preview");
    expect(preview.ok).toBe(false);
    expect(said(preview)).toContain(
      'Service e2eeng-ign: ignoreChanges "components[3].image" cannot work: the service has 1 component(s)',
    );
  });

  it("destroy", async () => {
    stack.setConfig("ignoreChanges", "[]");
    expect((await stack.run("destroy")).ok).toBe(true);
    expect(leftOver(["e2eeng-ign-web", "e2eeng-ignc"])).toEqual([]);
  });
});

// customTimeouts reach a dynamic provider as a field of the Create/Update/Delete request that the
// SDK's dynamic-provider process never reads, and the engine enforces none itself: a create that
// waits 5 s (minUptime) under customTimeouts { create: "1s" } succeeds after those 5 s.
describe("customTimeouts on a dynamic resource", () => {
  it("have no effect: a 5 s create and update under customTimeouts of 1 s succeed", async () => {
    const stack = stackFor("timeouts", { scenario: "timeouts", minUptime: 5 });
    const up = await stack.run("up");
    expect(up.ok).toBe(true);
    const created = /e2eeng-slow created \((\d+(?:\.\d+)?)s\)/.exec(up.stdout);
    expect(Number(created?.[1])).toBeGreaterThanOrEqual(5);
    stack.setConfig("image", nodes.images.v2);
    const update = await stack.run("up");
    expect(update.ok).toBe(true);
    const updated = /e2eeng-slow updated \((\d+(?:\.\d+)?)s\)/.exec(update.stdout);
    expect(Number(updated?.[1])).toBeGreaterThanOrEqual(5);
    expect((await stack.run("destroy")).ok).toBe(true);
    expect(leftOver(["e2eeng-slow"])).toEqual([]);
  });
});

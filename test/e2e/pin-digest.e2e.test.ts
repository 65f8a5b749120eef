// End to end through the REAL Pulumi CLI (test/cli): two Components of one tag on the loopback
// sshd, podman and registry (test/e2e/programs/pin-digest), one with pinDigest. The tag is
// re-pushed by hand with other content; `pulumi refresh` and then `pulumi preview --diff` show the
// moved tag naming both digests; `up` recreates the unpinned one from the tag's new content while
// the pinned one keeps its digest; no change after that; destroy leaves the tag in the registry.

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, type CliStack, opsByName } from "../cli/pulumi-cli";
import { httpGet, loadTestNodes, podman, testNodeConfig } from "../integration/test-nodes";
import { leftOver, prepareExampleStack, removeContainers } from "./example-stack";

const nodes = loadTestNodes();
const REPO = `${nodes.registry}/wt17a-e2e/pin-${process.pid}-${Date.now().toString(36)}`;
const TAG = `${REPO}:v1`;
const NAMES = ["e2epin-pinned", "e2epin-loose"];
const served = async (port: number) => (await httpGet(`http://127.0.0.1:${port}/version`)).trim();

/** Everything the CLI said, the provider's lines (diagnostics) included. */
function said(run: CliRun): string {
  return `${run.stdout}\n${run.stderr}\n${run.error ?? ""}`;
}

function pushAsTag(source: string): string {
  expect(podman("tag", source, TAG).exitCode).toBe(0);
  const file = `/tmp/wt17a-e2e-${process.pid}.digest`;
  const pushed = podman("push", "--quiet", "--digestfile", file, TAG);
  expect(pushed.exitCode, pushed.stderr).toBe(0);
  return readFileSync(file, "utf8").trim();
}

let stack: CliStack;
let first = "";
let moved = "";

beforeAll(() => {
  removeContainers(NAMES);
  for (const image of [nodes.images.v1, nodes.images.v2])
    expect(podman("pull", "--quiet", image).exitCode).toBe(0);
  first = pushAsTag(nodes.images.v1);
  stack = prepareExampleStack({
    example: "test/e2e/programs/pin-digest",
    name: "e2e-pin-digest",
    stack: "e2e",
    config: { ...testNodeConfig(nodes), image: TAG },
    timeoutMs: 300_000,
  });
}, 400_000);

afterAll(() => {
  removeContainers(NAMES);
  podman("rmi", "--force", TAG);
});

describe("pinDigest and a moved tag through the real pulumi CLI", { timeout: 400_000 }, () => {
  it("up runs the pinned one as repo:tag@digest", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(run.outputs).toMatchObject({
      pinnedImage: { value: `${TAG}@${first}` },
      pinnedRegistryDigest: { value: first },
    });
    expect(await served(18864)).toBe("v1.0.0");
  });

  it("the tag re-pushed by hand: refresh, then preview --diff, show the moved tag with both digests", async () => {
    moved = pushAsTag(nodes.images.v2);
    expect(moved).not.toBe(first);
    // What the unpinned one runs, as podman names it (its state's imageDigest).
    const runs = podman(
      "container",
      "inspect",
      "--format",
      "{{.ImageDigest}}",
      "e2epin-loose",
    ).stdout.trim();
    expect(runs).toMatch(/^sha256:[a-f0-9]{64}$/);
    const refresh = await stack.run("refresh");
    expect(refresh.ok).toBe(true);
    const pinnedLine = `e2epin-pinned: the tag ${TAG} moved in the registry: it runs ${first}, the registry now holds ${moved} under the tag; pinDigest: it keeps running the pinned digest`;
    const looseLine = `e2epin-loose: the tag ${TAG} moved in the registry: it runs ${runs}, the registry now holds ${moved} under the tag; the next up pulls the tag and recreates it`;
    expect(said(refresh)).toContain(pinnedLine);
    expect(said(refresh)).toContain(looseLine);
    // A preview says it again (from state: it asks no registry).
    const preview = await stack.run("preview");
    expect(preview.ok).toBe(true);
    expect(opsByName(preview)).toMatchObject({ "e2epin-pinned": "same", "e2epin-loose": "update" });
    expect(said(preview)).toContain(pinnedLine);
    expect(said(preview)).toContain(looseLine);
    expect(preview.execs).toEqual([]);
    // preview --diff: the unpinned one is an update; the pinned one's registryDigest (exported)
    // shows both digests.
    const diff = await stack.run("preview", { diff: true });
    expect(diff.ok).toBe(true);
    expect(opsByName(diff)).toMatchObject({ "e2epin-pinned": "same", "e2epin-loose": "update" });
    expect(diff.stdout).toContain(`~ pinnedRegistryDigest: "${first}" => "${moved}"`);
    expect(diff.execs).toEqual([]);
  });

  it("up recreates the unpinned one from the tag's new content; the pinned one keeps its digest", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(await served(18865)).toBe("v2.0.0");
    expect(await served(18864)).toBe("v1.0.0");
    expect(run.outputs).toMatchObject({ pinnedImage: { value: `${TAG}@${first}` } });
    // No perpetual diff: the next preview changes nothing.
    expect((await stack.run("preview", { expectNoChanges: true })).ok).toBe(true);
  });

  it("destroy removes both and leaves the tag in the registry", async () => {
    expect((await stack.run("destroy")).ok).toBe(true);
    expect(leftOver(NAMES)).toEqual([]);
    const inspect = podman("pull", "--quiet", TAG);
    expect(inspect.exitCode, inspect.stderr).toBe(0);
  });
});

// End to end through the REAL Pulumi CLI (test/cli): examples/image, pulumi-mcp installed from
// `npm pack`. mcp.Image builds ./app with the real podman on this machine (`local: true`) and
// pushes it to the real loopback registry; the Component runs it over real SSH, pinned by digest.
// "Built nothing" and "a preview has no side effect" are proven from the provider process itself:
// the probe logs every process it starts (`spawns`) and every SSH command (`execs`); the registry
// is asked with skopeo behind the provider's back.
//
// up (build, push, run v1) → up again (no process started at all) → preview of an ignored file's
// change (no change) → preview --diff of a changed context (shows the hash, starts nothing) → up
// with the same version (refused, names both hashes; nothing built) → version v2: up (builds,
// pushes, component updated; v1 kept) → v2 re-pushed by hand with other content: refresh shows the
// digest drift → destroy (the registry keeps v1 and v2).

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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
import { prepareExampleStack, removeContainers } from "./example-stack";

const nodes = loadTestNodes();
const CONTAINER = "app-web";
const HTTP_PORT = 18781;
const REPO = `${nodes.registry}/wt17-e2e/app-${process.pid}-${Date.now().toString(36)}`;
const IMAGE_TYPE = "pulumi-nodejs:dynamic/mcp:Image";

let stack: CliStack;
let appDir: string;

/** What the registry holds under a tag, asked with skopeo (as podman's registries.conf says). */
function registryDigest(tag: string): string | undefined {
  const result = spawnSync(
    "skopeo",
    [
      "--registries-conf",
      String(process.env.CONTAINERS_REGISTRIES_CONF),
      "inspect",
      "--no-tags",
      "--format",
      "{{.Digest}}",
      `docker://${REPO}:${tag}`,
    ],
    { encoding: "utf8" },
  );
  if (result.status !== 0) {
    if (/manifest unknown/.test(result.stderr)) return undefined;
    throw new Error(`skopeo inspect ${REPO}:${tag}: ${result.stderr}`);
  }
  return result.stdout.trim();
}

function imageState(): Record<string, unknown> | undefined {
  return stack.exportState().resources?.find((r) => r.type === IMAGE_TYPE)?.outputs;
}

function componentState(): Record<string, unknown> | undefined {
  return stack.exportState().resources?.find((r) => r.urn.endsWith(`::${CONTAINER}`))?.outputs;
}

const builds = (spawns: string[]) => spawns.filter((s) => s.startsWith("podman build ")).length;
const pushes = (spawns: string[]) => spawns.filter((s) => s.includes("podman push")).length;

async function served(): Promise<string> {
  return (await httpGet(`http://127.0.0.1:${HTTP_PORT}/version`)).trim();
}

beforeAll(() => {
  removeContainers([CONTAINER]);
  stack = prepareExampleStack({
    example: "examples/image",
    name: "e2e-image",
    stack: "e2e",
    config: {
      ...testNodeConfig(nodes),
      repo: REPO,
      version: "v1",
      baseImage: nodes.images.v1,
      httpPort: HTTP_PORT,
    },
  });
  appDir = path.join(stack.options.dir, "app");
  writeFileSync(path.join(appDir, "version"), "app-v1");
}, 600_000); // npm pack, a build and stack init, on a busy machine

afterAll(() => {
  removeContainers([CONTAINER]);
  podman("rmi", "--force", `${REPO}:v1`, `${REPO}:v2`);
});

// Builds on a busy two-core machine: the first up has taken 56 to over 120 s here.
describe("examples/image end to end through the real pulumi CLI", { timeout: 300_000 }, () => {
  let v1Digest = "";
  let v2Digest = "";

  it("up builds and pushes v1 on this machine and runs it pinned by digest", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(stepOf(run, "app-image").op).toBe("create");
    expect(stepOf(run, CONTAINER).op).toBe("create");
    expect(builds(run.spawns)).toBe(1);
    expect(pushes(run.spawns)).toBe(1);
    v1Digest = String(registryDigest("v1"));
    expect(v1Digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(run.outputs.ref?.value).toBe(`${REPO}:v1@${v1Digest}`);
    expect(run.outputs.digest?.value).toBe(v1Digest);
    expect(run.outputs.version?.value).toBe("v1");
    expect(await served()).toBe("app-v1");
  });

  it("up again builds nothing, pushes nothing, starts no process and opens no connection", async () => {
    const run = await stack.run("up", { expectNoChanges: true });
    expect(run.ok).toBe(true);
    expect(run.spawns).toEqual([]);
    expect(run.execs).toEqual([]);
    expect(run.connects).toEqual([]);
    expect(registryDigest("v1")).toBe(v1Digest);
  });

  it("a file the .containerignore leaves out is no change", async () => {
    writeFileSync(path.join(appDir, "notes.md"), "edited notes\n");
    const run = await stack.run("preview", { expectNoChanges: true });
    expect(run.ok).toBe(true);
    expect(run.spawns).toEqual([]);
  });

  it("preview --diff of a changed context shows the context hash change and builds nothing", async () => {
    const stateBefore = stack.stateText();
    const hashBefore = stack.exportState().resources?.find((r) => r.type === IMAGE_TYPE)
      ?.outputs?.contextHash;
    writeFileSync(path.join(appDir, "version"), "app-v2");
    const run = await stack.run("preview", { diff: true });
    expect(run.ok).toBe(true);
    expect(stepOf(run, "app-image").op).toBe("update");
    expect(run.stdout).toMatch(
      new RegExp(`~ contextHash\\s*: "${String(hashBefore)}" => "sha256:[a-f0-9]{64}"`),
    );
    // No side effect: no process started, no SSH command, the registry and the node as they were.
    expect(run.spawns).toEqual([]);
    expect(run.execs).toEqual([]);
    expect(registryDigest("v1")).toBe(v1Digest);
    expect(stack.stateText()).toBe(stateBefore);
    expect(await served()).toBe("app-v1");
  });

  it("up of other content under the same version is refused, naming the tag and both hashes", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(false);
    const text = `${run.stdout}${run.stderr}`;
    expect(text).toContain(`${REPO}:v1 already exists in the registry with other content`);
    expect(text).toContain(v1Digest);
    expect(builds(run.spawns)).toBe(0);
    expect(pushes(run.spawns)).toBe(0);
    expect(registryDigest("v1")).toBe(v1Digest);
    expect(await served()).toBe("app-v1");
  });

  it("a new version builds and pushes it and updates the component; v1 stays in the registry", async () => {
    stack.setConfig("version", "v2");
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    // Create the new tag first; the old one's delete touches nothing (v1 stays in the registry).
    expect(run.steps.filter((s) => s.name === "app-image").map((s) => s.op)).toEqual([
      "create-replacement",
      "replace",
      "delete-replaced",
    ]);
    expect(stepOf(run, CONTAINER).op).toBe("update");
    expect(builds(run.spawns)).toBe(1);
    expect(pushes(run.spawns)).toBe(1);
    v2Digest = String(registryDigest("v2"));
    expect(run.outputs.ref?.value).toBe(`${REPO}:v2@${v2Digest}`);
    expect(run.outputs.version?.value).toBe("v2");
    expect(registryDigest("v1")).toBe(v1Digest);
    expect(await served()).toBe("app-v2");
  });

  it("v2 re-pushed by hand with other content shows as drift on refresh, naming both digests", async () => {
    const hand = mkdtempSync(path.join(tmpdir(), "wt17-hand-"));
    try {
      writeFileSync(
        path.join(hand, "Containerfile"),
        `FROM ${nodes.images.v1}\nRUN printf hand-made > /etc/mcp-test/version\n`,
      );
      const built = podman("build", "--quiet", "--tag", `${REPO}:v2`, hand);
      expect(built.exitCode, built.stderr).toBe(0);
      const pushed = podman("push", "--quiet", `${REPO}:v2`);
      expect(pushed.exitCode, pushed.stderr).toBe(0);
    } finally {
      rmSync(hand, { recursive: true, force: true });
    }
    const componentDigestBefore = componentState()?.imageDigest;
    expect(componentDigestBefore).toMatch(/^sha256:[a-f0-9]{64}$/);
    const moved = String(registryDigest("v2"));
    expect(moved).not.toBe(v2Digest);
    const run = await stack.run("refresh");
    expect(run.ok).toBe(true);
    expect(run.stdout).toMatch(/~ 1 updated/);
    expect(stepOf(run, "app-image").op).toBe("refresh");
    // State now holds what the registry has (it held v2Digest, the ref's digest above).
    const image = imageState();
    expect(image?.digest).toBe(moved);
    expect(image?.ref).toBe(`${REPO}:v2@${moved}`);
    // Pushed without our label: the registry's content is not what this program builds.
    expect(image?.contextHash).toBe("");
    // The component runs what was pushed, pinned by digest: the tag's move is no drift of it.
    // (Its imageDigest is podman's digest of the image in the node's store; built on this very
    // machine, that is the local manifest's, not the pushed one's: measured, see README.)
    const web = componentState();
    expect(web?.imageDigest).toBe(componentDigestBefore);
    expect(web?.version).toBe("v2");
    expect(await served()).toBe("app-v2");
    // The next up would push over another's content: it is refused, not overwritten.
    const preview = await stack.run("preview", { diff: true });
    expect(preview.ok).toBe(true);
    expect(stepOf(preview, "app-image").op).toBe("update");
    expect(preview.spawns).toEqual([]);
  });

  it("destroy removes the container and leaves every tag in the registry", async () => {
    const run = await stack.run("destroy");
    expect(run.ok).toBe(true);
    expect(containerNames()).not.toContain(CONTAINER);
    expect(registryDigest("v1")).toBe(v1Digest);
    expect(registryDigest("v2")).toMatch(/^sha256:/);
    expect(builds(run.spawns) + pushes(run.spawns)).toBe(0);
  });
});

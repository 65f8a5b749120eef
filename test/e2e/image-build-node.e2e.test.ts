// End to end through the REAL Pulumi CLI (test/cli): examples/image with `buildOn: node`, pulumi-mcp
// installed from `npm pack`. mcp.Image sends ./app over the real sshd to the node, which builds it
// with its podman and pushes it to the registry that wants a login (its registries entry), and the
// Component pulls it there with the same login. What ran where is proven from the provider process
// itself: the probe logs every process it starts (`spawns`), every SSH command (`execs`) and every
// connect; the registry is asked over HTTP behind the provider's back.
//
// up (sent, built and pushed on the node; nothing built here) → up again (no process, no SSH
// command, no connection) → preview --diff of a changed context (shows the hash; starts nothing on
// the node or here) → destroy (the registry keeps the tag).

import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliStack, stepOf } from "../cli/pulumi-cli";
import { loadPrivateRegistry } from "../integration/private-registry";
import {
  containerNames,
  httpGet,
  loadTestNodes,
  podman,
  testNodeConfig,
} from "../integration/test-nodes";
import { prepareExampleStack, removeContainers } from "./example-stack";

const nodes = loadTestNodes();
const registry = loadPrivateRegistry();
const SERVICE = "imgnode";
const CONTAINER = `${SERVICE}-web`;
const HTTP_PORT = 18784;
const NAME = `wt17b-e2e/app-${process.pid}-${Date.now().toString(36)}`;
const REPO = `${registry.server}/${NAME}`;
const IMAGE_TYPE = "pulumi-nodejs:dynamic/mcp:Image";

let stack: CliStack;
let appDir: string;
let v1Digest = "";

/** The tag's manifest digest as the registry answers it (HTTP, with the login), or undefined. */
async function registryDigest(tag: string): Promise<string | undefined> {
  const response = await fetch(`http://${registry.server}/v2/${NAME}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString("base64")}`,
      accept: [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
      ].join(", "),
    },
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`registry answers ${response.status} for ${NAME}:${tag}`);
  return response.headers.get("docker-content-digest") ?? undefined;
}

const onNode = (execs: string[], what: RegExp) => execs.filter((line) => what.test(line)).length;

beforeAll(() => {
  removeContainers([CONTAINER]);
  stack = prepareExampleStack({
    example: "examples/image",
    name: "e2e-image-build-node",
    stack: "e2e",
    config: {
      ...testNodeConfig(nodes),
      buildOn: "node",
      service: SERVICE,
      repo: REPO,
      version: "v1",
      baseImage: nodes.images.v1,
      httpPort: HTTP_PORT,
      registryUser: registry.username,
      registryPassword: { secret: registry.password },
    },
  });
  appDir = path.join(stack.options.dir, "app");
  writeFileSync(path.join(appDir, "version"), "app-node-v1");
}, 600_000); // npm pack, a build and stack init, on a busy machine

afterAll(() => {
  removeContainers([CONTAINER]);
  // The build's tag, and the component's copy pulled by digest.
  podman("rmi", "--force", `${REPO}:v1`);
  if (v1Digest) podman("rmi", "--force", `${REPO}@${v1Digest}`);
});

describe("examples/image built on the node over SSH, through the real pulumi CLI", {
  timeout: 300_000,
}, () => {
  it("up sends the context to the node, which builds and pushes v1 with its login; nothing builds here", async () => {
    const run = await stack.run("up");
    expect(run.ok).toBe(true);
    expect(stepOf(run, "app-image").op).toBe("create");
    expect(stepOf(run, "app-web").op).toBe("create");
    expect(run.spawns.filter((s) => /podman|skopeo/.test(s))).toEqual([]);
    expect(onNode(run.execs, /podman build /)).toBe(1);
    expect(onNode(run.execs, /podman push /)).toBe(1);
    expect(onNode(run.execs, /--password-stdin/)).toBeGreaterThan(0);
    for (const line of [...run.execs, ...run.spawns]) expect(line).not.toContain(registry.password);
    expect(`${run.stdout}${run.stderr}`).not.toContain(registry.password);
    expect(stack.stateText()).not.toContain(registry.password);
    v1Digest = String(await registryDigest("v1"));
    expect(v1Digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(run.outputs.ref?.value).toBe(`${REPO}:v1@${v1Digest}`);
    expect((await httpGet(`http://127.0.0.1:${HTTP_PORT}/version`)).trim()).toBe("app-node-v1");
  });

  it("up again builds nothing: no process, no SSH command, no connection", async () => {
    const run = await stack.run("up", { expectNoChanges: true });
    expect(run.ok).toBe(true);
    expect(run.spawns).toEqual([]);
    expect(run.execs).toEqual([]);
    expect(run.connects).toEqual([]);
  });

  it("preview --diff of a changed context shows the hash change and starts nothing, here or on the node", async () => {
    const stateBefore = stack.stateText();
    const hashBefore = stack.exportState().resources?.find((r) => r.type === IMAGE_TYPE)
      ?.outputs?.contextHash;
    writeFileSync(path.join(appDir, "version"), "app-node-v2");
    const run = await stack.run("preview", { diff: true });
    expect(run.ok).toBe(true);
    expect(stepOf(run, "app-image").op).toBe("update");
    expect(run.stdout).toMatch(
      new RegExp(`~ contextHash\\s*: "${String(hashBefore)}" => "sha256:[a-f0-9]{64}"`),
    );
    expect(run.spawns).toEqual([]);
    expect(run.execs).toEqual([]);
    expect(run.connects).toEqual([]);
    expect(stack.stateText()).toBe(stateBefore);
    expect(await registryDigest("v1")).toBe(v1Digest);
  });

  it("destroy removes the container and leaves the tag in the registry", async () => {
    const run = await stack.run("destroy");
    expect(run.ok).toBe(true);
    expect(containerNames()).not.toContain(CONTAINER);
    expect(onNode(run.execs, /podman (build|push) |skopeo/)).toBe(0);
    expect(await registryDigest("v1")).toBe(v1Digest);
  });
});

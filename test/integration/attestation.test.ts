// Attestation over real SSH with the real podman and registry: a Component records the digest of
// the image it started, and a refresh of a container that runs another image under the same
// reference (the tag re-pushed with other content, then re-pulled and recreated by hand) shows
// the running digest. Also: an Image's `ref` (repo:tag@digest) runs and refreshes without drift.

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeAllConnections } from "../../provider/transport";
import { create, provider } from "./provider-calls";
import { loadTestNodes, podman, removeContainers, sshNodeInputs } from "./test-nodes";

const nodes = loadTestNodes();
const PORT = 18783;
const NAME = "wt17att-web";
const REPO = `${nodes.registry}/wt17-attest/web-${process.pid}-${Date.now().toString(36)}`;

function inputs(image: string) {
  return {
    ...sshNodeInputs(nodes),
    service: "wt17att",
    name: "web",
    image,
    ports: [`127.0.0.1:${PORT}:8080`],
    stopTimeout: 1,
    minUptime: 0,
    startTimeout: 20,
  };
}

/** Puts `source`'s content under `REPO:tag` in the registry; returns the pushed digest. */
function pushAs(source: string, tag: string): string {
  expect(podman("tag", source, `${REPO}:${tag}`).exitCode).toBe(0);
  const digestFile = `/tmp/wt17-attest-${process.pid}.digest`;
  const pushed = podman("push", "--quiet", "--digestfile", digestFile, `${REPO}:${tag}`);
  expect(pushed.exitCode, pushed.stderr).toBe(0);
  return readFileSync(digestFile, "utf8").trim();
}

beforeAll(() => {
  removeContainers(NAME);
  podman("pull", "--quiet", nodes.images.v1);
  podman("pull", "--quiet", nodes.images.v2);
});

afterAll(async () => {
  removeContainers(NAME);
  podman("rmi", "--force", `${REPO}:v1`);
  await closeAllConnections();
});

describe("Component attestation over SSH", () => {
  let first = "";
  let state: Record<string, unknown> = {};

  it("records the digest of the image it started", async () => {
    first = pushAs(nodes.images.v1, "v1");
    expect(first).toMatch(/^sha256:[a-f0-9]{64}$/);
    const { outs } = await create(inputs(`${REPO}:v1`));
    state = outs;
    expect(outs.imageDigest).toBe(first);
    const read = await provider.read(`x/${NAME}`, outs);
    expect(read.props?.image).toBe(`${REPO}:v1`);
    expect(read.props?.imageDigest).toBe(first);
  });

  it("a container recreated by hand from the tag moved to other content shows as drift naming the digest", async () => {
    const moved = pushAs(nodes.images.v2, "v1");
    expect(moved).not.toBe(first);
    removeContainers(NAME);
    expect(podman("pull", "--quiet", `${REPO}:v1`).exitCode).toBe(0);
    const run = podman(
      "run",
      "-d",
      "--name",
      NAME,
      "-p",
      `127.0.0.1:${PORT}:8080`,
      "--restart",
      "unless-stopped",
      `${REPO}:v1`,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const read = await provider.read(`x/${NAME}`, state);
    expect(read.props?.imageDigest).toBe(moved);
    expect(read.props?.image).toBe(`${REPO}@${moved}`);
  });

  it("an Image's ref (repo:tag@digest) runs, keeps the tag as version and refreshes without drift", async () => {
    removeContainers(NAME);
    const digest = String(
      podman("image", "inspect", "--format", "{{.Digest}}", `${REPO}:v1`).stdout,
    ).trim();
    const ref = `${REPO}:v1@${digest}`;
    const { outs } = await create(inputs(ref));
    expect(outs.version).toBe("v1");
    expect(outs.imageDigest).toBe(digest);
    const read = await provider.read(`x/${NAME}`, outs);
    expect(read.props?.image).toBe(ref);
    expect(read.props?.version).toBe("v1");
    const diff = await provider.diff(`x/${NAME}`, read.props ?? {}, outs);
    expect(diff.changes).toBe(false);
  });
});

// mcp.Image's Build, Push and ImageExists on this machine (`local: true`) against the real loopback
// registry: a real podman build and push, the registry asked with skopeo. Every command goes
// through the real local transport, recorded, so "nothing built, nothing pushed" is what ran.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import imageProvider from "../../provider/resources/image-provider";
import { buildContext } from "../../provider/runtime/build-context";
import { publishImage, registryTag } from "../../provider/runtime/image-publish";
import { checkImage, type ImageSpec } from "../../provider/spec/image";
import { transportFor } from "../../provider/transport";
import type { Transport } from "../../provider/transport/types";
import { loadTestNodes, podman } from "./test-nodes";

const nodes = loadTestNodes();
const REPO = `${nodes.registry}/wt17-image-it/app-${process.pid}-${Date.now().toString(36)}`;
let dir: string;
let pushedDigest = "";

function spec(fields: Partial<ImageSpec> = {}): ImageSpec {
  const outcome = checkImage({
    node: { host: "localhost", local: true },
    context: dir,
    repo: REPO,
    version: "v1",
    ...fields,
  });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

/** The real local transport, with every argv it ran. */
function recorded(): { transport: Transport; commands: string[] } {
  const real = transportFor(spec().node, undefined);
  const commands: string[] = [];
  return {
    commands,
    transport: {
      label: real.label,
      ready: () => real.ready(),
      hold: (argv, options) => real.hold(argv, options),
      run: (argv, options) => {
        commands.push(argv.join(" "));
        return real.run(argv, options);
      },
    },
  };
}

const ran = (commands: string[], what: RegExp) => commands.filter((c) => what.test(c)).length;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "wt17-image-"));
  writeFileSync(
    path.join(dir, "Containerfile"),
    `FROM ${nodes.images.v1}\nARG GREETING=none\nCOPY content.txt /content.txt\n`,
  );
  writeFileSync(path.join(dir, "content.txt"), "one\n");
  mkdirSync(path.join(dir, "logs"));
  writeFileSync(path.join(dir, "logs", "noise.log"), "ignored\n");
  writeFileSync(path.join(dir, ".containerignore"), "logs\n");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  // The local build store only: the registry keeps its tags (nothing here deletes from it).
  podman("rmi", "--force", `${REPO}:v1`, `${REPO}:v2`);
});

describe("mcp.Image on a local build node against the real registry", () => {
  it("builds, labels and pushes v1; the registry holds our context hash", async () => {
    const { transport, commands } = recorded();
    const published = await publishImage(transport, spec());
    expect(published.built).toBe(true);
    expect(published.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(ran(commands, /podman build /)).toBe(1);
    expect(ran(commands, /podman push /)).toBe(1);
    const tag = await registryTag(transport, `${REPO}:v1`, {});
    expect(tag).toEqual({ digest: published.digest, contextHash: buildContext(spec()).hash });
  });

  it("the same content again: asks the registry once, builds and pushes nothing", async () => {
    const { transport, commands } = recorded();
    const published = await publishImage(transport, spec());
    expect(published.built).toBe(false);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toContain("skopeo");
  });

  it("an ignored file changes nothing; a mode change does", () => {
    const before = buildContext(spec()).hash;
    writeFileSync(path.join(dir, "logs", "noise.log"), "other noise\n");
    expect(buildContext(spec()).hash).toBe(before);
    chmodSync(path.join(dir, "content.txt"), 0o600);
    const changed = buildContext(spec()).hash;
    expect(changed).not.toBe(before);
    chmodSync(path.join(dir, "content.txt"), 0o644);
    expect(buildContext(spec()).hash).toBe(before);
    expect(buildContext(spec({ buildArgs: { GREETING: "hi" } })).hash).not.toBe(before);
  });

  it("other content under the same tag is refused, naming the tag and both hashes, and nothing is built", async () => {
    const first = await registryTag(recorded().transport, `${REPO}:v1`, {});
    writeFileSync(path.join(dir, "content.txt"), "two\n");
    const { transport, commands } = recorded();
    const error = await publishImage(transport, spec()).catch((e: Error) => e);
    expect(String(error)).toContain(`${REPO}:v1 already exists in the registry with other content`);
    expect(String(error)).toContain(first?.digest);
    expect(String(error)).toContain(first?.contextHash);
    expect(String(error)).toContain(buildContext(spec()).hash);
    expect(ran(commands, /podman (build|push) /)).toBe(0);
  });

  it("overwrite: true pushes over it; a new version pushes a new tag and v1 stays", async () => {
    const { transport } = recorded();
    const over = await publishImage(transport, spec({ overwrite: true }));
    expect(over.built).toBe(true);
    const v2 = await publishImage(transport, spec({ version: "v2" }));
    expect(v2.built).toBe(true);
    pushedDigest = v2.digest;
    expect(v2.digest).toBe(over.digest);
    expect((await registryTag(transport, `${REPO}:v1`, {}))?.digest).toBe(over.digest);
  });

  it("the provider's delete leaves the registry's tags in place", async () => {
    const { transport } = recorded();
    await (imageProvider.delete as (id: string, props: unknown) => Promise<void>)(
      `${REPO}:v1`,
      spec(),
    );
    expect(await registryTag(transport, `${REPO}:v1`, {})).toBeDefined();
    expect(await registryTag(transport, `${REPO}:v2`, {})).toBeDefined();
    expect(await registryTag(transport, `${REPO}:v404`, {})).toBeUndefined();
  });

  it("the digest-pinned ref runs as a container", () => {
    const name = `wt17-image-run-${process.pid}`;
    const ref = `${REPO}:v2@${pushedDigest}`;
    const run = podman(
      "run",
      "--rm",
      "--name",
      name,
      "--entrypoint",
      "/bin/cat",
      ref,
      "/content.txt",
    );
    // stderr may hold podman's pull progress: the local copy may be gone (a build cache prune).
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe("two\n");
  });
});

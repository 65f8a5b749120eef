// mcp.Image's Build, Push and ImageExists against the real loopback registries: on this machine
// (`local: true`) and on a build node over the real sshd (root, and the rootless login), a real
// podman build and push, the registry asked with skopeo, logins to the registry that wants them.
// Every command goes through the real transport, recorded, so "nothing built, nothing pushed" is
// what ran.

import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILDS_DIR_IN_HOME } from "../../provider/commands/image";
import imageProvider from "../../provider/resources/image-provider";
import { buildContext } from "../../provider/runtime/build-context";
import { publishImage, registryAccess, registryTag } from "../../provider/runtime/image-publish";
import { checkImage, type ImageSpec } from "../../provider/spec/image";
import { closeAllConnections, transportFor } from "../../provider/transport";
import type { Transport } from "../../provider/transport/types";
import { HOSTILE_FILE_NAMES } from "../hostile-strings";
import { loadPrivateRegistry } from "./private-registry";
import { loadTestNodes, podman, podmanAs, type RootlessNodes, sshNodeInputs } from "./test-nodes";

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

/** The build node's real transport (this machine's by default), with every argv it ran. */
function recorded(on: ImageSpec = spec()): { transport: Transport; commands: string[] } {
  const real = transportFor(on.node, on.credentials);
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
    const tag = await registryTag(transport, spec(), {});
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
    const first = await registryTag(recorded().transport, spec(), {});
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
    expect((await registryTag(transport, spec(), {}))?.digest).toBe(over.digest);
  });

  it("the provider's delete leaves the registry's tags in place", async () => {
    const { transport } = recorded();
    await (imageProvider.delete as (id: string, props: unknown) => Promise<void>)(
      `${REPO}:v1`,
      spec(),
    );
    expect(await registryTag(transport, spec(), {})).toBeDefined();
    expect(await registryTag(transport, spec({ version: "v2" }), {})).toBeDefined();
    expect(await registryTag(transport, spec({ version: "v404" }), {})).toBeUndefined();
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

// ---------------------------------------------------------------------------------------------
// A build node over SSH: the context travels as a tar stream, the build, the push and the
// registry query run on the node.

const rl = (nodes as RootlessNodes).rootless;
const privateRegistry = loadPrivateRegistry();
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const SSH_REPO = `${nodes.registry}/wt17b-image-ssh/app-${RUN}`;
const AUTH_REPO = `${privateRegistry.server}/wt17b-image-auth/app-${RUN}`;
const RL_REPO = `${nodes.registry}/wt17b-image-rootless/app-${RUN}`;
/** A Containerfile in a directory with a leading dash, quotes and spaces in its name. */
const DOCKERFILE = `-build dir/it's the "Containerfile"`;
/** The hostile names of the context; each file holds its own name. */
const HOSTILE = HOSTILE_FILE_NAMES;
let sshDir: string;

function sshSpec(repo: string, fields: Partial<ImageSpec> = {}, user = nodes.node.user) {
  const base = sshNodeInputs(nodes);
  const outcome = checkImage({
    ...base,
    node: { ...base.node, user },
    context: sshDir,
    dockerfile: DOCKERFILE,
    repo,
    version: "v1",
    ...fields,
  });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

const withLogin = (password = privateRegistry.password) => ({
  credentials: {
    ...sshNodeInputs(nodes).credentials,
    registries: [{ server: privateRegistry.server, username: privateRegistry.username, password }],
  },
});

/** The login's build directory on the node (this machine): empty once every build ended. */
const buildsLeft = (home: string) => {
  const dir = path.join(home, BUILDS_DIR_IN_HOME);
  return existsSync(dir) ? readdirSync(dir) : [];
};

/** The files of an image as `find -print0` lists them in a container of it. */
function filesIn(runAs: PodmanRun, ref: string) {
  const run = runAs(
    "run",
    "--rm",
    "--entrypoint",
    "/bin/find",
    ref,
    "/ctx",
    "-type",
    "f",
    "-print0",
  );
  if (run.exitCode !== 0) throw new Error(`podman run ${ref}: ${run.stderr}`);
  return run.stdout.split("\0").filter(Boolean).sort();
}

type PodmanRun = (...args: string[]) => { exitCode: number; stdout: string; stderr: string };

/** Removes every image of these repositories from a store (this run's names only). */
function removeImagesOf(run: PodmanRun, repos: string[]): void {
  const ids = run("images", "--format", "{{.Repository}} {{.ID}}")
    .stdout.split("\n")
    .map((line) => line.split(" "))
    .filter(([repo]) => repos.includes(repo ?? ""))
    .map(([, id]) => id ?? "");
  for (const id of new Set(ids)) if (id) run("rmi", "--force", id);
}

describe("mcp.Image on a build node over SSH", () => {
  beforeAll(() => {
    sshDir = mkdtempSync(path.join(tmpdir(), "wt17b-image-ssh-"));
    mkdirSync(path.join(sshDir, "-build dir"));
    writeFileSync(path.join(sshDir, DOCKERFILE), `FROM ${nodes.images.v1}\nCOPY files /ctx/\n`);
    mkdirSync(path.join(sshDir, "files"));
    for (const name of HOSTILE) writeFileSync(path.join(sshDir, "files", name), name);
    mkdirSync(path.join(sshDir, "files", "cache"));
    writeFileSync(path.join(sshDir, "files", "cache", "never-sent"), "x");
    writeFileSync(path.join(sshDir, ".containerignore"), "files/cache\n");
  });

  afterAll(async () => {
    rmSync(sshDir, { recursive: true, force: true });
    // Tagged builds and the untagged copies pulled by digest alike.
    removeImagesOf(podman, [SSH_REPO, AUTH_REPO]);
    removeImagesOf((...args) => podmanAs(rl, ...args), [RL_REPO]);
    await closeAllConnections();
  });

  it("root over SSH: sends the context, builds and pushes from the node; the pushed image holds every hostile name", async () => {
    const { transport, commands } = recorded(sshSpec(SSH_REPO));
    const published = await publishImage(transport, sshSpec(SSH_REPO));
    expect(published.built).toBe(true);
    expect(ran(commands, /podman build /)).toBe(1);
    expect(ran(commands, /podman push /)).toBe(1);
    expect(buildsLeft(homedir())).toEqual([]);
    const tag = await registryTag(transport, sshSpec(SSH_REPO), {});
    expect(tag).toEqual({
      digest: published.digest,
      contextHash: buildContext(sshSpec(SSH_REPO)).hash,
    });
    // The node's local copy gone: the run pulls what the registry holds.
    podman("rmi", "--force", `${SSH_REPO}:v1`);
    const files = filesIn(podman, `${SSH_REPO}:v1@${published.digest}`);
    expect(files).toEqual(HOSTILE.map((name) => `/ctx/${name}`).sort());
  });

  it("this machine builds the same hostile context (its Containerfile named with quotes and a leading dash) alike", async () => {
    const local = checkImage({
      node: { host: "localhost", local: true },
      context: sshDir,
      dockerfile: DOCKERFILE,
      repo: SSH_REPO,
      version: "v-local",
    });
    if (!local.ok) throw new Error(JSON.stringify(local.failures));
    expect(buildContext(local.spec).hash).toBe(buildContext(sshSpec(SSH_REPO)).hash);
    const published = await publishImage(recorded(local.spec).transport, local.spec);
    expect(published.built).toBe(true);
    expect(filesIn(podman, `${SSH_REPO}:v-local@${published.digest}`)).toEqual(
      HOSTILE.map((name) => `/ctx/${name}`).sort(),
    );
  });

  it("a second run with no change asks the registry once over SSH and builds nothing", async () => {
    const { transport, commands } = recorded(sshSpec(SSH_REPO));
    const published = await publishImage(transport, sshSpec(SSH_REPO));
    expect(published.built).toBe(false);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toContain("skopeo");
  });

  it("a failed build on the node fails naming the node, and leaves no build directory", async () => {
    writeFileSync(path.join(sshDir, "fail.Containerfile"), `FROM ${nodes.images.v1}\nRUN false\n`);
    try {
      const failing = sshSpec(SSH_REPO, { version: "v-fail", dockerfile: "fail.Containerfile" });
      const { transport, commands } = recorded(failing);
      const error = await publishImage(transport, failing).catch((e: Error) => e);
      expect(String(error)).toContain(
        `podman build ${SSH_REPO}:v-fail on ${transport.label} failed`,
      );
      expect(ran(commands, /podman push /)).toBe(0);
      expect(buildsLeft(homedir())).toEqual([]);
      expect(await registryTag(transport, failing, {})).toBeUndefined();
    } finally {
      rmSync(path.join(sshDir, "fail.Containerfile"));
    }
  });

  it(`pushes to the registry that wants a login (${privateRegistry.server}) with node.registries; the password never in a command`, async () => {
    const without = sshSpec(AUTH_REPO);
    const refused = await publishImage(recorded(without).transport, without).catch((e: Error) => e);
    expect(String(refused)).toContain(`registry ${privateRegistry.server} wants credentials`);

    const image = sshSpec(AUTH_REPO, withLogin());
    const { transport, commands } = recorded(image);
    const published = await publishImage(transport, image);
    expect(published.built).toBe(true);
    for (const command of commands) expect(command).not.toContain(privateRegistry.password);
    const afterLogin = commands.filter((c) => !c.includes("--password-stdin"));
    // The query, the build and the push, each with the login's auth file.
    expect(afterLogin.filter((c) => c.includes("--authfile ")).length).toBe(3);
    const tag = await registryTag(transport, image, await registryAccess(transport, image));
    expect(tag?.digest).toBe(published.digest);

    const again = recorded(image);
    expect((await publishImage(again.transport, image)).built).toBe(false);
    expect(ran(again.commands, /podman (build|push) /)).toBe(0);
  });

  it("a wrong password fails naming the registry and the login, never the password; nothing built", async () => {
    const wrong = "wrong-password-7f1d0c";
    const image = sshSpec(AUTH_REPO, { version: "v2", ...withLogin(wrong) });
    const { transport, commands } = recorded(image);
    const error = await publishImage(transport, image).catch((e: Error) => e);
    expect(String(error)).toContain(
      `logging in to registry ${privateRegistry.server} as ${privateRegistry.username} failed`,
    );
    expect(String(error)).not.toContain(wrong);
    expect(ran(commands, /podman (build|push) |skopeo/)).toBe(0);
  });

  it("the rootless login over SSH builds with its own podman and pushes; its build directory is gone", async () => {
    const image = sshSpec(RL_REPO, {}, rl.user);
    const { transport } = recorded(image);
    const published = await publishImage(transport, image);
    expect(published.built).toBe(true);
    expect(podmanAs(rl, "image", "exists", `${RL_REPO}:v1`).exitCode).toBe(0);
    expect(podman("image", "exists", `${RL_REPO}:v1`).exitCode).not.toBe(0);
    expect(buildsLeft(rl.home)).toEqual([]);
    expect(statSync(path.join(rl.home, ".pulumi-mcp")).uid).toBe(rl.uid);
    const files = filesIn((...args) => podmanAs(rl, ...args), `${RL_REPO}:v1@${published.digest}`);
    expect(files).toEqual(HOSTILE.map((name) => `/ctx/${name}`).sort());
  });
});

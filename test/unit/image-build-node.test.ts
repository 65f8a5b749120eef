// mcp.Image on a build node over SSH, the pure and shell layers: check's errors, the context's
// tar stream (unpacked by the real GNU tar), the build script (run by the real sh, with a stand-in
// for podman that records what it was given), and the registry login's order with a fake node.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BUILDS_DIR_IN_HOME, podmanBuildOnNode } from "../../provider/commands/image";
import { buildContext } from "../../provider/runtime/build-context";
import { contextTar } from "../../provider/runtime/context-tar";
import { publishImage } from "../../provider/runtime/image-publish";
import { checkImage, type ImageSpec } from "../../provider/spec/image";
import type { RunOptions } from "../../provider/transport";
import { HOSTILE_FILE_NAMES } from "../hostile-strings";
import { FakeTransport, ok, uniqueLabel } from "./fakes/fake-transport";

const PASSWORD = "s3cret-push-token";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n";
const remote = {
  node: { host: "build.example", user: "mcp", hostKey: `SHA256:${"A".repeat(43)}` },
  credentials: { privateKey: KEY },
  context: "app",
  repo: "reg.example:5000/team/app",
  version: "v1",
};
const reasons = (input: unknown): string[] => {
  const outcome = checkImage(input);
  return outcome.ok ? [] : outcome.failures.map((f) => f.reason);
};
const login = (server = "reg.example:5000") => ({ server, username: "ci", password: PASSWORD });

const scratch = mkdtempSync(path.join(tmpdir(), "image-build-node-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** File names built to hurt, and one beyond ASCII. */
const HOSTILE_NAMES = [...HOSTILE_FILE_NAMES, "ünïcødé.txt"];

function hostileContext(): string {
  const dir = mkdtempSync(path.join(scratch, "ctx-"));
  writeFileSync(path.join(dir, "Containerfile"), "FROM scratch\nCOPY . /\n");
  writeFileSync(path.join(dir, ".containerignore"), "ignored\n");
  mkdirSync(path.join(dir, "ignored"));
  writeFileSync(path.join(dir, "ignored", "big.log"), "never sent\n");
  mkdirSync(path.join(dir, "sub dir"), { mode: 0o750 });
  for (const name of HOSTILE_NAMES) writeFileSync(path.join(dir, "sub dir", name), `${name}\n`);
  writeFileSync(path.join(dir, "run.sh"), "#!/bin/sh\n");
  chmodSync(path.join(dir, "run.sh"), 0o755);
  chmodSync(path.join(dir, "sub dir"), 0o750);
  symlinkSync("sub dir/it's.txt", path.join(dir, "link"));
  return dir;
}

function spec(fields: Record<string, unknown>): ImageSpec {
  const outcome = checkImage({ ...remote, ...fields });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.failures));
  return outcome.spec;
}

describe("checkImage on a build node over SSH", () => {
  it("accepts a node over SSH and the repo's registry login", () => {
    expect(reasons(remote)).toEqual([]);
    expect(reasons({ ...remote, credentials: { privateKey: KEY, registries: [login()] } })).toEqual(
      [],
    );
  });

  it.each([
    [{ credentials: {} }, "node (mcp@build.example:22) has no SSH auth: set privateKey or agent"],
    [{ node: { host: "build.example" } }, "node (build.example) has no host key to verify"],
    [{ node: { ...remote.node, host: "bad host" } }, "node.host"],
    [
      { credentials: { privateKey: KEY, registries: [login("other.example")] } },
      'node.registries[0].server = "other.example": an Image logs in to its repo\'s registry only (reg.example:5000',
    ],
    [
      { credentials: { privateKey: KEY, registries: [login(), login()] } },
      'node.registries[1].server = "reg.example:5000": this registry is listed twice',
    ],
    [
      { credentials: { privateKey: KEY, registries: [{ ...login(), password: "two\nlines" }] } },
      "must be one non-empty line",
    ],
  ])("refuses %j, naming field and value", (change, reason) => {
    const text = reasons({ ...remote, ...change }).join("; ");
    expect(text).toContain(reason);
    expect(text).not.toContain(PASSWORD);
  });
});

describe("the context as a tar stream", () => {
  it("GNU tar unpacks exactly what the hash covers: hostile names, modes, symlinks; ignored files stay home", () => {
    const dir = hostileContext();
    const context = buildContext({ context: dir, buildArgs: {} });
    const out = mkdtempSync(path.join(scratch, "out-"));
    const untar = spawnSync("tar", ["-x", "-p", "-f", "-", "-C", out], {
      input: contextTar(context),
    });
    expect(untar.status, String(untar.stderr)).toBe(0);
    expect(existsSync(path.join(out, "ignored"))).toBe(false);
    expect(readdirSync(path.join(out, "sub dir")).sort()).toEqual([...HOSTILE_NAMES].sort());
    for (const name of HOSTILE_NAMES) {
      expect(readFileSync(path.join(out, "sub dir", name), "utf8")).toBe(`${name}\n`);
    }
    expect(statSync(path.join(out, "run.sh")).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(out, "sub dir")).mode & 0o777).toBe(0o750);
    expect(readlinkSync(path.join(out, "link"))).toBe("sub dir/it's.txt");
    // What arrived hashes as what was sent.
    expect(buildContext({ context: out, buildArgs: {} }).hash).toBe(context.hash);
  });

  it("sends the Containerfile and the ignore file even when the ignore file leaves them out", () => {
    const dir = mkdtempSync(path.join(scratch, "self-ignored-"));
    writeFileSync(path.join(dir, "Containerfile"), "FROM scratch\n");
    writeFileSync(path.join(dir, ".containerignore"), "Containerfile\n.containerignore\n");
    writeFileSync(path.join(dir, "kept"), "k\n");
    const out = mkdtempSync(path.join(scratch, "out-"));
    const tar = contextTar(buildContext({ context: dir, buildArgs: {} }));
    expect(spawnSync("tar", ["-x", "-f", "-", "-C", out], { input: tar }).status).toBe(0);
    expect(readdirSync(out).sort()).toEqual([".containerignore", "Containerfile", "kept"]);
  });

  it("a `!` exception below an ignored directory arrives with that directory's mode; the rest of it stays home", () => {
    const dir = mkdtempSync(path.join(scratch, "exceptions-"));
    writeFileSync(path.join(dir, "Containerfile"), "FROM scratch\n");
    writeFileSync(path.join(dir, ".containerignore"), "logs\n!logs/keep.txt\n");
    mkdirSync(path.join(dir, "logs"));
    writeFileSync(path.join(dir, "logs", "keep.txt"), "kept\n");
    writeFileSync(path.join(dir, "logs", "drop.txt"), "dropped\n");
    chmodSync(path.join(dir, "logs"), 0o751);
    const context = buildContext({ context: dir, buildArgs: {} });
    const out = mkdtempSync(path.join(scratch, "out-"));
    const untar = spawnSync("tar", ["-x", "-p", "-f", "-", "-C", out], {
      input: contextTar(context),
    });
    expect(untar.status, String(untar.stderr)).toBe(0);
    expect(readdirSync(path.join(out, "logs"))).toEqual(["keep.txt"]);
    expect(statSync(path.join(out, "logs")).mode & 0o777).toBe(0o751);
    expect(buildContext({ context: out, buildArgs: {} }).hash).toBe(context.hash);
  });

  it("a Containerfile below a symlink of the context is refused, naming it", () => {
    const dir = mkdtempSync(path.join(scratch, "linked-"));
    const elsewhere = mkdtempSync(path.join(scratch, "elsewhere-"));
    writeFileSync(path.join(elsewhere, "Containerfile"), "FROM scratch\n");
    symlinkSync(elsewhere, path.join(dir, "build"));
    const context = buildContext({
      context: dir,
      dockerfile: "build/Containerfile",
      buildArgs: {},
    });
    expect(() => contextTar(context)).toThrow(
      'dockerfile = "build/Containerfile": lies below a symlink',
    );
  });

  it("a file changed after its hash was taken is refused, naming it", () => {
    const dir = mkdtempSync(path.join(scratch, "changed-"));
    writeFileSync(path.join(dir, "Containerfile"), "FROM scratch\n");
    writeFileSync(path.join(dir, "data"), "one\n");
    const context = buildContext({ context: dir, buildArgs: {} });
    writeFileSync(path.join(dir, "data"), "two\n");
    expect(() => contextTar(context)).toThrow('context file "data" changed during this run');
  });
});

/** Runs the build script with sh in a fresh HOME; `podman` is a stand-in that records its args. */
function runBuildScript(context: string, podmanExit: number) {
  const home = mkdtempSync(path.join(scratch, "home-"));
  const bin = path.join(home, "bin");
  mkdirSync(bin);
  const record = path.join(home, "podman-args");
  // The stand-in: each arg on a NUL-terminated record, then the context's listing, then exit.
  writeFileSync(
    path.join(bin, "podman"),
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done > "${record}"\nfor a in "$@"; do last=$a; done\n(cd "$last" && find . -mindepth 1 -print0) > "${record}.files"\nexit ${podmanExit}\n`,
  );
  chmodSync(path.join(bin, "podman"), 0o755);
  const built = buildContext({ context, buildArgs: { GREETING: "it's a $(test)" } });
  const [file = "", ...args] = podmanBuildOnNode({
    name: "reg.example:5000/team/app:v1",
    contextHash: built.hash,
    buildArgs: { GREETING: "it's a $(test)" },
    authFile: "/home/ci/auth file.json",
    dockerfile: built.dockerfileInContext,
  });
  const run = spawnSync(file, args, {
    input: contextTar(built),
    env: { HOME: home, PATH: `${bin}:/usr/bin:/bin` },
    encoding: "utf8",
  });
  const argv = existsSync(record) ? readFileSync(record, "utf8").split("\0").slice(0, -1) : [];
  const files = existsSync(`${record}.files`)
    ? readFileSync(`${record}.files`, "utf8").split("\0").slice(0, -1)
    : [];
  return { run, argv, files, builds: path.join(home, BUILDS_DIR_IN_HOME), hash: built.hash };
}

describe("the build script on the node", () => {
  it("unpacks into a private directory, builds there with every argument intact, removes it after", () => {
    const { run, argv, files, builds, hash } = runBuildScript(hostileContext(), 0);
    expect(run.status, run.stderr).toBe(0);
    const dir = argv.at(-1) ?? "";
    expect(dir).toMatch(new RegExp(`^${builds}/build\\.[A-Za-z0-9]{8}/context$`));
    expect(argv).toEqual([
      "build",
      "--file",
      "./Containerfile",
      "--quiet",
      "--label",
      `io.pulumi-mcp.context-hash=${hash}`,
      "--tag",
      "reg.example:5000/team/app:v1",
      "--authfile",
      "/home/ci/auth file.json",
      "--build-arg",
      "GREETING=it's a $(test)",
      "--",
      dir,
    ]);
    for (const name of HOSTILE_NAMES) expect(files).toContain(`./sub dir/${name}`);
    expect(files.filter((file) => file.includes("ignored"))).toEqual([]);
    expect(statSync(builds).mode & 0o777).toBe(0o700);
    expect(readdirSync(builds)).toEqual([]);
  });

  it("a failed build still removes its directory and keeps podman's exit status", () => {
    const { run, argv, builds } = runBuildScript(hostileContext(), 3);
    expect(argv[0]).toBe("build");
    expect(run.status).toBe(3);
    expect(readdirSync(builds)).toEqual([]);
  });
});

describe("publishing on a fake build node", () => {
  it("logs in first (password on stdin only), then asks, builds and pushes with that auth file", async () => {
    const dir = hostileContext();
    const calls: { argv: string; stdin: RunOptions["stdin"] }[] = [];
    const node = new FakeTransport(uniqueLabel(), (argv, options) => {
      const line = argv.join(" ");
      calls.push({ argv: line, stdin: options?.stdin });
      if (line.includes("--password-stdin"))
        return ok("/home/mcp/.pulumi-mcp/registry-auth/r.json\n");
      if (line.includes("skopeo")) return { exitCode: 1, stdout: "", stderr: "manifest unknown" };
      if (line.includes("podman push")) return ok(`sha256:${"c".repeat(64)}`);
      return ok();
    });
    const image = spec({ context: dir, credentials: { privateKey: KEY, registries: [login()] } });
    const published = await publishImage(node, image);
    expect(published).toMatchObject({ built: true, digest: `sha256:${"c".repeat(64)}` });
    expect(calls).toHaveLength(4);
    const [loginCall, inspect, build, push] = calls;
    expect(loginCall?.stdin).toBe(PASSWORD);
    expect(inspect?.argv).toContain("--authfile /home/mcp/.pulumi-mcp/registry-auth/r.json");
    expect(build?.argv).toContain("--authfile /home/mcp/.pulumi-mcp/registry-auth/r.json");
    expect(Buffer.isBuffer(build?.stdin)).toBe(true);
    expect(push?.argv).toContain("--authfile /home/mcp/.pulumi-mcp/registry-auth/r.json");
    for (const call of calls) expect(call.argv).not.toContain(PASSWORD);
  });

  it("a registry that refuses the push names the registry and the login, never the password", async () => {
    const node = new FakeTransport(uniqueLabel(), (argv) => {
      const line = argv.join(" ");
      if (line.includes("--password-stdin")) return ok("/h/.pulumi-mcp/registry-auth/r.json\n");
      if (line.includes("skopeo")) return { exitCode: 1, stdout: "", stderr: "manifest unknown" };
      if (line.includes("podman push"))
        return {
          exitCode: 125,
          stdout: "",
          stderr: "Error: unauthorized: authentication required",
        };
      return ok();
    });
    const image = spec({
      context: hostileContext(),
      credentials: { privateKey: KEY, registries: [login()] },
    });
    const error = await publishImage(node, image).catch((e: Error) => e);
    expect(String(error)).toContain("podman push reg.example:5000/team/app:v1 failed");
    expect(String(error)).toContain("registry reg.example:5000 refused ci");
    expect(String(error)).not.toContain(PASSWORD);
  });
});

// `npm pack` of a CLEAN CLONE of pulumi-mcp (committed files only, no dist/: its prepack script
// builds it) installs into an EMPTY project, loads there and its types compile there.
// The clone borrows the repository's node_modules (a symlink) to build, as `npm ci` would fill it.
// Offline: npm installs the tarball with --offline and a loopback registry address that answers
// nothing (so it cannot reach any registry), and pulumi-mcp's dependencies (and @pulumi/pulumi,
// typescript, @types/node) resolve through `file:` links to the repository's node_modules —
// outside the project, so npm only symlinks them and installs nothing into the repository.
// --legacy-peer-deps: npm 11's arborist crashes placing a peer dependency against a linked
// package ("Cannot read properties of null (reading 'matches')"); from a registry it would not.

import { execFile, execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliStack } from "../cli/pulumi-cli";
import { REPO_ROOT } from "../cli/repo-root";
import { loadTestNodes, testNodeConfig } from "../integration/test-nodes";

const run = promisify(execFile);
const MODULES = path.join(REPO_ROOT, "node_modules");
// pulumi-mcp's own dependencies (read from its package.json, so a new one is not missed), its
// peer @pulumi/pulumi, and what the consumer program compiles with.
const LINKED = [
  ...Object.keys(
    (
      JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
        dependencies: Record<string, string>;
      }
    ).dependencies,
  ),
  "@pulumi/pulumi",
  "typescript",
  "@types/node",
];

let project = "";
let clone = "";
let tarball = "";

function writeJson(file: string, value: unknown): void {
  writeFileSync(path.join(project, file), `${JSON.stringify(value, null, 2)}\n`);
}

/** tsc options every user would have; the variants differ in module resolution only. */
function tsconfig(module: "commonjs" | "node16"): Record<string, unknown> {
  return {
    compilerOptions: {
      target: "ES2022",
      module,
      moduleResolution: module === "commonjs" ? "node" : "node16",
      strict: true,
      esModuleInterop: true,
      // The package's own .d.ts (and what they import) are checked too.
      skipLibCheck: false,
      noEmit: true,
      types: ["node"],
    },
    files: ["index.ts"],
  };
}

beforeAll(() => {
  // Outside the repository, so nothing resolves by walking up into its node_modules.
  project = mkdtempSync(path.join(tmpdir(), "pulumi-mcp-empty-project-"));
  clone = mkdtempSync(path.join(tmpdir(), "pulumi-mcp-clean-clone-"));
  execFileSync("git", ["clone", "--quiet", "--no-hardlinks", REPO_ROOT, clone], {
    stdio: "ignore",
  });
  expect(existsSync(path.join(clone, "dist"))).toBe(false);
  symlinkSync(MODULES, path.join(clone, "node_modules"), "dir");
  const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", project], {
    cwd: clone,
    encoding: "utf8",
  });
  tarball = out.trim().split("\n").pop() ?? "";
  writeJson("package.json", { name: "empty-project", private: true });
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
  if (clone) rmSync(clone, { recursive: true, force: true });
});

describe("pulumi-mcp from `npm pack` in an empty project", () => {
  it("the tarball holds the compiled package only: dist/*.js and *.d.ts, package.json, README, LICENSE", () => {
    const files = execFileSync("tar", ["-tzf", path.join(project, tarball)], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map((file) => file.replace(/^package\//, ""));
    const other = files.filter((f) => !/^dist\/.*\.(?:js|d\.ts)$/.test(f));
    expect(other.sort()).toEqual(["LICENSE", "README.md", "package.json"]);
    expect(files).toContain("dist/index.d.ts");
  });

  it("npm installs it offline; it loads from the project's own node_modules", async () => {
    const link = (name: string) => `file:${path.join(MODULES, name)}`;
    writeJson("package.json", {
      name: "empty-project",
      private: true,
      dependencies: {
        "pulumi-mcp": `file:${tarball}`,
        ...Object.fromEntries(LINKED.map((name) => [name, link(name)])),
      },
    });
    await run(
      "npm",
      [
        "install",
        "--offline",
        "--registry=http://127.0.0.1:9/",
        "--ignore-scripts",
        "--legacy-peer-deps",
        "--no-audit",
        "--no-fund",
      ],
      { cwd: project, timeout: 90_000 },
    );
    const installed = path.join(project, "node_modules", "pulumi-mcp");
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    const manifest = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8"));
    expect(manifest.version).toBe(
      JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version,
    );
    const probe =
      'const m = require("pulumi-mcp"); console.log(require.resolve("pulumi-mcp"), Object.keys(m).sort().join(","))';
    const { stdout } = await run(process.execPath, ["-e", probe], { cwd: project });
    expect(stdout.trim()).toBe(
      `${path.join(installed, "dist", "index.js")} Component,Image,Service,extractVersion,parseImageRef`,
    );
    // The bin entry (the logs command): npm links it, and it runs from the installed package.
    const help = await run(path.join(project, "node_modules", ".bin", "pulumi-mcp"), ["--help"], {
      cwd: project,
    });
    expect(help.stderr).toContain("usage: pulumi-mcp logs");
  });

  it("a program using Component, Service and NodeArgs compiles with tsc --noEmit, strict", async () => {
    cpSync(path.join(__dirname, "consumer", "index.ts"), path.join(project, "index.ts"));
    writeJson("tsconfig.json", tsconfig("commonjs"));
    writeJson("tsconfig.node16.json", tsconfig("node16"));
    const tsc = path.join(project, "node_modules", "typescript", "bin", "tsc");
    const compile = (config: string) =>
      run(process.execPath, [tsc, "-p", config], { cwd: project, timeout: 100_000 }).catch(
        (error: { stdout?: string; message: string }) => {
          throw new Error(`tsc -p ${config} failed:\n${error.stdout ?? error.message}`);
        },
      );
    await Promise.all([compile("tsconfig.json"), compile("tsconfig.node16.json")]);
  });

  it("the real pulumi CLI previews examples/basic from that install: the component to create, no SSH", async () => {
    const nodes = loadTestNodes();
    for (const file of ["index.ts", "Pulumi.yaml"]) {
      cpSync(path.join(REPO_ROOT, "examples", "basic", file), path.join(project, file));
    }
    const stack = new CliStack({ dir: project, stack: "packed", passphrase: "packed-e2e" }).init();
    stack.setAllConfig({ ...testNodeConfig(nodes), image: nodes.images.v1, httpPort: 18495 });
    const run = await stack.run("preview", { diff: true });
    expect(run.ok, `${run.stdout}${run.stderr}`).toBe(true);
    expect(run.steps.find((s) => s.name === "hello-web")?.op).toBe("create");
    expect(run.stdout).toContain("+ pulumi-nodejs:dynamic/mcp:Component: (create)");
    expect(run.handshakes).toBe(0);
  });
});

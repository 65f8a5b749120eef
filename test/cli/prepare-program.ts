// TEST ONLY. Makes a program directory the way a user's project looks after
// `npm install`: an example copied to .test-nodes/programs/<name>, pulumi-mcp installed from the
// repository's `npm pack` tarball as a real copy in node_modules/pulumi-mcp (so the serialised
// provider is a bare `require("pulumi-mcp/…")`), and every other dependency symlinked from the
// repository's node_modules (no network). A state directory inside survives re-preparing.

import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./repo-root";

export interface PrepareProgramOptions {
  /** The example to copy, relative to the repository (e.g. "examples/basic") or absolute. */
  example: string;
  /** Directory name under .test-nodes/programs; the example's own name by default. */
  name?: string;
}

export interface PreparedProgram {
  dir: string;
  /** `name:` from Pulumi.yaml. */
  project: string;
  tarball: string;
}

export const PROGRAMS_DIR = path.join(REPO_ROOT, ".test-nodes", "programs");

export function prepareProgram(options: PrepareProgramOptions): PreparedProgram {
  const example = path.resolve(REPO_ROOT, options.example);
  const dir = path.join(PROGRAMS_DIR, options.name ?? path.basename(example));
  mkdirSync(dir, { recursive: true });
  cpSync(example, dir, {
    recursive: true,
    filter: (source) => !source.split(path.sep).includes("node_modules"),
  });
  // Its own package scope, as every real project has: without one, "pulumi-mcp" would resolve
  // to the repository itself (its package.json "exports" allow self-reference), not the install.
  const manifest = path.join(dir, "package.json");
  if (!existsSync(manifest)) {
    writeFileSync(manifest, `${JSON.stringify({ name: path.basename(dir), private: true })}\n`);
  }
  const tarball = packRepository(path.join(dir, ".pack"));
  const installed = path.join(dir, "node_modules", "pulumi-mcp");
  rmSync(installed, { recursive: true, force: true });
  mkdirSync(installed, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"], dir);
  for (const name of dependenciesToLink(example)) linkFromRepository(dir, name);
  return { dir, project: readProjectName(dir), tarball };
}

export function readProjectName(programDir: string): string {
  const yaml = readFileSync(path.join(programDir, "Pulumi.yaml"), "utf8");
  const name = /^name:\s*["']?([^"'\s#]+)/m.exec(yaml)?.[1];
  if (!name) throw new Error(`${programDir}/Pulumi.yaml has no name:`);
  return name;
}

/** `npm pack` of the working tree (its prepack script builds dist/ first). */
function packRepository(into: string): string {
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  const out = run("npm", ["pack", "--silent", "--pack-destination", into], REPO_ROOT);
  const file = out.trim().split("\n").pop() ?? "";
  return path.join(into, file);
}

/** The example's dependencies and pulumi-mcp's own, except pulumi-mcp itself. */
function dependenciesToLink(example: string): string[] {
  const names = new Set<string>();
  for (const file of [path.join(example, "package.json"), path.join(REPO_ROOT, "package.json")]) {
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const lists = file.startsWith(example)
      ? [pkg.dependencies, pkg.devDependencies]
      : [pkg.dependencies, pkg.peerDependencies];
    for (const list of lists) {
      if (list && typeof list === "object") for (const name of Object.keys(list)) names.add(name);
    }
  }
  names.delete("pulumi-mcp");
  return [...names].sort();
}

function linkFromRepository(dir: string, name: string): void {
  const source = path.join(REPO_ROOT, "node_modules", name);
  if (!existsSync(source)) return; // resolved by walking up, or not needed to run
  const target = path.join(dir, "node_modules", name);
  mkdirSync(path.dirname(target), { recursive: true });
  rmSync(target, { recursive: true, force: true });
  symlinkSync(source, target, "dir");
}

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(" ")} failed in ${cwd}:\n${e.stdout ?? ""}${e.stderr ?? e.message}`,
    );
  }
}

import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import * as path from "node:path";
import ignore from "@balena/dockerignore";
import type { ImageSpec } from "../spec/image";

/** What podman build is given: the context directory and the Containerfile in it, both absolute. */
export interface BuildContext {
  dir: string;
  dockerfile: string;
  /** sha256:… over what the build sees (below). */
  hash: string;
}

/** buildah reads .containerignore when there is one, else .dockerignore. */
const IGNORE_FILES = [".containerignore", ".dockerignore"];
const DEFAULT_FILES = ["Containerfile", "Dockerfile"];

/** The directory a relative context is taken from: the project's (the provider process runs there). */
export function contextDir(context: string): string {
  return path.resolve(process.cwd(), context);
}

interface IgnoreRules {
  ignores(relative: string): boolean;
  /** A `!` rule can take back files below an ignored directory: then it must be walked. */
  exceptions: boolean;
}

function ignoreRules(dir: string): IgnoreRules {
  for (const name of IGNORE_FILES) {
    const file = path.join(dir, name);
    if (!existsSync(file)) continue;
    const lines = readFileSync(file, "utf8").split(/\r?\n/);
    const rules = ignore().add(lines);
    return {
      ignores: (relative) => rules.ignores(relative),
      exceptions: lines.some((line) => line.trim().startsWith("!")),
    };
  }
  return { ignores: () => false, exceptions: false };
}

/**
 * Hashes the build context as podman sends it to the build: every file,
 * directory and symlink the ignore file keeps (path, type, permission bits,
 * content or link target), the Containerfile's name and content, and the
 * build args. Owners and mtimes are left out: they would make every
 * checkout differ. Only reads: a preview computes it with no side effect.
 */
export function buildContext(
  spec: Pick<ImageSpec, "context" | "dockerfile" | "buildArgs">,
): BuildContext {
  const dir = contextDir(spec.context);
  if (!existsSync(dir) || !lstatSync(dir).isDirectory()) {
    throw new Error(`context = ${JSON.stringify(spec.context)}: ${dir} is not a directory`);
  }
  const relative =
    spec.dockerfile ?? DEFAULT_FILES.find((name) => existsSync(path.join(dir, name)));
  if (!relative || !existsSync(path.join(dir, relative))) {
    throw new Error(
      spec.dockerfile
        ? `dockerfile = ${JSON.stringify(spec.dockerfile)}: no such file in ${dir}`
        : `context = ${JSON.stringify(spec.context)}: ${dir} has no Containerfile or Dockerfile (set dockerfile)`,
    );
  }
  const dockerfile = path.join(dir, relative);
  const rules = ignoreRules(dir);
  const hash = createHash("sha256");
  const add = (...fields: string[]) => hash.update(`${fields.join("\0")}\n`);
  add("pulumi-mcp context v1");
  add("dockerfile", relative, createHash("sha256").update(readFileSync(dockerfile)).digest("hex"));
  for (const [key, value] of Object.entries(spec.buildArgs).sort(([a], [b]) => (a < b ? -1 : 1)))
    add("arg", key, value);
  const walk = (sub: string): void => {
    const entries = readdirSync(path.join(dir, sub), { withFileTypes: true })
      .map((entry) => entry.name)
      .sort();
    for (const name of entries) {
      const rel = sub ? `${sub}/${name}` : name;
      const full = path.join(dir, rel);
      const stat = lstatSync(full);
      const ignored = rules.ignores(rel);
      const mode = (stat.mode & 0o7777).toString(8);
      if (stat.isDirectory()) {
        if (!ignored) add("dir", rel, mode);
        if (!ignored || rules.exceptions) walk(rel);
      } else if (ignored) {
      } else if (stat.isSymbolicLink()) {
        add("link", rel, readlinkSync(full));
      } else if (stat.isFile()) {
        add("file", rel, mode, createHash("sha256").update(readFileSync(full)).digest("hex"));
      } else {
        add("other", rel, mode);
      }
    }
  };
  walk("");
  return { dir, dockerfile, hash: `sha256:${hash.digest("hex")}` };
}

import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import * as path from "node:path";
import ignore from "@balena/dockerignore";
import type { ImageSpec } from "../spec/image";

/** One thing of the context the build sees, as hashed (and as sent to a remote build node). */
export interface ContextEntry {
  /** Relative to the context, `/`-separated. */
  path: string;
  kind: "dir" | "file" | "link" | "other";
  /** Permission bits. */
  mode: number;
  mtimeMs: number;
  /** Files: hex sha256 of the content. */
  sha256?: string;
  /** Symlinks: the link's target. */
  target?: string;
  /**
   * An ignored directory walked for the ignore file's `!` exceptions: not
   * hashed, sent to a build node only so that what the exceptions keep
   * below it gets its mode (the node's podman ignores it as podman here does).
   */
  parentOnly?: true;
}

/** What podman build is given: the context directory and the Containerfile in it, both absolute. */
export interface BuildContext {
  dir: string;
  dockerfile: string;
  /** The Containerfile relative to `dir`. */
  dockerfileInContext: string;
  /** The ignore file podman reads (relative), if the context has one. */
  ignoreFile?: string;
  /** sha256:… over what the build sees (below). */
  hash: string;
  /** What the ignore file keeps (and the directories its exceptions are in), parents before children. */
  entries: ContextEntry[];
}

/** buildah reads .containerignore when there is one, else .dockerignore. */
const IGNORE_FILES = [".containerignore", ".dockerignore"];
const DEFAULT_FILES = ["Containerfile", "Dockerfile"];

/** The directory a relative context is taken from: the project's (the provider process runs there). */
export function contextDir(context: string): string {
  return path.resolve(process.cwd(), context);
}

interface IgnoreRules {
  file?: string;
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
      file: name,
      ignores: (relative) => rules.ignores(relative),
      exceptions: lines.some((line) => line.trim().startsWith("!")),
    };
  }
  return { ignores: () => false, exceptions: false };
}

/** hex sha256 of a file's content. */
export function fileSha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
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
  add("dockerfile", relative, fileSha256(dockerfile));
  for (const [key, value] of Object.entries(spec.buildArgs).sort(([a], [b]) => (a < b ? -1 : 1)))
    add("arg", key, value);
  const entries: ContextEntry[] = [];
  const walk = (sub: string): void => {
    const names = readdirSync(path.join(dir, sub), { withFileTypes: true })
      .map((entry) => entry.name)
      .sort();
    for (const name of names) {
      const rel = sub ? `${sub}/${name}` : name;
      const full = path.join(dir, rel);
      const stat = lstatSync(full);
      const ignored = rules.ignores(rel);
      const mode = stat.mode & 0o7777;
      const entry = { path: rel, mode, mtimeMs: stat.mtimeMs };
      if (stat.isDirectory()) {
        if (!ignored) {
          add("dir", rel, mode.toString(8));
          entries.push({ ...entry, kind: "dir" });
        } else if (rules.exceptions) entries.push({ ...entry, kind: "dir", parentOnly: true });
        if (!ignored || rules.exceptions) walk(rel);
      } else if (ignored) {
      } else if (stat.isSymbolicLink()) {
        const target = readlinkSync(full);
        add("link", rel, target);
        entries.push({ ...entry, kind: "link", target });
      } else if (stat.isFile()) {
        const sha256 = fileSha256(full);
        add("file", rel, mode.toString(8), sha256);
        entries.push({ ...entry, kind: "file", sha256 });
      } else {
        add("other", rel, mode.toString(8));
        entries.push({ ...entry, kind: "other" });
      }
    }
  };
  walk("");
  return {
    dir,
    dockerfile,
    dockerfileInContext: relative,
    ignoreFile: rules.file,
    hash: `sha256:${hash.digest("hex")}`,
    entries,
  };
}

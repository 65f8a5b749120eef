// TEST ENGINE — not shipped. Where a project's program runs, from its Pulumi.yaml, as the CLI
// decides it (pkg/engine's getPwdMain): without `main:` the program is the project directory
// itself (entry "."); `main: stack/` (a directory) makes <root>/stack the working directory of
// the program and of the provider plugins, entry "."; `main: app.ts` (a file) runs that file
// with its directory as the working directory. `main` must stay inside the project.

import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";

export interface ProgramLocation {
  /** Where Pulumi.yaml is (the program's --root-directory). */
  rootDir: string;
  /** The working directory of the program and of the provider processes (--pwd). */
  pwd: string;
  /** What the language host runs: "." or an absolute file path. */
  entry: string;
}

/** `main:` of the project's Pulumi.yaml, if any. */
export function readProjectMain(rootDir: string): string | undefined {
  const file = path.join(rootDir, "Pulumi.yaml");
  if (!existsSync(file)) return undefined;
  const project: unknown = parseDocument(readFileSync(file, "utf8")).toJS();
  if (!project || typeof project !== "object") return undefined;
  const main = (project as { main?: unknown }).main;
  if (main === undefined || main === null || main === "") return undefined;
  if (typeof main !== "string") throw new Error(`${file}: main must be a string`);
  return main;
}

export function programLocation(rootDir: string): ProgramLocation {
  const root = path.resolve(rootDir);
  const main = readProjectMain(root);
  if (main === undefined) return { rootDir: root, pwd: root, entry: "." };
  if (path.isAbsolute(main)) throw new Error(`project 'main' must be a relative path: ${main}`);
  const target = path.resolve(root, main);
  if (target !== root && !target.startsWith(`${root}${path.sep}`)) {
    throw new Error(`project 'main' must be a subfolder: ${main}`);
  }
  if (!existsSync(target)) throw new Error(`project 'main' could not be read: ${target}`);
  return statSync(target).isDirectory()
    ? { rootDir: root, pwd: target, entry: "." }
    : { rootDir: root, pwd: path.dirname(target), entry: target };
}

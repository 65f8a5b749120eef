// TEST TOOL — not shipped. A throwaway "program directory" like the one `pulumi up` runs in:
// packages copied into node_modules (a real copy, not a symlink: the closure serialiser uses the
// module's real path, and a symlink leading out of node_modules makes it serialise by value), and
// dependencies such as @pulumi symlinked from the repository's node_modules.

import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";

import { REPO_ROOT } from "../cli/repo-root";

export { REPO_ROOT };

export interface ProgramDirOptions {
  /** Package name -> directory to copy into node_modules/<name>. */
  packages?: Record<string, string>;
  /** Names under the repository's node_modules to symlink, e.g. "@pulumi". Default ["@pulumi"]. */
  links?: string[];
  /** Relative path -> contents, for files of the program itself. */
  files?: Record<string, string>;
  /** Where to make the directory; the system temp dir by default. */
  parent?: string;
}

export interface ProgramDir {
  dir: string;
  remove(): Promise<void>;
}

export async function createProgramDir(options: ProgramDirOptions = {}): Promise<ProgramDir> {
  if (options.parent) await mkdir(options.parent, { recursive: true });
  const dir = await mkdtemp(path.join(options.parent ?? os.tmpdir(), "pulumi-mcp-program-"));
  const modules = path.join(dir, "node_modules");
  await mkdir(modules);
  // A project of its own, as every real program is: its package scope ends here.
  await writeFile(
    path.join(dir, "package.json"),
    `${JSON.stringify({ name: path.basename(dir).toLowerCase(), private: true })}\n`,
  );
  for (const name of options.links ?? ["@pulumi"]) {
    await mkdir(path.dirname(path.join(modules, name)), { recursive: true });
    await symlink(path.join(REPO_ROOT, "node_modules", name), path.join(modules, name), "dir");
  }
  for (const [name, source] of Object.entries(options.packages ?? {})) {
    await cp(source, path.join(modules, name), { recursive: true, dereference: true });
  }
  for (const [file, contents] of Object.entries(options.files ?? {})) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), contents);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

// TEST TOOL — not shipped. A program directory with pulumi-mcp installed from `npm pack`
// output, as a user's install has it, so the serialised provider is a require of the package.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { createProgramDir, type ProgramDir, REPO_ROOT } from "./program-dir";

/** The provider modules as an installed package names them. */
export const COMPONENT_PROVIDER_MODULE = "pulumi-mcp/dist/resources/component-provider.js";
export const SERVICE_PROVIDER_MODULE = "pulumi-mcp/dist/resources/service-provider.js";

/**
 * Packs the built package and unpacks it into `<dir>/node_modules/pulumi-mcp`.
 * The directory sits inside the repository so the package's own dependencies
 * (ssh2, zod, execa) resolve from the repository's node_modules, offline.
 */
export async function createInstalledProgram(): Promise<ProgramDir> {
  if (!existsSync(path.join(REPO_ROOT, "dist/index.js"))) {
    throw new Error("dist/ is missing: run `npm run build` before the integration tests");
  }
  const program = await createProgramDir({
    parent: path.join(REPO_ROOT, ".test-nodes", "programs"),
  });
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", program.dir], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  const tarball = path.join(program.dir, packed.trim().split("\n").pop() ?? "");
  const target = path.join(program.dir, "node_modules", "pulumi-mcp");
  mkdirSync(target, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"]);
  return program;
}

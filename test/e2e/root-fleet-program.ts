// TEST ONLY (e2e). A copy of the repository's root fleet program as a user's infra repo holds it:
// Pulumi.yaml (`main: stack/`), Pulumi.dev.yaml, Pulumi.prod.yaml, stack/ and a package.json of its
// own (no "main"/"exports": the repository's own package.json would point the program at
// dist/index.js), with pulumi-mcp installed from `npm pack` by prepareProgram.

import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { isMap, parseDocument } from "yaml";
import { PROGRAMS_DIR } from "../cli/prepare-program";
import { REPO_ROOT } from "../cli/repo-root";

export const PROJECT = "mcp-fleet";
const SOURCE = path.join(PROGRAMS_DIR, "e2e-root-fleet-source");

/** Stages the root program's files for prepareProgram (which copies and installs them). */
export function stageRootFleet(): string {
  rmSync(SOURCE, { recursive: true, force: true });
  mkdirSync(SOURCE, { recursive: true });
  const files = readdirSync(REPO_ROOT).filter((f) => /^Pulumi(\.[\w-]+)?\.yaml$/.test(f));
  for (const file of files) cpSync(path.join(REPO_ROOT, file), path.join(SOURCE, file));
  cpSync(path.join(REPO_ROOT, "stack"), path.join(SOURCE, "stack"), { recursive: true });
  const manifest = {
    name: "mcp-fleet-infra",
    private: true,
    dependencies: {
      "@pulumi/pulumi": "3.270.0",
      "pulumi-mcp": "file:pulumi-mcp-0.1.0.tgz",
      zod: "^4.1.0",
    },
  };
  writeFileSync(path.join(SOURCE, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return SOURCE;
}

/**
 * Renames every service of a stack file's `mcp-fleet:services` to `<prefix><name>` (so its
 * containers cannot collide with another test's); returns the new names.
 */
export function prefixServices(stackFile: string, prefix: string): string[] {
  const doc = parseDocument(readFileSync(stackFile, "utf8"));
  const services = doc.getIn(["config", `${PROJECT}:services`]);
  if (!isMap(services)) throw new Error(`${stackFile} has no ${PROJECT}:services map`);
  const names: string[] = [];
  for (const pair of services.items) {
    const renamed = `${prefix}${String(pair.key)}`;
    pair.key = doc.createNode(renamed);
    names.push(renamed);
  }
  writeFileSync(stackFile, doc.toString());
  return names;
}

export interface DeclaredComponent {
  service: string;
  name: string;
  image: string;
  ports?: string[];
}

/** The services and components a stack config declares (`pulumi config --json`'s objectValue). */
export function declaredComponents(services: unknown): DeclaredComponent[] {
  const byName = services as Record<string, { components: Omit<DeclaredComponent, "service">[] }>;
  return Object.entries(byName).flatMap(([service, { components }]) =>
    components.map((component) => ({ ...component, service })),
  );
}

/** Every string inside a secret config value, and every line of a multi-line one. */
export function secretStrings(
  config: Record<string, { value: unknown; secret: boolean }>,
): string[] {
  const strings: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === "string") {
      if (value.length >= 6) strings.push(value);
      // A key's body lines too: JSON output would escape the newlines between them.
      if (value.includes("\n"))
        strings.push(...value.split("\n").filter((l) => l.length >= 6 && !l.startsWith("-----")));
    } else if (value !== null && typeof value === "object") Object.values(value).forEach(collect);
  };
  for (const { value, secret } of Object.values(config)) if (secret) collect(value);
  return strings;
}

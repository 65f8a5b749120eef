// Self-test of the test engine's reading of `main:` (project-file.ts), against temp directories.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { programLocation } from "../project-file";

const root = mkdtempSync(path.join(tmpdir(), "engine-project-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function project(name: string, main?: string): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, "stack"), { recursive: true });
  writeFileSync(path.join(dir, "stack", "index.ts"), "");
  const line = main === undefined ? "" : `main: ${main}\n`;
  writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\n${line}`);
  return dir;
}

describe("programLocation (Pulumi.yaml main:)", () => {
  it("no main: the project directory, entry '.'", () => {
    const dir = project("plain");
    expect(programLocation(dir)).toEqual({ rootDir: dir, pwd: dir, entry: "." });
  });

  it("main: a directory becomes the working directory, entry '.'", () => {
    const dir = project("bydir", "stack/");
    expect(programLocation(dir)).toEqual({
      rootDir: dir,
      pwd: path.join(dir, "stack"),
      entry: ".",
    });
  });

  it("main: a file runs that file from its directory", () => {
    const dir = project("byfile", "stack/index.ts");
    expect(programLocation(dir)).toEqual({
      rootDir: dir,
      pwd: path.join(dir, "stack"),
      entry: path.join(dir, "stack", "index.ts"),
    });
  });

  it("refuses a main outside the project, or missing", () => {
    expect(() => programLocation(project("outside", "../elsewhere"))).toThrow(/subfolder/);
    expect(() => programLocation(project("missing", "nope/"))).toThrow(/could not be read/);
  });
});

import { createHash } from "node:crypto";
import { lstatSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { Header, Pax } from "tar";
import { type BuildContext, type ContextEntry, fileSha256 } from "./build-context";

/**
 * The build context as a POSIX (pax) tar stream, for a build node over SSH:
 * exactly the entries the context hash covers, plus the Containerfile and the
 * ignore file even when the ignore file leaves them out (podman reads both on
 * the node as it does here). Each file is read again and must still have the
 * content that was hashed. Names of any bytes (spaces, quotes, newlines,
 * leading dashes, beyond 100 bytes) travel in pax `path` records; they are
 * data in the stream, never words of a shell.
 */
export function contextTar(context: BuildContext): Buffer {
  const entries = [...context.entries];
  const listed = new Set(entries.map((entry) => entry.path));
  const links = entries.filter((entry) => entry.kind === "link").map((entry) => `${entry.path}/`);
  for (const always of [context.dockerfileInContext, context.ignoreFile]) {
    if (!always || listed.has(always)) continue;
    // Unpacked through a symlink of the context, it could land outside the build directory.
    if (links.some((link) => always.startsWith(link))) {
      throw new Error(
        `dockerfile = ${JSON.stringify(always)}: lies below a symlink of the context; a build node cannot be sent it (name the file the link points to)`,
      );
    }
    entries.push(extraFile(context.dir, always));
  }
  const blocks: Buffer[] = [];
  for (const entry of entries) blocks.push(...entryBlocks(context.dir, entry));
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

const BLOCK = 512;
const TYPE = { file: "File", link: "SymbolicLink", dir: "Directory" } as const;

function extraFile(dir: string, relative: string): ContextEntry {
  const full = path.join(dir, relative);
  const stat = lstatSync(full);
  return {
    path: relative,
    kind: "file",
    mode: stat.mode & 0o7777,
    mtimeMs: stat.mtimeMs,
    sha256: fileSha256(full),
  };
}

function entryBlocks(dir: string, entry: ContextEntry): Buffer[] {
  if (entry.kind === "other") {
    throw new Error(
      `context entry ${JSON.stringify(entry.path)} is neither a file, a directory nor a symlink: it cannot be sent to a build node (add it to the ignore file)`,
    );
  }
  let data = Buffer.alloc(0);
  if (entry.kind === "file") {
    data = readFileSync(path.join(dir, entry.path));
    if (createHash("sha256").update(data).digest("hex") !== entry.sha256) {
      throw new Error(
        `context file ${JSON.stringify(entry.path)} changed during this run (after its hash was taken): run again`,
      );
    }
  }
  // npm's own tar writes the headers: a name or link target a ustar header cannot
  // hold exactly (long, or bytes beyond ASCII) goes first in a pax record.
  const fields = {
    path: entry.kind === "dir" ? `${entry.path}/` : entry.path,
    linkpath: entry.target,
    mode: entry.mode,
    uid: 0,
    gid: 0,
    size: data.length,
    mtime: new Date(Math.floor(entry.mtimeMs / 1000) * 1000),
    type: TYPE[entry.kind],
  };
  const block = Buffer.alloc(BLOCK);
  const blocks = new Header(fields).encode(block) ? [new Pax(fields).encode(), block] : [block];
  if (data.length > 0) blocks.push(data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  return blocks;
}

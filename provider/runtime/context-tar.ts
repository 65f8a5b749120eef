import { createHash } from "node:crypto";
import { lstatSync, readFileSync } from "node:fs";
import * as path from "node:path";
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
const TYPE = { file: "0", link: "2", dir: "5" } as const;
/** What a ustar header field holds as is; anything else goes in a pax record. */
const PLAIN = /^[\x21-\x7e]*$/;

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
  const name = entry.kind === "dir" ? `${entry.path}/` : entry.path;
  const linkname = entry.target ?? "";
  const pax: Record<string, string> = {};
  if (!PLAIN.test(name) || Buffer.byteLength(name) > 100) pax.path = name;
  if (!PLAIN.test(linkname) || Buffer.byteLength(linkname) > 100) pax.linkpath = linkname;
  const mtime = Math.floor(entry.mtimeMs / 1000);
  const blocks: Buffer[] = [];
  if (Object.keys(pax).length > 0) {
    const records = Buffer.from(Object.entries(pax).map(paxRecord).join(""), "utf8");
    blocks.push(header({ name: "PaxHeader", mode: 0o644, size: records.length, mtime, type: "x" }));
    blocks.push(padded(records));
  }
  blocks.push(
    header({
      name: pax.path ? "pax-named" : name,
      linkname: pax.linkpath ? "pax-linked" : linkname,
      mode: entry.mode,
      size: data.length,
      mtime,
      type: TYPE[entry.kind],
    }),
  );
  if (data.length > 0) blocks.push(padded(data));
  return blocks;
}

/** `<length> key=value\n`, the length counting itself. */
function paxRecord([key, value]: [string, string]): string {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  const digits = String(bytes).length;
  let length = bytes + digits;
  if (String(length).length > digits) length += 1;
  return `${length}${body}`;
}

function padded(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

function octal(value: number, width: number): string {
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new Error(`${value} does not fit a tar header field`);
  return `${digits.padStart(width - 1, "0")}\0`;
}

function header(fields: {
  name: string;
  linkname?: string;
  mode: number;
  size: number;
  mtime: number;
  type: string;
}): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, "utf8");
  block.write(octal(fields.mode, 8), 100, "ascii");
  block.write(octal(0, 8), 108, "ascii");
  block.write(octal(0, 8), 116, "ascii");
  block.write(octal(fields.size, 12), 124, "ascii");
  block.write(octal(fields.mtime, 12), 136, "ascii");
  block.fill(" ", 148, 156);
  block.write(fields.type, 156, "ascii");
  block.write(fields.linkname ?? "", 157, 100, "utf8");
  block.write("ustar\u000000", 257, "ascii");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return block;
}

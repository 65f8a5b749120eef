import { createHash, createHmac } from "node:crypto";
import type { NodeTarget } from "../spec/node";

/** OpenSSH's fingerprint of a raw host key blob: `SHA256:` + unpadded base64. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The names a known_hosts line may use for this host and port. */
function hostPatterns(host: string, port: number): string[] {
  return port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
}

function matchesHashed(pattern: string, name: string): boolean {
  // |1|salt|hash: HMAC-SHA1 of the name keyed by the salt (ssh-keygen -H).
  const [, , salt, hash] = pattern.split("|");
  if (!salt || !hash) return false;
  return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
}

/** Key blobs (base64) that a known_hosts text lists for this host. */
export function knownKeysFor(knownHosts: string, host: string, port: number): string[] {
  const names = hostPatterns(host, port);
  const keys: string[] = [];
  for (const rawLine of knownHosts.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("@revoked")) continue;
    const fields = line.split(/\s+/);
    const offset = fields[0]?.startsWith("@") ? 1 : 0;
    const hostField = fields[offset] ?? "";
    const key = fields[offset + 2];
    if (!key) continue;
    const hit = hostField
      .split(",")
      .some((pattern) =>
        pattern.startsWith("|1|")
          ? names.some((name) => matchesHashed(pattern, name))
          : names.includes(pattern),
      );
    if (hit) keys.push(key);
  }
  return keys;
}

/** What a node's pinned trust says about a presented key. */
export type HostKeyVerdict = { trusted: true } | { trusted: false; expected: string };

export function verifyHostKey(node: NodeTarget, presented: Buffer): HostKeyVerdict {
  if (node.hostKey) {
    return fingerprint(presented) === node.hostKey
      ? { trusted: true }
      : { trusted: false, expected: node.hostKey };
  }
  if (node.knownHosts !== undefined) {
    const known = knownKeysFor(node.knownHosts, node.host, node.port);
    if (known.includes(presented.toString("base64"))) return { trusted: true };
    const expected =
      known.length > 0
        ? known.map((key) => fingerprint(Buffer.from(key, "base64"))).join(" or ")
        : `no key for ${node.host}:${node.port} in knownHosts`;
    return { trusted: false, expected };
  }
  if (node.insecureIgnoreHostKey) return { trusted: true };
  return { trusted: false, expected: "a pinned hostKey or knownHosts entry (none given)" };
}

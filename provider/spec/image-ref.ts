import type { RegistryCredential } from "./node";
/**
 * OCI image references, parsed the way distribution/reference (and so podman) does:
 * `[registry[:port]/]path[:tag][@algorithm:hex]`.
 */
export interface ImageRef {
  /** Registry host with optional port, when the reference names one. */
  readonly registry?: string;
  /** Repository path below the registry, e.g. `mcp/web`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** A registry host with an optional port, as the first component of a reference. */
export const DOMAIN =
  /^(?:\[[a-fA-F0-9:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]{1,5})?$/;

/** Parses a reference; returns a reason string when it does not parse. */
export function parseImageRef(reference: string): ImageRef | string {
  if (reference.length === 0) return "is empty";
  if (reference !== reference.trim()) return "has surrounding white space";
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return `has a malformed digest ${JSON.stringify(digest)}`;
  }
  const parts = rest.split("/");
  let registry: string | undefined;
  const first = parts[0] ?? "";
  // Like distribution/reference: the first component is a registry when it
  // looks like a host (a dot, a port, or localhost), otherwise it is a path.
  if (
    parts.length > 1 &&
    (first.includes(".") ||
      first.includes(":") ||
      first === "localhost" ||
      first !== first.toLowerCase())
  ) {
    if (!DOMAIN.test(first)) return `has a malformed registry ${JSON.stringify(first)}`;
    registry = first;
    parts.shift();
  }
  // The tag sits after the last colon of the last path component only, so a
  // registry port (`host:5000/img`) is never taken for a tag.
  const lastIndex = parts.length - 1;
  const last = parts[lastIndex] ?? "";
  let tag: string | undefined;
  const colon = last.lastIndexOf(":");
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    parts[lastIndex] = last.slice(0, colon);
    if (!TAG.test(tag)) return `has a malformed tag ${JSON.stringify(tag)}`;
  }
  for (const component of parts) {
    if (!PATH_COMPONENT.test(component)) {
      return `has a malformed repository path component ${JSON.stringify(component)} (lower-case letters, digits and . _ - separators)`;
    }
  }
  return { registry, repository: parts.join("/"), tag, digest };
}

/**
 * The registry a reference pulls from: the one it names, else Docker Hub's (podman's default
 * without search registries). Its one shell copy, for the refresh snapshot: commands/registry-login AUTH_FILE_OF_REF.
 */
export function registryOf(reference: string): string | undefined {
  const parsed = parseImageRef(reference);
  if (typeof parsed === "string") return undefined;
  return parsed.registry ?? "docker.io";
}

/**
 * The version an image reference pins, as MCP's `ExtractVersion` reports it:
 * the tag (`registry:5000/img:v1` → `v1`, a registry port is never a tag),
 * else the digest (`img@sha256:…` → `sha256:…`), else `""`.
 */
export function extractVersion(reference: string): string {
  const parsed = parseImageRef(reference);
  if (typeof parsed === "string") return "";
  return parsed.tag ?? parsed.digest ?? "";
}

/** Why a reference does not pin a version, or undefined when it does. */
export function unpinnedReason(ref: ImageRef): string | undefined {
  if (ref.digest) return undefined;
  if (!ref.tag) return "has no tag: pin a version tag (e.g. :v1.2.0) or a digest";
  if (ref.tag === "latest") return "uses :latest: pin a version tag (e.g. :v1.2.0) or a digest";
  return undefined;
}

/**
 * The reference a workload runs, given what podman recorded and what we
 * asked for: podman drops the tag of `repo:tag@digest` (it records
 * `repo@digest`), so the asked-for reference stands when it names the same
 * repository and digest; so does a tag reference that pinDigest ran as
 * `repo:tag@pinned` (the container's pinned-digest label). Otherwise the
 * recorded one.
 */
export function runningReference(
  recorded: string,
  asked: string | undefined,
  pinned?: string,
): string {
  if (!asked || asked === recorded) return recorded;
  const a = parseImageRef(asked);
  const r = parseImageRef(recorded);
  if (typeof a === "string" || typeof r === "string") return recorded;
  const digest = a.digest ?? pinned;
  if (!digest) return recorded;
  const same =
    digest === r.digest && a.registry === r.registry && a.repository === r.repository && !r.tag;
  return same ? asked : recorded;
}

/** `repo:tag` pinned to `digest`: `repo:tag@digest` (podman pulls and runs it by the digest). */
export function pinnedReference(reference: string, digest: string): string {
  return `${reference}@${digest}`;
}

/** The digest a reference names (`repo@sha256:…`, `repo:tag@sha256:…`), if it names one: then there is no tag to resolve. */
export function digestOf(reference: string): string | undefined {
  const parsed = parseImageRef(reference);
  return typeof parsed === "string" ? undefined : parsed.digest;
}

/** The node's login for the registry an image is pulled from, if it has one. */
export function credentialFor(
  image: string,
  registries: readonly RegistryCredential[] | undefined,
): RegistryCredential | undefined {
  const server = registryOf(image);
  return registries?.find((registry) => registry.server === server);
}

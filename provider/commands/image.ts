/**
 * Argv for building, pushing and asking the registry about an `mcp.Image`.
 * `authFile` is where registry credentials plug in (podman's and skopeo's
 * `--authfile`, the file a `podman login` wrote); without it both use their
 * own auth lookup. `tlsVerify` unset leaves TLS to registries.conf.
 */

/** The label our builds carry: the context hash, so the registry can say whether a tag holds this content. */
export const CONTEXT_HASH_LABEL = "io.pulumi-mcp.context-hash";

export interface RegistryAccess {
  authFile?: string;
  tlsVerify?: boolean;
}

function accessFlags(access: RegistryAccess): string[] {
  const flags: string[] = [];
  if (access.authFile) flags.push("--authfile", access.authFile);
  if (access.tlsVerify !== undefined) flags.push(`--tls-verify=${access.tlsVerify}`);
  return flags;
}

export function podmanBuild(options: {
  name: string;
  dir: string;
  dockerfile: string;
  contextHash: string;
  buildArgs: Record<string, string>;
}): string[] {
  const argv = [
    "podman",
    "build",
    "--quiet",
    "--file",
    options.dockerfile,
    "--label",
    `${CONTEXT_HASH_LABEL}=${options.contextHash}`,
    "--tag",
    options.name,
  ];
  for (const [key, value] of Object.entries(options.buildArgs)) {
    argv.push("--build-arg", `${key}=${value}`);
  }
  argv.push("--", options.dir);
  return argv;
}

/**
 * Pushes and prints the pushed manifest's digest, from podman's digest file
 * (a temporary file: /dev/stdout is not openable when stdout is a socket).
 */
const PUSH = `
set -e
f=$(mktemp)
trap 'rm -f "$f"' EXIT
podman push --quiet --digestfile "$f" "$@" >&2
cat "$f"
`;

export function podmanPush(name: string, access: RegistryAccess): string[] {
  return ["sh", "-c", PUSH, "sh", ...accessFlags(access), "--", name];
}

/**
 * `skopeo inspect` of a tag in the registry: its manifest digest and config
 * labels, without listing the repository's tags. skopeo 1.9 does not read
 * CONTAINERS_REGISTRIES_CONF as podman does: the step hands it the same
 * file, so both decide TLS (an `insecure = true` registry) alike.
 */
const SKOPEO = `exec skopeo \${CONTAINERS_REGISTRIES_CONF:+--registries-conf "$CONTAINERS_REGISTRIES_CONF"} "$@"`;

export function skopeoInspect(name: string, access: RegistryAccess): string[] {
  return [
    "sh",
    "-c",
    SKOPEO,
    "sh",
    "inspect",
    "--no-tags",
    ...accessFlags(access),
    `docker://${name}`,
  ];
}

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

export interface BuildOptions {
  /** repo:version, the tag built. */
  name: string;
  contextHash: string;
  buildArgs: Record<string, string>;
  /** The auth file of the repo's registry, for a FROM image it serves. */
  authFile?: string;
}

/** podman build's options after `--file`: quiet (prints the image id), labelled, tagged. */
function buildFlags(options: BuildOptions): string[] {
  const flags = [
    "--quiet",
    "--label",
    `${CONTEXT_HASH_LABEL}=${options.contextHash}`,
    "--tag",
    options.name,
  ];
  if (options.authFile) flags.push("--authfile", options.authFile);
  for (const [key, value] of Object.entries(options.buildArgs)) {
    flags.push("--build-arg", `${key}=${value}`);
  }
  return flags;
}

/**
 * podman's `--file` is a string slice: pflag reads its value as a line of
 * CSV, so a `"` in the path is a parse error and a `,` splits it in two.
 * Quoted as a CSV field, any path is one file.
 */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A build on this machine, of the context directory `dir` as it is. */
export function podmanBuild(options: BuildOptions & { dir: string; dockerfile: string }): string[] {
  return [
    "podman",
    "build",
    "--file",
    csvField(options.dockerfile),
    ...buildFlags(options),
    "--",
    options.dir,
  ];
}

/** Where builds on a node unpack their context, under the login's home. */
export const BUILDS_DIR_IN_HOME = ".pulumi-mcp/image-builds";

/**
 * A build on a node over SSH: unpacks the context tar (stdin) into a private
 * directory of its own (0700, unique per build) under the login's home, runs
 * podman build there as the login, and removes the directory when it ends,
 * failed or not (a signal too). A directory a lost connection left behind
 * (the shell killed outright) is removed by a later build once a day old:
 * no build runs that long (commandTimeoutMs is at most an hour). Args:
 * podman build's options, `--file` relative to the context (the build's
 * working directory).
 */
const REMOTE_BUILD = `
set -eu
base="$HOME/${BUILDS_DIR_IN_HOME}"
umask 077
mkdir -p "$base"
find "$base" -mindepth 1 -maxdepth 1 -mmin +1440 -exec rm -rf -- {} + 2>/dev/null || true
dir=$(mktemp -d "$base/build.XXXXXXXX")
trap 'rm -rf -- "$dir"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE
mkdir "$dir/context"
tar -x -p --no-same-owner -f - -C "$dir/context"
cd "$dir/context"
podman build "$@" -- "$dir/context"
`;

export function podmanBuildOnNode(options: BuildOptions & { dockerfile: string }): string[] {
  return [
    "sh",
    "-c",
    REMOTE_BUILD,
    "sh",
    "--file",
    // "./": a Containerfile named "-" would be stdin.
    csvField(`./${options.dockerfile}`),
    ...buildFlags(options),
  ];
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
 * file, so both decide TLS (an `insecure = true` registry) alike. A rootless
 * login over SSH often has no XDG_RUNTIME_DIR (no logind session): skopeo
 * then looks for auth in /run/containers/<uid>, which root's 0700
 * /run/containers makes a "permission denied" failure; podman falls back to
 * /run/user/<uid>, else $TMPDIR/podman-run-<uid>, and so does this step (the
 * auth file a `podman login` there wrote is then skopeo's too).
 */
const SKOPEO = `
uid=$(id -u)
if [ -z "\${XDG_RUNTIME_DIR:-}" ] && [ "$uid" != 0 ]; then
  XDG_RUNTIME_DIR=/run/user/$uid
  [ -d "$XDG_RUNTIME_DIR" ] && [ -w "$XDG_RUNTIME_DIR" ] || XDG_RUNTIME_DIR=\${TMPDIR:-/tmp}/podman-run-$uid
  export XDG_RUNTIME_DIR
fi
exec skopeo \${CONTAINERS_REGISTRIES_CONF:+--registries-conf "$CONTAINERS_REGISTRIES_CONF"} "$@"
`;

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

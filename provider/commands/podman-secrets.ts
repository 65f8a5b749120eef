import { createHash } from "node:crypto";
import type { CommandWithInput } from "./command-with-input";
import { LABELS, MANAGED_BY } from "./podman";

/** The container label that lists its secret files' names (never their contents), for refresh. */
export const SECRET_FILES_LABEL = "io.pulumi-mcp.secret-files";
/** The label each podman secret we create carries: the container it was made for. */
export const SECRET_CONTAINER_LABEL = "io.pulumi-mcp.container";

/** One file under /run/secrets/ and the podman secret it is made from. */
export interface SecretMount {
  /** The file name under /run/secrets/ (a checked `secretFiles` key). */
  file: string;
  /** The podman secret's name. */
  secret: string;
}

/**
 * podman names secrets with at most 64 of [A-Za-z0-9_.-], starting and ending
 * with a letter or digit. A container name (up to 127 characters) that would
 * not leave room for the rest is cut and made unique again by its hash.
 */
const MAX_PREFIX = 40;

function secretPrefix(container: string): string {
  if (container.length <= MAX_PREFIX) return container;
  const hash = createHash("sha256").update(container).digest("hex").slice(0, 8);
  return `${container.slice(0, MAX_PREFIX - 9)}-${hash}`;
}

/**
 * The secret behind file number `index` of one container generation:
 * `<container>.<nonce>.<index>`. The nonce (12 hex digits) keeps a new
 * container's secrets apart from those of the one it replaces.
 */
export function secretName(container: string, nonce: string, index: number): string {
  if (!/^[0-9a-f]{12}$/.test(nonce)) throw new Error("a secret nonce is 12 hex digits");
  return `${secretPrefix(container)}.${nonce}.${index}`;
}

/** A regular expression (Go syntax, for `podman secret ls --filter name=`) matching exactly this container's secrets. */
export function secretNamePattern(container: string): string {
  return `^${secretPrefix(container).replaceAll(".", "\\.")}\\.[0-9a-f]{12}\\.[0-9]+$`;
}

/**
 * A fixed script. $1 is the container, $2 the pattern of its leftover
 * secrets, the rest the secrets to create; stdin holds one line per secret,
 * its value in base64. Leftovers (of a run interrupted before it removed its
 * secrets) go first. Values pass through `printf` (a shell builtin) into
 * podman's stdin: never an argument, so never in `ps`. When one creation
 * fails, the ones made so far are removed again.
 */
const CREATE_FROM_STDIN = [
  "set -f",
  'container=$1; pattern=$2; shift 2; status=0; created=""',
  `stale=$(podman secret ls --filter "name=$pattern" --format '{{.Name}}') || exit`,
  'if [ -n "$stale" ]; then podman secret rm -- $stale >/dev/null || exit; fi',
  'for name in "$@"; do',
  '  IFS= read -r data || { echo "no value on stdin for secret $name" >&2; status=1; break; }',
  `  printf '%s' "$data" | base64 -d | podman secret create --label "${LABELS.managedBy}=${MANAGED_BY}" --label "${SECRET_CONTAINER_LABEL}=$container" -- "$name" - >/dev/null || { status=$?; break; }`,
  '  created="$created $name"',
  "done",
  'if [ "$status" -ne 0 ] && [ -n "$created" ]; then podman secret rm -- $created >/dev/null; fi',
  'exit "$status"',
].join("\n");

/** Creates the podman secrets of one container generation, the values on stdin only. */
export function podmanSecretsCreate(
  container: string,
  secrets: readonly { name: string; value: string }[],
): CommandWithInput {
  const stdin = secrets.map(({ value }) => `${Buffer.from(value).toString("base64")}\n`).join("");
  return {
    argv: [
      "sh",
      "-c",
      CREATE_FROM_STDIN,
      "sh",
      container,
      secretNamePattern(container),
      ...secrets.map(({ name }) => name),
    ],
    stdin,
  };
}

/** Removes secrets by name; podman 4.3 has no `--ignore` and reports each missing one. */
export function podmanSecretsRemove(names: readonly string[]): string[] {
  return ["podman", "secret", "rm", "--", ...names];
}

/** Lists the names of this container's secrets (leftovers: a finished run keeps none). */
export function podmanSecretsList(container: string): string[] {
  return [
    "podman",
    "secret",
    "ls",
    "--filter",
    `name=${secretNamePattern(container)}`,
    "--format",
    "{{.Name}}",
  ];
}

/**
 * The `podman run` options that mount each secret at /run/secrets/<file>,
 * plus the label naming the files. The secret is the value's only carrier:
 * `podman inspect` shows secret names, never contents.
 */
export function secretMountFlags(mounts: readonly SecretMount[]): string[] {
  if (mounts.length === 0) return [];
  const flags = ["--label", `${SECRET_FILES_LABEL}=${mounts.map(({ file }) => file).join(",")}`];
  for (const { file, secret } of mounts)
    flags.push("--secret", `${secret},type=mount,target=${file}`);
  return flags;
}

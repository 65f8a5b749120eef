import { createHash } from "node:crypto";
import type { CommandWithInput } from "./command-with-input";

/** Where our auth files live, under the login's home: unlike podman's default ($XDG_RUNTIME_DIR, a tmpfs) it survives a reboot. */
export const AUTH_DIR_IN_HOME = ".pulumi-mcp/registry-auth";

/** The characters of a registry's name its auth file's name keeps; each other one becomes "_". */
const KEPT = "A-Za-z0-9.-";

/** An auth file's name: SERVER and USER as they go into it (authFileInHome; a shell glob in AUTH_FILE_OF_REF). */
function authFileName(server: string, user: string): string {
  return `${AUTH_DIR_IN_HOME}/${server}-${user}.json`;
}

/**
 * One auth file per registry and username: podman keeps one entry per
 * registry in a file, so two components that pull from one registry as
 * different users would otherwise overwrite each other's login.
 */
export function authFileInHome(server: string, username: string): string {
  const user = createHash("sha256").update(username).digest("hex").slice(0, 12);
  return authFileName(server.replace(new RegExp(`[^${KEPT}]`, "g"), "_"), user);
}

/**
 * Shell: sets `auth` to the auth file a login (authFileInHome) left under
 * $HOME for the registry the image reference "$ref" pulls from, whoever
 * logged in; "" when there is none or several (podman's own auth lookup
 * then). It is shell, not TypeScript, because its one user, the refresh
 * snapshot (commands/registry-digest), learns the references on the node, from
 * the containers' labels, in the same command. The registry is registryOf's
 * (spec/image-ref) decision, the one copy of it in shell:
 * test/unit/registry-auth.test.ts checks that they agree.
 */
export const AUTH_FILE_OF_REF = `case "$ref" in */*) first=\${ref%%/*};; *) first=;; esac
case "$first" in *.*|*:*|localhost|*[[:upper:]]*) server=$first;; *) server=docker.io;; esac
auth=
for f in "$HOME"/${authFileName(`"$(printf %s "$server" | tr -c '${KEPT}' '_')"`, "*")}; do
  [ -f "$f" ] || continue
  if [ -z "$auth" ]; then auth=$f; else auth=several; fi
done
[ "$auth" = several ] && auth=`;

/**
 * Logs in to SERVER as USER into our auth file (made 0600, its directory
 * 0700) and prints the file's absolute path. The password is the step's
 * stdin (podman's --password-stdin), never an argument. Args: FILE_IN_HOME
 * SERVER USER.
 */
const LOGIN = `
set -eu
file="$HOME/$1"
umask 077
mkdir -p "$(dirname "$file")"
podman login --authfile "$file" --username="$3" --password-stdin -- "$2" >/dev/null
chmod 600 "$file"
printf '%s\\n' "$file"
`;

export function podmanLogin(server: string, username: string, password: string): CommandWithInput {
  return {
    argv: ["sh", "-c", LOGIN, "sh", authFileInHome(server, username), server, username],
    stdin: password,
  };
}

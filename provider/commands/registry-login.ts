import { createHash } from "node:crypto";
import type { CommandWithInput } from "./command-with-input";

/** Where our auth files live, under the login's home: unlike podman's default ($XDG_RUNTIME_DIR, a tmpfs) it survives a reboot. */
export const AUTH_DIR_IN_HOME = ".pulumi-mcp/registry-auth";

/**
 * One auth file per registry and username: podman keeps one entry per
 * registry in a file, so two components that pull from one registry as
 * different users would otherwise overwrite each other's login.
 */
export function authFileInHome(server: string, username: string): string {
  const user = createHash("sha256").update(username).digest("hex").slice(0, 12);
  return `${AUTH_DIR_IN_HOME}/${server.replace(/[^A-Za-z0-9.-]/g, "_")}-${user}.json`;
}

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

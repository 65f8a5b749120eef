import type { CommandWithInput } from "./command-with-input";

/** Our own auth file, under the login's home: unlike podman's default ($XDG_RUNTIME_DIR, a tmpfs) it survives a reboot. */
export const AUTH_FILE_IN_HOME = ".pulumi-mcp/registry-auth.json";

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
    argv: ["sh", "-c", LOGIN, "sh", AUTH_FILE_IN_HOME, server, username],
    stdin: password,
  };
}

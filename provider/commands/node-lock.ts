/**
 * The per-node lock that serialises runs (two stacks, two terminals) which
 * change workloads on one node: `flock` on a file in the login's home, held
 * by a command that lives as long as the holder's connection. When the
 * holder dies, its connection drops, the command ends and the kernel frees
 * the lock: a lock can never outlive its holder. The holder writes who it is
 * beside the lock so a waiting run can say who it waits for.
 */

/** Printed once the lock is held. */
export const LOCK_READY = "pulumi-mcp-lock-held";
/** Exit status when the lock stayed busy for the whole wait. */
export const LOCK_BUSY_EXIT = 75;

const HOLD = [
  "set -u",
  'owner=$1; wait_seconds=$2; lock="$HOME/.pulumi-mcp/node.lock"',
  'mkdir -p "$HOME/.pulumi-mcp"',
  // Inside the lock: say who holds it, announce, then wait for stdin to close.
  `inner='printf "%s since %s\\n" "$1" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$2.owner"; echo ${LOCK_READY}; cat > /dev/null; rm -f "$2.owner"'`,
  'flock -w "$wait_seconds" "$lock" sh -c "$inner" sh "$owner" "$lock" && exit 0',
  `printf "held by %s\\n" "$(cat "$lock.owner" 2>/dev/null || echo "an unknown run")"; exit ${LOCK_BUSY_EXIT}`,
].join("\n");

/** Waits up to `waitSeconds` for the node's lock, then holds it until stdin closes. */
export function holdNodeLock(owner: string, waitSeconds: number): string[] {
  return ["sh", "-c", HOLD, "sh", owner, String(waitSeconds)];
}

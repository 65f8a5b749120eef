/**
 * The preflight's shell steps: fixed POSIX sh scripts run as
 * `sh -c SCRIPT sh ARG…`, every piece of data a positional argument. They
 * only look: nothing on the node is created or changed.
 */

function shellStep(script: string, args: readonly string[]): string[] {
  return ["sh", "-c", script, "sh", ...args];
}

/**
 * Prints `key=value` lines about the login and the node: uid, user, home,
 * systemd as init (/run/systemd/system, as sd_booted checks) and lingering;
 * the path of perl (empty when missing: HTTP and TCP health checks need it);
 * for a non-root login whether /etc/subuid and /etc/subgid give it ranges,
 * the runtime directory podman will use (XDG_RUNTIME_DIR, else
 * /run/user/<uid> when it is the login's, else $TMPDIR/podman-run-<uid>) and
 * whether it is usable (`ok`, `creatable`, `notmine <owner>`, `unwritable`),
 * net.ipv4.ip_unprivileged_port_start, the
 * cgroup version and, on v2, the controllers delegated to the login.
 */
const PROBE_PREFLIGHT = `
uid=$(id -u); user=$(id -un)
printf 'uid=%s\\nuser=%s\\nhome=%s\\n' "$uid" "$user" "$HOME"
if [ -d /run/systemd/system ]; then
  echo systemd=yes
  if [ -e "/var/lib/systemd/linger/$user" ]; then echo linger=yes; else echo linger=no; fi
else echo systemd=no
fi
printf 'perl=%s\\n' "$(command -v perl 2>/dev/null || true)"
[ "$uid" = 0 ] && exit 0
for f in subuid subgid; do
  if [ -r /etc/$f ] && grep -qE "^($user|$uid):[0-9]+:[1-9]" /etc/$f; then echo $f=yes; else echo $f=no; fi
done
if [ -n "\${XDG_RUNTIME_DIR:-}" ]; then dir=$XDG_RUNTIME_DIR; src=XDG_RUNTIME_DIR
elif [ -d /run/user/$uid ] && [ -O /run/user/$uid ]; then dir=/run/user/$uid; src=run-user
else dir=\${TMPDIR:-/tmp}/podman-run-$uid; src=tmp
fi
printf 'runtimeDir=%s\\nruntimeDirSource=%s\\n' "$dir" "$src"
if [ -e "$dir" ]; then
  if [ ! -O "$dir" ]; then printf 'runtimeDirState=notmine %s\\n' "$(stat -c %U -- "$dir" 2>/dev/null)"
  elif [ ! -d "$dir" ] || [ ! -w "$dir" ] || [ ! -x "$dir" ]; then echo runtimeDirState=unwritable
  else echo runtimeDirState=ok
  fi
elif [ -w "$(dirname -- "$dir")" ]; then echo runtimeDirState=creatable
else echo runtimeDirState=unwritable
fi
printf 'unprivilegedPortStart=%s\\n' "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)"
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
  echo cgroup=v2
  f=/sys/fs/cgroup/user.slice/user-$uid.slice/user@$uid.service/cgroup.controllers
  printf 'controllers=%s\\n' "$(cat "$f" 2>/dev/null)"
else echo cgroup=v1
fi
`;

export function probePreflight(): string[] {
  return shellStep(PROBE_PREFLIGHT, []);
}

/**
 * For each host directory given as `rw:PATH` or `ro:PATH`: prints
 * `missing PATH` when it does not exist and this login cannot create it (its
 * nearest existing parent is not writable), `unwritable PATH` when a
 * read-write one exists but this login cannot write it. Prints nothing for
 * directories that are fine. Creates nothing.
 */
const PROBE_VOLUMES = `
for arg in "$@"; do
  mode=\${arg%%:*}; p=\${arg#*:}
  if [ -d "$p" ]; then
    if [ "$mode" = rw ] && { [ ! -w "$p" ] || [ ! -x "$p" ]; }; then printf 'unwritable %s\\n' "$p"; fi
    continue
  fi
  if [ -e "$p" ]; then printf 'notadir %s\\n' "$p"; continue; fi
  q=$p
  while [ ! -e "$q" ]; do q=$(dirname -- "$q"); done
  if [ ! -d "$q" ] || [ ! -w "$q" ] || [ ! -x "$q" ]; then printf 'missing %s\\n' "$p"; fi
done
`;

export function probeVolumes(dirs: readonly { path: string; readOnly: boolean }[]): string[] {
  return shellStep(
    PROBE_VOLUMES,
    dirs.map((dir) => `${dir.readOnly ? "ro" : "rw"}:${dir.path}`),
  );
}

/**
 * The few shell steps of the unikernel runtime. Each is a fixed POSIX sh
 * script run as `sh -c SCRIPT sh ARG…`: every piece of data (paths, names,
 * image references, other argv) arrives as a positional argument, never in
 * the script text, and secrets (env values) only ever on stdin.
 */
import type { CommandWithInput } from "./command-with-input";
import { VM_FILES } from "./qemu";

function shellStep(script: string, args: readonly string[]): string[] {
  return ["sh", "-c", script, "sh", ...args];
}

// ---------------------------------------------------------------------------
// Node capabilities

/**
 * Prints `key=value` lines: home, the paths of ops, qemu-system-x86_64, perl
 * and podman (empty when missing), QEMU's version, and `kvm=` one of ok,
 * absent, noaccess, untested or `fails <why>`. The KVM probe is the argv given
 * (QEMU under KVM running the BIOS), ok when it exits 0 having printed the
 * marker, fed the step's stdin. And what ops needs without
 * a network: its directory (~/.ops, or $OPS_HOME/.ops as ops has it), the
 * Nanos version in its latest.txt (`opsVersion=` empty when the file is
 * missing), and `opsFiles=` the files of that version present: kernel.img
 * and boot.img.
 */
const PROBE_NODE = `
marker=$1; shift
printf 'home=%s\\n' "$HOME"
for c in ops qemu-system-x86_64 perl podman; do printf '%s=%s\\n' "$c" "$(command -v "$c" 2>/dev/null || true)"; done
ops_dir=\${OPS_HOME:+$OPS_HOME/.ops}; ops_dir=\${ops_dir:-$HOME/.ops}
ops_version=$(head -n 1 "$ops_dir/latest.txt" 2>/dev/null | tr -d '\\r\\n' || true)
printf 'opsDir=%s\\nopsVersion=%s\\nopsFiles=' "$ops_dir" "$ops_version"
if [ -n "$ops_version" ]; then
  for f in kernel.img boot.img; do [ -s "$ops_dir/$ops_version/$f" ] && printf '%s ' "$f"; done
fi
echo
if command -v qemu-system-x86_64 >/dev/null 2>&1; then
  printf 'qemuVersion=%s\\n' "$(qemu-system-x86_64 --version 2>/dev/null | head -n 1)"
fi
if [ ! -e /dev/kvm ]; then echo kvm=absent
elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then echo kvm=noaccess
elif ! command -v qemu-system-x86_64 >/dev/null 2>&1; then echo kvm=untested
else
  out=$(timeout 20 "$@" 2>&1); rc=$?
  if [ "$rc" = 0 ] && printf '%s\\n' "$out" | grep -qF -- "$marker"; then echo kvm=ok
  elif [ "$rc" = 124 ]; then echo 'kvm=fails the guest BIOS did not finish under KVM within 20 s'
  else printf 'kvm=fails %s\\n' "$(printf '%s\\n' "$out" | grep -v 'Boot failed' | grep -E 'error|Assertion|Could not|failed|KVM' | head -n 2 | tr '\\n' ' ')"
  fi
fi
`;

export function probeNode(kvmProbe: {
  argv: readonly string[];
  stdin: string;
  marker: string;
}): CommandWithInput {
  return {
    argv: shellStep(PROBE_NODE, [kvmProbe.marker, ...kvmProbe.argv]),
    stdin: kvmProbe.stdin,
  };
}

// ---------------------------------------------------------------------------
// Image and ELF

/** The pulled image's config (entrypoint, cmd, env) and ids, as JSON. */
export function podmanImageInspect(image: string): string[] {
  return ["podman", "image", "inspect", "--format", "json", "--", image];
}

/**
 * Copies one file out of an image to the same path under ROOT (ops'
 * TargetRoot: the ELF keeps its in-image path), once: a ROOT that already
 * holds it is the cache (prints `cached`), else the file is copied out of a
 * created (never started) container, checked to be a static ELF, and moved in
 * place (prints `extracted`). Args: ROOT IMAGE PATH_IN_IMAGE (absolute).
 */
const EXTRACT_ELF = `
set -eu
root=$1 image=$2 path=$3
out="$root$path"
if [ -s "$out" ]; then touch "$root"; echo cached; exit 0; fi
umask 077
mkdir -p "$(dirname -- "$out")"
tmp="$root/.program.tmp.$$"
cid=$(podman create -- "$image" pulumi-mcp-extract) || exit 1
trap 'podman rm --force -- "$cid" >/dev/null 2>&1 || true; rm -f "$tmp"' EXIT
if ! podman cp -- "$cid:$path" "$tmp"; then
  echo "the image has no file $path to run" >&2; exit 1
fi
if [ ! -f "$tmp" ]; then echo "$path in the image is not a regular file" >&2; exit 1; fi
magic=$(od -An -c -N 4 "$tmp" | tr -d ' ')
if [ "$magic" != '177ELF' ]; then echo "$path in the image is not an ELF program" >&2; exit 1; fi
if [ "$(od -An -tu1 -j 4 -N 1 "$tmp" | tr -d ' ')" != 2 ]; then echo "$path is not a 64-bit ELF" >&2; exit 1; fi
phoff=$(od -An -tu8 -j 32 -N 8 "$tmp" | tr -d ' ')
phentsize=$(od -An -tu2 -j 54 -N 2 "$tmp" | tr -d ' ')
phnum=$(od -An -tu2 -j 56 -N 2 "$tmp" | tr -d ' ')
i=0
while [ "$i" -lt "$phnum" ]; do
  type=$(od -An -tu4 -j $((phoff + i * phentsize)) -N 4 "$tmp" | tr -d ' ')
  if [ "$type" = 3 ]; then
    echo "$path is dynamically linked (it has an ELF interpreter): a Nanos unikernel needs a static ELF (Go: CGO_ENABLED=0)" >&2
    exit 1
  fi
  i=$((i + 1))
done
chmod 755 "$tmp"
mv -f "$tmp" "$out"
echo extracted
`;

export function extractElf(root: string, image: string, pathInImage: string): string[] {
  if (!pathInImage.startsWith("/") || pathInImage.split("/").includes("..")) {
    throw new Error(`path in image ${JSON.stringify(pathInImage)} is not absolute without ..`);
  }
  return shellStep(EXTRACT_ELF, [root, image, pathInImage]);
}

/**
 * Prints the path of a built image when PATHFILE names one that still exists
 * (and touches PATHFILE, for pruning by age); prints nothing otherwise.
 */
const CACHED_IMAGE = `
[ -s "$1" ] || exit 0
img=$(cat "$1")
[ -f "$img" ] || exit 0
touch "$1"
printf '%s\\n' "$img"
`;

export function cachedImage(pathFile: string): string[] {
  return shellStep(CACHED_IMAGE, [pathFile]);
}

/** The sha256 of a disk image, as `sha256sum` prints it (hex, then the path). */
export function diskSha256(path: string): string[] {
  return ["sha256sum", "--", path];
}

/** Writes stdin (the ops config: it holds env values) to CONFIG, mode 0600, then runs ops. */
const BUILD_WITH_CONFIG = `
set -eu
config=$1; shift
umask 077
mkdir -p "$(dirname -- "$config")"
cat >"$config"
exec "$@"
`;

export function opsBuildWithConfig(
  configPath: string,
  configText: string,
  opsArgv: readonly string[],
): CommandWithInput {
  return { argv: shellStep(BUILD_WITH_CONFIG, [configPath, ...opsArgv]), stdin: configText };
}

/**
 * Keeps the KEEP most recently used entries of a cache directory (by mtime)
 * and removes the rest. For build entries (`*.path` files) the ops image each
 * names goes too, when its file name starts with pulumi-mcp-. Args: DIR KEEP.
 */
const PRUNE_CACHE = `
dir=$1 keep=$2
[ -d "$dir" ] || exit 0
cd "$dir" || exit 0
ls -1t | tail -n +$((keep + 1)) | while IFS= read -r entry; do
  case $entry in
  *.path)
    img=$(cat -- "$entry" 2>/dev/null || true)
    case \${img##*/} in pulumi-mcp-*) rm -f -- "$img" ;; esac
    rm -f -- "$entry" "\${entry%.path}.json"
    ;;
  *.json) [ -e "\${entry%.json}.path" ] || rm -f -- "$entry" ;;
  *) rm -rf -- "$entry" ;;
  esac
done
`;

export function pruneCache(dir: string, keep: number): string[] {
  return shellStep(PRUNE_CACHE, [dir, String(keep)]);
}

// ---------------------------------------------------------------------------
// VM state directories

/**
 * Creates a VM's state directory (failing when it exists): records the built
 * image's path in PATHFILE, copies the image in as the VM's own disk (a
 * rebuild never rewrites a disk under a running VM), writes the VM id and
 * the record from stdin. Args: DIR IMAGE VMID PATHFILE.
 */
const PREPARE_VM = `
set -eu
dir=$1 image=$2 vmid=$3 pathfile=$4
umask 077
mkdir -p "$(dirname -- "$dir")" "$(dirname -- "$pathfile")"
if ! mkdir -- "$dir"; then echo "VM state directory $dir already exists" >&2; exit 17; fi
printf '%s\\n' "$image" >"$pathfile.tmp.$$" && mv -f "$pathfile.tmp.$$" "$pathfile"
cp --reflink=auto -- "$image" "$dir/${VM_FILES.disk}"
printf '%s\\n' "$vmid" >"$dir/${VM_FILES.vmId}"
cat >"$dir/${VM_FILES.record}"
`;

export function prepareVm(
  dir: string,
  imagePath: string,
  vmId: string,
  pathFile: string,
  record: string,
): CommandWithInput {
  if (record.includes("\n")) throw new Error("a VM record must be one line");
  return { argv: shellStep(PREPARE_VM, [dir, imagePath, vmId, pathFile]), stdin: `${record}\n` };
}

/** Boots QEMU (argv after DIR) from a VM's state directory and records when. */
const BOOT_VM = `
dir=$1; shift
rm -f -- "$dir/${VM_FILES.qmp}" "$dir/${VM_FILES.pidfile}" "$dir/${VM_FILES.stopped}"
"$@" || exit $?
date -u +%Y-%m-%dT%H:%M:%S.%NZ >"$dir/${VM_FILES.startedAt}"
`;

export function bootVm(dir: string, qemuArgv: readonly string[]): string[] {
  return shellStep(BOOT_VM, [dir, ...qemuArgv]);
}

/**
 * Shared by the status and stop steps: `alive` is true while the pidfile's
 * process is this VM's QEMU (its command line carries the VM's -uuid), so a
 * stale pidfile or a reused pid never counts. Expects $d.
 */
const VM_ALIVE = `
vm_pid() { tr -dc 0-9 <"$d/${VM_FILES.pidfile}" 2>/dev/null || true; }
alive() {
  pid=$(vm_pid); id=$(cat "$d/${VM_FILES.vmId}" 2>/dev/null || true)
  [ -n "$pid" ] && [ -n "$id" ] || return 1
  tr '\\0' '\\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$id"
}
`;

/**
 * One record per VM: `@vm NAME`, `@pid PID ALIVE`, `@started TIME`,
 * `@stopped 0|1`, `@qmp REPLY` (QMP query-status, when alive), `@spec JSON`,
 * `@end`. Args: VMS_DIR QMP_CLIENT [NAME…] (all VMs when no name is given).
 */
const VM_STATUS = `
vms=$1 qmp=$2; shift 2
[ -d "$vms" ] || exit 0
${VM_ALIVE}
report() {
  d=$1
  [ -f "$d/${VM_FILES.record}" ] || return 0
  printf '@vm %s\\n' "\${d##*/}"
  if alive; then printf '@pid %s 1\\n' "$pid"; else printf '@pid %s 0\\n' "$(vm_pid)"; fi
  printf '@started %s\\n' "$(cat "$d/${VM_FILES.startedAt}" 2>/dev/null || true)"
  if [ -e "$d/${VM_FILES.stopped}" ]; then echo '@stopped 1'; else echo '@stopped 0'; fi
  if alive; then
    printf '@qmp %s\\n' "$(perl -e "$qmp" -- "$d/${VM_FILES.qmp}" 3 query-status 2>&1 | head -n 1)"
  fi
  printf '@spec %s\\n' "$(head -n 1 "$d/${VM_FILES.record}")"
  echo '@end'
}
if [ $# -eq 0 ]; then
  for d in "$vms"/*; do [ -d "$d" ] && report "$d"; done
else
  for name in "$@"; do [ -d "$vms/$name" ] && report "$vms/$name"; done
fi
exit 0
`;

export function vmStatus(vmsDir: string, qmpClient: string, names: readonly string[]): string[] {
  return shellStep(VM_STATUS, [vmsDir, qmpClient, ...names]);
}

/**
 * Stops a VM: marks it stopped, then QMP system_powerdown and up to GRACE
 * seconds for the guest to power off (skipped when GRACE is 0), then QMP quit
 * and 3 s, then SIGKILL to the pid. Args: DIR QMP_CLIENT GRACE.
 */
const STOP_VM = `
d=$1 qmp=$2 grace=$3
[ -d "$d" ] || exit 0
${VM_ALIVE}
: >"$d/${VM_FILES.stopped}"
gone_within() {
  i=0
  while alive; do
    [ "$i" -ge "$1" ] && return 1
    sleep 0.1; i=$((i + 1))
  done
  return 0
}
alive || exit 0
if [ "$grace" -gt 0 ]; then
  perl -e "$qmp" -- "$d/${VM_FILES.qmp}" 3 system_powerdown >/dev/null 2>&1 && gone_within $((grace * 10)) && exit 0
fi
perl -e "$qmp" -- "$d/${VM_FILES.qmp}" 3 quit >/dev/null 2>&1 && gone_within 30 && exit 0
alive && kill -KILL "$pid" 2>/dev/null
gone_within 50 && exit 0
echo "QEMU (pid $pid) did not exit" >&2
exit 1
`;

export function stopVm(dir: string, qmpClient: string, graceSeconds: number): string[] {
  return shellStep(STOP_VM, [dir, qmpClient, String(Math.max(0, Math.floor(graceSeconds)))]);
}

/** Deletes a (stopped) VM's state directory: its record, disk, console and socket. */
export function removeVmDir(dir: string): string[] {
  return ["rm", "-rf", "--", dir];
}

/** Renames a VM's state directory; fails when FROM is missing or TO exists. */
const RENAME_VM = `
[ -d "$1" ] || { echo "no VM state directory $1" >&2; exit 3; }
[ ! -e "$2" ] || { echo "$2 already exists" >&2; exit 4; }
mv -T -- "$1" "$2"
`;

export function renameVm(from: string, to: string): string[] {
  return shellStep(RENAME_VM, [from, to]);
}

/** The console's last lines. */
export function tailConsole(dir: string, lines: number): string[] {
  return ["tail", "-n", String(lines), "--", `${dir}/${VM_FILES.console}`];
}

/** The console log for the logs command: all of it or its last lines, and followed (`tail -F`: across a reboot's new file). */
export function streamConsole(dir: string, tail: number | undefined, follow: boolean): string[] {
  return [
    "tail",
    "-n",
    tail === undefined ? "+1" : String(tail),
    ...(follow ? ["-F"] : []),
    "--",
    `${dir}/${VM_FILES.console}`,
  ];
}

// ---------------------------------------------------------------------------
// Readiness: every forwarded port answers (the probe is shared with health checks).

export { probePort } from "./health-probe";

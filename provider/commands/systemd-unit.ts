/**
 * Boot units: one systemd service per workload, which starts the existing
 * container (`podman start`) or boots the VM with the command line the
 * provider used, at boot. The system instance serves root (and sudo), the
 * login's user instance a rootless login. Pure text and argv builders; the
 * shell steps take every piece of data as a positional argument.
 */
import type { CommandWithInput } from "./command-with-input";

/** Which systemd instance holds a login's units. */
export type UnitScope = "system" | "user";

export function unitName(workload: string): string {
  return `pulumi-mcp-${workload}.service`;
}

/**
 * One argument of an Exec line as systemd reads it: double-quoted, with `\`
 * and `"` escaped, a newline as `\n`, and `$` and `%` doubled (systemd would
 * expand `$VAR` and `%` specifiers).
 */
export function systemdQuote(arg: string): string {
  if (arg.includes("\0")) throw new Error("a unit's command argument contains a NUL byte");
  const escaped = arg
    .replaceAll("\\", "\\\\")
    .replaceAll('"', '\\"')
    .replaceAll("\n", "\\n")
    // A function: in a replacement string "$$" would be a single "$".
    .replaceAll("$", () => "$$")
    .replaceAll("%", "%%");
  return `"${escaped}"`;
}

function execLine(key: "ExecStart" | "ExecStop", argv: readonly string[]): string {
  if (argv.length === 0) throw new Error(`empty ${key}`);
  return `${key}=${argv.map(systemdQuote).join(" ")}`;
}

export interface BootUnit {
  /** The workload: `<service>-<component>`. */
  workload: string;
  runtime: "container" | "unikernel";
  scope: UnitScope;
  /** Workloads whose units start first (After=; ordering only, never pulls them in). */
  after: readonly string[];
  /** Starts the workload; returns once it runs (the unit is a oneshot). */
  start: readonly string[];
  /** Stops it gracefully when systemd stops the unit (shutdown). */
  stop?: readonly string[];
  /** Seconds systemd gives `stop` before it kills what is left. */
  stopTimeoutSeconds: number;
}

/** The text of a workload's boot unit. */
export function bootUnitText(unit: BootUnit): string {
  const lines = [
    "# Written by pulumi-mcp: starts this workload at boot. pulumi up rewrites it and",
    "# pulumi destroy removes it; a change by hand shows up in pulumi refresh.",
    "[Unit]",
    `Description=pulumi-mcp ${unit.runtime} ${unit.workload}`,
  ];
  if (unit.after.length > 0) lines.push(`After=${unit.after.map(unitName).join(" ")}`);
  lines.push(
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    execLine("ExecStart", unit.start),
  );
  if (unit.stop) lines.push(execLine("ExecStop", unit.stop));
  lines.push(
    "TimeoutStartSec=300",
    `TimeoutStopSec=${unit.stopTimeoutSeconds + 30}`,
    "",
    "[Install]",
    `WantedBy=${unit.scope === "user" ? "default.target" : "multi-user.target"}`,
    "",
  );
  return lines.join("\n");
}

function shellStep(script: string, args: readonly string[]): string[] {
  return ["sh", "-c", script, "sh", ...args];
}

/**
 * Sets $dir (where the scope's units live) and `sc` (systemctl for the
 * scope). A session without PAM has no XDG_RUNTIME_DIR: the user instance's
 * bus is then at /run/user/<uid> (lingering keeps it there). Expects $1.
 */
const SCOPE = `
scope=$1; shift
if [ "$scope" = user ]; then
  : "\${XDG_RUNTIME_DIR:=/run/user/$(id -u)}"; export XDG_RUNTIME_DIR
  dir=\${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user
  sc() { systemctl --user "$@"; }
else
  dir=/etc/systemd/system
  sc() { systemctl "$@"; }
fi
`;

/** Writes UNIT from stdin (atomically), reloads systemd and enables it. Args: SCOPE UNIT. */
const INSTALL_UNIT = `
set -eu
${SCOPE}
unit=$1
mkdir -p "$dir"
cat >"$dir/$unit.tmp"
mv -f "$dir/$unit.tmp" "$dir/$unit"
sc daemon-reload
sc enable --quiet "$unit"
`;

export function installBootUnit(
  scope: UnitScope,
  workload: string,
  text: string,
): CommandWithInput {
  return { argv: shellStep(INSTALL_UNIT, [scope, unitName(workload)]), stdin: text };
}

/**
 * Disables and deletes those of the units that exist (none: nothing runs, so
 * a node without systemd is never asked). Never stops what they started.
 * Args: SCOPE UNIT…
 */
const REMOVE_UNITS = `
${SCOPE}
found=
for unit in "$@"; do [ -e "$dir/$unit" ] && found="$found $unit"; done
[ -n "$found" ] || exit 0
for unit in $found; do
  sc disable --quiet "$unit" 2>/dev/null || true
  rm -f -- "$dir/$unit"
done
sc daemon-reload
`;

export function removeBootUnits(scope: UnitScope, workloads: readonly string[]): string[] {
  return shellStep(REMOVE_UNITS, [scope, ...workloads.map(unitName)]);
}

/**
 * One line per unit: `UNIT enabled`, `UNIT disabled` (present, not enabled
 * or masked) or `UNIT missing` (no file of ours). Args: SCOPE UNIT…
 */
const UNIT_STATES = `
${SCOPE}
for unit in "$@"; do
  if [ ! -e "$dir/$unit" ]; then echo "$unit missing"
  elif [ "$(sc is-enabled "$unit" 2>/dev/null)" = enabled ]; then echo "$unit enabled"
  else echo "$unit disabled"
  fi
done
`;

export function bootUnitStates(scope: UnitScope, workloads: readonly string[]): string[] {
  return shellStep(UNIT_STATES, [scope, ...workloads.map(unitName)]);
}

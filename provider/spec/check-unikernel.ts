import type { CheckFailure, CheckOutcome } from "./check-component";
import { containerEnvFailures } from "./check-container-env";
import { unikernelSecretFileFailures } from "./check-secret-files";
import type { ComponentSpec } from "./component";
import { parsePortSpec } from "./port-spec";
import { showValue } from "./redact";
import { parseVolumeSpec } from "./volume-spec";

/** A VM's memory when the component names none (ops' own default is far larger). */
export const DEFAULT_VM_MEMORY_MB = 256;
export const DEFAULT_VM_VCPUS = 1;
/** Nanos needs some memory of its own besides the program's. */
const MIN_VM_MEMORY_MB = 64;
/**
 * A VM's QMP socket lives in its state directory (~/.pulumi-mcp/unikernel/vms/
 * <service>-<name>[-previous]/qmp.sock), and a unix socket path holds at most
 * 107 bytes: long workload names would not boot.
 */
export const MAX_VM_NAME_LENGTH = 48;

/**
 * A component's restart policy when it names none. Nanos reboots a VM only
 * when its program exits non-zero (ops' RebootOnExit), which is "on-failure";
 * a container gets podman's "unless-stopped".
 */
export function defaultRestart(runtime: ComponentSpec["runtime"]): ComponentSpec["restart"] {
  return runtime === "unikernel" ? "on-failure" : "unless-stopped";
}

function unikernelFailures(spec: ComponentSpec, rules: CheckRules): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const fail = (property: string, value: unknown, reason: string): void => {
    failures.push({ property, reason: `${property} = ${showValue(value)}: ${reason}` });
  };
  const name = `${spec.service}-${spec.name}`;
  if (name.length > MAX_VM_NAME_LENGTH) {
    failures.push({
      property: "name",
      reason: `service and name together (${JSON.stringify(name)}, ${name.length} characters) are longer than ${MAX_VM_NAME_LENGTH}: a VM's QMP socket path would pass the 107-byte limit of unix sockets`,
    });
  }
  if (spec.user !== undefined) {
    fail("user", spec.user, "a unikernel runs one program with no users: drop user");
  }
  if (spec.logMaxSize !== undefined) {
    fail(
      "logMaxSize",
      spec.logMaxSize,
      "a VM's console log is a file QEMU writes, which podman's log cap does not reach: logMaxSize applies to containers only",
    );
  }
  if (spec.network !== undefined) {
    fail(
      "network",
      spec.network,
      "a unikernel VM uses QEMU's user-mode networking with port forwards; podman networks do not apply",
    );
  }
  for (const [index, text] of spec.ports.entries()) {
    const port = parsePortSpec(text);
    if (typeof port !== "string" && port.hostIp.includes(":")) {
      fail(
        `ports[${index}]`,
        text,
        "QEMU's user-mode networking forwards IPv4 host addresses only (use 127.0.0.1 or another IPv4 address)",
      );
    }
  }
  for (const [index, text] of spec.volumes.entries()) {
    const volume = parseVolumeSpec(text);
    if (typeof volume === "string") continue;
    const labels = volume.options.filter((option) => option === "z" || option === "Z");
    if (labels.length > 0) {
      fail(
        `volumes[${index}]`,
        text,
        `SELinux relabelling (${labels.join(",")}) does not apply to a 9p share into a VM: drop it`,
      );
    }
    if (volume.containerPath === "/") {
      fail(`volumes[${index}]`, text, "a 9p share cannot be mounted over the guest's root");
    }
    // Older releases accepted :ro; refresh and destroy of such state must still work.
    if (rules === "inputs" && volume.options.includes("ro")) {
      fail(
        `volumes[${index}]`,
        text,
        "a unikernel cannot read a read-only share: Nanos's 9p client opens every file read-write (Tlopen O_RDWR), so QEMU's read-only export (readonly=on) answers EROFS to every open, reads included; drop :ro (the program can then write there too), or run it as a container",
      );
    }
  }
  if (rules === "inputs" && (spec.restart === "always" || spec.restart === "unless-stopped")) {
    fail(
      "restart",
      spec.restart,
      'Nanos reboots a VM only when its program exits non-zero (ops\' RebootOnExit), so a program that exits 0 would stay down although this policy promises a restart: use "on-failure" (the default for unikernels) or "no"',
    );
  }
  failures.push(...unikernelSecretFileFailures(spec));
  if (spec.memoryMb !== undefined && spec.memoryMb < MIN_VM_MEMORY_MB) {
    fail("memoryMb", spec.memoryMb, `a unikernel VM needs at least ${MIN_VM_MEMORY_MB} MiB`);
  }
  if (spec.binary !== undefined) {
    if (!spec.binary.startsWith("/") || spec.binary.split("/").includes("..")) {
      fail("binary", spec.binary, "must be an absolute path inside the image, without ..");
    } else if (spec.binary.includes("\0") || spec.binary.includes("\n")) {
      fail("binary", spec.binary, "contains a NUL byte or a newline");
    }
  }
  return failures;
}

/**
 * Which rules apply: "inputs" (a program's, in check) or "state" (read back from state, which
 * an older release may have written under looser rules: refresh and destroy must still work).
 */
export type CheckRules = "inputs" | "state";

/**
 * The rules only one runtime has, applied after the common checks: unikernel
 * inputs that a VM cannot honour are refused by name rather than dropped, the
 * VM's memory, vCPUs and acceleration get their defaults (so an omitted
 * default and an explicit one give equal specs), and the unikernel-only
 * fields are refused on containers.
 *
 * Volumes are 9p shares the guest mounts at the container path (QEMU
 * `-virtfs`, ops' `%N` mounts); `:ro` is refused (Nanos cannot read such a
 * share). `restart` "on-failure" reboots the VM when its program exits
 * non-zero (ops' RebootOnExit), "no" never does; "always" and
 * "unless-stopped" are refused, since a VM whose program exits 0 stays down.
 * A VM's env goes into ops' JSON config and may hold newlines; a
 * container's may not.
 */
export function applyRuntimeRules(spec: ComponentSpec, rules: CheckRules = "inputs"): CheckOutcome {
  if (spec.runtime !== "unikernel") {
    // Older releases carried newlines in container env; podman's env file cannot.
    const failures = rules === "inputs" ? containerEnvFailures(spec.env) : [];
    for (const field of ["accel", "binary"] as const) {
      if (spec[field] !== undefined) {
        failures.push({
          property: field,
          reason: `${field} = ${showValue(spec[field])}: only applies to runtime "unikernel"`,
        });
      }
    }
    return failures.length > 0 ? { ok: false, failures } : { ok: true, spec };
  }
  const failures = unikernelFailures(spec, rules);
  if (failures.length > 0) return { ok: false, failures };
  return {
    ok: true,
    spec: {
      ...spec,
      memoryMb: spec.memoryMb ?? DEFAULT_VM_MEMORY_MB,
      vcpus: spec.vcpus ?? DEFAULT_VM_VCPUS,
      accel: spec.accel ?? "auto",
    },
  };
}

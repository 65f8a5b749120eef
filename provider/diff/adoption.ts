import type { ComponentSpec } from "../spec/component";
import { showValue } from "../spec/redact";
import { specHash } from "./spec-hash";

/** The fields the node shows (podman inspect, a VM's record) and adoption compares. */
const SHOWN_FIELDS = ["image", "ports", "volumes", "cmd", "user", "restart", "network"] as const;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * How a running workload differs from the inputs that would adopt it, one
 * line per field: the inputs' value and what runs (env and secret file
 * contents never shown). `observed` is the spec as the node shows it; its
 * spec-hash label, when pulumi-mcp made it, also covers what the node does
 * not show (memoryMb, vcpus, stopTimeout, the set of env keys).
 */
export function adoptionMismatches(
  spec: ComponentSpec,
  observed: ComponentSpec,
  labelHash: string | undefined,
): string[] {
  const mismatches: string[] = [];
  for (const field of SHOWN_FIELDS) {
    if (!same(spec[field], observed[field]))
      mismatches.push(
        `${field}: the inputs say ${showValue(spec[field])}, it runs with ${showValue(observed[field])}`,
      );
  }
  for (const key of Object.keys(spec.env)) {
    if (observed.env[key] === undefined) mismatches.push(`env.${key}: not set in what runs`);
    else if (observed.env[key] !== spec.env[key])
      mismatches.push(`env.${key}: another value runs (values not shown)`);
  }
  const wanted = Object.keys(spec.secretFiles ?? {});
  const shown = Object.keys(observed.secretFiles ?? {});
  if (!same(wanted, shown))
    mismatches.push(
      `secretFiles: the inputs name ${showValue(wanted)}, its secret-files label names ${showValue(shown)} (a workload pulumi-mcp did not make cannot show its secret files: adopt it without secretFiles, then add them)`,
    );
  if (mismatches.length === 0 && labelHash !== undefined && labelHash !== specHash(spec))
    mismatches.push(
      "a field the node does not show (memoryMb, vcpus, stopTimeout, the set of env keys, …): pulumi-mcp made it from other inputs (its spec-hash label differs)",
    );
  return mismatches;
}

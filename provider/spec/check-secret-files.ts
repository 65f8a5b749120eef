import type { CheckFailure } from "./check-component";
import { type ComponentSpec, SECRET_FILE_NAME } from "./component";
import { LIMITS } from "./limits";
import { showValue } from "./redact";

/**
 * The checks on `secretFiles`: names that are plain file names under
 * /run/secrets/, values podman accepts as secrets (1 byte up to just under
 * 512000), bounded count and total size. A message names the file, never
 * its content.
 */
export function secretFileFailures(files: Readonly<Record<string, string>> = {}): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const entries = Object.entries(files);
  if (entries.length > LIMITS.secretFiles) {
    failures.push({
      property: "secretFiles",
      reason: `secretFiles has ${entries.length} files, more than ${LIMITS.secretFiles}`,
    });
  }
  let total = 0;
  for (const [name, value] of entries) {
    if (!SECRET_FILE_NAME.test(name) || name.length > LIMITS.secretFileNameLength) {
      failures.push({
        property: "secretFiles",
        reason: `secretFiles has the file name ${showValue(name)}: a name under /run/secrets/ must match [A-Za-z0-9_][A-Za-z0-9_.-]* and hold at most ${LIMITS.secretFileNameLength} characters`,
      });
      continue;
    }
    const property = `secretFiles.${name}`;
    const bytes = Buffer.byteLength(value);
    total += bytes;
    if (bytes === 0) {
      failures.push({
        property,
        reason: `${property} = ${showValue(value, true)}: is empty, and podman refuses an empty secret`,
      });
    } else if (bytes > LIMITS.secretFileBytes) {
      failures.push({
        property,
        reason: `${property} = ${showValue(value, true)}: is ${bytes} bytes, more than podman's limit of ${LIMITS.secretFileBytes}`,
      });
    }
  }
  if (total > LIMITS.secretFilesTotalBytes) {
    failures.push({
      property: "secretFiles",
      reason: `secretFiles hold ${total} bytes together, more than ${LIMITS.secretFilesTotalBytes}`,
    });
  }
  return failures;
}

/** Sorted by name, and undefined when there are none: `{}` and absent mean the same. */
export function normaliseSecretFiles(
  files: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  const entries = Object.entries(files ?? {});
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A VM has no podman to hold secrets: refused by name rather than dropped. */
export function unikernelSecretFileFailures(spec: ComponentSpec): CheckFailure[] {
  if (!spec.secretFiles) return [];
  const names = Object.keys(spec.secretFiles).join(", ");
  return [
    {
      property: "secretFiles",
      reason: `secretFiles (${names}) only applies to runtime "container": a unikernel VM has no podman secrets to mount; drop secretFiles or run this component as a container`,
    },
  ];
}

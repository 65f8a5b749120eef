import { SECRET_FILES_LABEL } from "../commands/podman-secrets";

/**
 * What a refreshed state holds for a file the container has but the state
 * does not know (podman never shows secret contents): a stand-in that
 * differs from any real value, so the next `up` recreates the container.
 */
export const UNKNOWN_SECRET_FILE = "(unknown: this secret file was not made from this state)";

/**
 * A container's secret files as refresh (and import) can see them: the names
 * its label lists. podman shows no contents, so a name the state also has
 * keeps the state's content; names that differ show up as a diff.
 */
export function observedSecretFiles(
  expected: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  const listed = (labels[SECRET_FILES_LABEL] ?? "").split(",").filter(Boolean).sort();
  if (listed.length === 0) return undefined;
  return Object.fromEntries(listed.map((name) => [name, expected?.[name] ?? UNKNOWN_SECRET_FILE]));
}

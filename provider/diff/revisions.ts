import { isDeepStrictEqual } from "node:util";
import { containsUnknown, isUnknown, UNKNOWN } from "../spec/unknown";

/**
 * A number per env value, secret file and credential (key, passphrase, agent)
 * that goes up by one whenever that value changes, kept in the inputs. Why: a secret value shows as `[secret]`
 * on both sides of `pulumi preview --diff`, and a dynamic provider cannot
 * send the engine a detailed diff, so a reviewer would see "update" with no
 * field marked. The revision is what the preview can show
 * (`~ revisions: { ~ env.TOKEN: 1 => 2 }`) without a hint of the value.
 */
export type Revisions = Record<string, number | typeof UNKNOWN>;

type Values = Record<string, unknown>;

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * `{ env: { A: "x" }, secretFiles: { f: "y" } }` → `{ "env.A": "x", "secretFiles.f": "y" }`;
 * undefined while a whole group is unknown (a preview: its keys are not known yet).
 */
export function tracked(groups: Record<string, unknown>): Values | undefined {
  const values: Values = {};
  for (const [group, entries] of Object.entries(groups)) {
    if (isUnknown(entries)) return undefined;
    for (const [key, value] of Object.entries(asRecord(entries))) values[`${group}.${key}`] = value;
  }
  return values;
}

/**
 * The node credentials' groups: `credentials.privateKey`, … and one
 * `registries.<server>` per registry login (its username and password
 * together), so a rotated password shows as that registry's revision.
 */
export function credentialGroups(credentials: unknown): Record<string, unknown> {
  if (isUnknown(credentials)) return { credentials };
  const { registries, ...rest } = asRecord(credentials);
  if (registries === undefined) return { credentials: rest };
  if (isUnknown(registries) || !Array.isArray(registries))
    return { credentials: rest, registries: UNKNOWN };
  const logins: Record<string, unknown> = {};
  for (const entry of registries) {
    const { server, username, password } = asRecord(entry);
    if (isUnknown(server) || typeof server !== "string")
      return { credentials: rest, registries: UNKNOWN };
    logins[server] = containsUnknown([username, password])
      ? UNKNOWN
      : `${username}\u0000${password}`;
  }
  return { credentials: rest, registries: logins };
}

/** A service's groups, one per component and kind: `api.env`, `api.secretFiles`. */
export function perComponent(env: unknown, secretFiles: unknown): Record<string, unknown> {
  if (isUnknown(env) || isUnknown(secretFiles)) return { all: env };
  const groups: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(asRecord(env))) groups[`${name}.env`] = values;
  for (const [name, files] of Object.entries(asRecord(secretFiles)))
    groups[`${name}.secretFiles`] = files;
  return groups;
}

/**
 * The revisions after a check: unchanged for a value equal to the one before,
 * one more for a changed one, 1 for a new one, unknown for one not known yet
 * (a preview: it may or may not change). Undefined when
 * nothing is tracked (so a component without env or secret files has none).
 */
export function nextRevisions(
  before: Values | undefined,
  revisionsBefore: unknown,
  now: Values | undefined,
): Revisions | undefined {
  const previous = asRecord(revisionsBefore);
  // Not known yet: keep what state has until `up` knows.
  if (now === undefined)
    return Object.keys(previous).length > 0 ? (previous as Revisions) : undefined;
  const keys = Object.keys(now).sort();
  if (keys.length === 0) return undefined;
  const revisions: Revisions = {};
  for (const key of keys) {
    const last = previous[key];
    const revision = typeof last === "number" && Number.isInteger(last) && last > 0 ? last : 0;
    if (containsUnknown(now[key])) revisions[key] = UNKNOWN;
    // Deep: a group's value may be an object (a jump host's credentials), a fresh one every run.
    else
      revisions[key] =
        revision > 0 && isDeepStrictEqual(before?.[key], now[key]) ? revision : revision + 1;
  }
  return revisions;
}

// TEST ENGINE — not shipped. Property values as the Pulumi engine handles them: secret wrappers
// (`{ [SIG_KEY]: SECRET_SIG, value }`), the preview "unknown" sentinel, and the engine's rule for
// re-marking outputs secret after a provider that does not accept secrets answered.

import {
  isSecret,
  type PropertyMap,
  secret,
  stripSecrets,
  UNKNOWN_VALUE,
} from "../harness/struct-values";

export { isSecret, type PropertyMap, secret, UNKNOWN_VALUE };

/** Shown instead of a secret value in summaries and displays. */
export const SECRET_MASK = "[secret]";
/** Shown instead of a value not known until `up` (Pulumi prints `output<…>`). */
export const UNKNOWN_MASK = "[unknown]";

/** The property map without secret wrappers: what a provider with acceptSecrets=false is sent. */
export function plain(props: PropertyMap): PropertyMap {
  return stripSecrets(props) as PropertyMap;
}

export function containsSecret(value: unknown): boolean {
  if (isSecret(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsSecret);
  return false;
}

/**
 * The engine's annotation after a call to a provider that does not accept secrets: an output is
 * secret when the input of the same (top-level) name held a secret anywhere inside it, or when it
 * is listed in `additionalSecretOutputs`.
 */
export function markSecrets(
  outputs: PropertyMap,
  inputs: PropertyMap,
  additionalSecretOutputs: readonly string[] = [],
): PropertyMap {
  const marked: PropertyMap = {};
  for (const [key, value] of Object.entries(outputs)) {
    const wasSecret = containsSecret(inputs[key]) || additionalSecretOutputs.includes(key);
    marked[key] = wasSecret && !isSecret(value) ? secret(value) : value;
  }
  return marked;
}

/** A value for display: secrets masked, unknowns named. Never reveals a secret. */
export function displayValue(value: unknown): unknown {
  if (isSecret(value)) return SECRET_MASK;
  if (value === UNKNOWN_VALUE) return UNKNOWN_MASK;
  if (Array.isArray(value)) return value.map(displayValue);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, displayValue(v)]));
  }
  return value;
}

/** JSON with object keys sorted, for order-insensitive comparison (env keys, nested maps). */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value ?? null));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

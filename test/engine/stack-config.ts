// TEST ENGINE — not shipped. Stack config as the language host passes it to a program
// (PULUMI_CONFIG: "project:key" -> string; PULUMI_CONFIG_SECRET_KEYS: the secret keys) and as
// the engine configures the dynamic provider (Configure args, secrets wrapped).

import { type PropertyMap, secret } from "./property-values";
import type { ConfigValue } from "./types";

export interface StackConfig {
  /** "project:key" -> value, as PULUMI_CONFIG holds it. */
  values: Record<string, string>;
  /** Full keys of the secret values. */
  secretKeys: string[];
}

export function stackConfig(
  project: string,
  config: Record<string, ConfigValue> = {},
  secretKeys: readonly string[] = [],
): StackConfig {
  const full = (key: string) => (key.includes(":") ? key : `${project}:${key}`);
  const values: Record<string, string> = {};
  const secrets = new Set(secretKeys.map(full));
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === "object") {
      values[full(key)] = value.secret;
      secrets.add(full(key));
    } else {
      values[full(key)] = String(value);
    }
  }
  for (const key of secrets) {
    if (!(key in values)) throw new Error(`secret key ${key} has no value in the config`);
  }
  return { values, secretKeys: [...secrets].sort() };
}

/** What the engine sends the default `pulumi-nodejs` provider in Configure. */
export function configureArgs(config: StackConfig): PropertyMap {
  return Object.fromEntries(
    Object.entries(config.values).map(([key, value]) => [
      key,
      config.secretKeys.includes(key) ? secret(value) : value,
    ]),
  );
}

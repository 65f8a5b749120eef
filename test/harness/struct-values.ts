// TEST TOOL — not shipped. Plain JS objects <-> google.protobuf.Struct, with Pulumi's special
// values (runtime/rpc.js in @pulumi/pulumi): a secret travels as
// `{ [SIG_KEY]: SECRET_SIG, value }`, an unknown (preview) value as the string UNKNOWN_VALUE.

import { type JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";

export type PropertyMap = Record<string, unknown>;

export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const PROVIDER_KEY = "__provider";

export interface SecretValue {
  [SIG_KEY]: typeof SECRET_SIG;
  value: unknown;
}

export function secret(value: unknown): SecretValue {
  return { [SIG_KEY]: SECRET_SIG, value };
}

export function isSecret(value: unknown): value is SecretValue {
  return isPlainObject(value) && value[SIG_KEY] === SECRET_SIG;
}

/** What the engine sends a provider that answered Configure with acceptSecrets=false. */
export function stripSecrets(value: unknown): unknown {
  if (isSecret(value)) return stripSecrets(value.value);
  if (Array.isArray(value)) return value.map(stripSecrets);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripSecrets(v)]));
  }
  return value;
}

/** Like the SDK's serializeProperties: undefined object members are dropped, not sent. */
export function toStruct(properties: PropertyMap): Struct {
  const json = toJsonValue(properties, "");
  return Struct.fromJavaScript(json as Record<string, JavaScriptValue>);
}

export function fromStruct(struct: Struct | undefined): PropertyMap {
  return struct ? (struct.toJavaScript() as PropertyMap) : {};
}

function toJsonValue(value: unknown, at: string): JavaScriptValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return value;
  if (Array.isArray(value)) {
    return value.map((v, i) => (v === undefined ? null : toJsonValue(v, `${at}[${i}]`)));
  }
  if (isPlainObject(value)) {
    const out: Record<string, JavaScriptValue> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = toJsonValue(v, at ? `${at}.${k}` : k);
    }
    return out;
  }
  throw new TypeError(`cannot send ${typeof value} at "${at}" in a Struct`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

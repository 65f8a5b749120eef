// TEST ENGINE — not shipped. Encrypts every secret value before the state file is written, the way
// Pulumi's passphrase/service secrets providers do: a secret is stored as
// `{ [SIG_KEY]: SECRET_SIG, ciphertext }` and never in plain text. Cipher: AES-256-GCM with a
// random 96-bit IV per value, under a per-stack 256-bit key kept in a file beside the state
// (`<stateFile>.key`, mode 0600). Anyone who can read that key file can read the secrets: this
// protects against secrets leaking through the state file alone (logs, diffs, commits), no more.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { SECRET_SIG, SIG_KEY } from "../harness/struct-values";
import { isSecret, secret } from "./property-values";

const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretBox {
  /** Copies `value` with every secret wrapper's value replaced by its ciphertext. */
  seal(value: unknown): unknown;
  /** The inverse of seal: ciphertext back to secret wrappers holding plain values. */
  open(value: unknown): unknown;
}

export function keyFileFor(stateFile: string): string {
  return `${stateFile}.key`;
}

/** Loads the stack's key, creating it (0600) when `create` and there is none yet. */
export function secretBoxFor(stateFile: string, create: boolean): SecretBox {
  const keyFile = keyFileFor(stateFile);
  let key: Buffer;
  if (existsSync(keyFile)) {
    key = Buffer.from(readFileSync(keyFile, "utf8").trim(), "hex");
  } else if (create) {
    key = randomBytes(32);
    writeFileSync(keyFile, `${key.toString("hex")}\n`, { mode: 0o600 });
  } else {
    return lockedBox(keyFile);
  }
  if (key.length !== 32) throw new Error(`${keyFile} does not hold a 256-bit hex key`);
  return {
    seal: (value) => mapSecrets(value, (inner) => sealed(encrypt(key, inner))),
    open: (value) => mapSealed(value, (ciphertext) => secret(decrypt(key, ciphertext))),
  };
}

function lockedBox(keyFile: string): SecretBox {
  const missing = () => {
    throw new Error(`the state holds secrets but their key ${keyFile} is missing`);
  };
  return {
    seal: (value) => mapSecrets(value, missing),
    open: (value) => mapSealed(value, missing),
  };
}

function sealed(ciphertext: string): Record<string, string> {
  return { [SIG_KEY]: SECRET_SIG, ciphertext };
}

function encrypt(key: Buffer, value: unknown): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

function decrypt(key: Buffer, ciphertext: string): unknown {
  const bytes = Buffer.from(ciphertext, "base64");
  const decipher = createDecipheriv(ALGORITHM, key, bytes.subarray(0, IV_BYTES));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  const text = Buffer.concat([
    decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
    decipher.final(),
  ]).toString("utf8");
  return JSON.parse(text);
}

function mapSecrets(value: unknown, fn: (inner: unknown) => unknown): unknown {
  if (isSecret(value)) return fn(value.value);
  return mapChildren(value, (child) => mapSecrets(child, fn));
}

function mapSealed(value: unknown, fn: (ciphertext: string) => unknown): unknown {
  if (isSealed(value)) return fn(value.ciphertext);
  return mapChildren(value, (child) => mapSealed(child, fn));
}

function isSealed(value: unknown): value is { ciphertext: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG &&
    typeof (value as Record<string, unknown>).ciphertext === "string"
  );
}

function mapChildren(value: unknown, fn: (child: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map(fn);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v)]));
  }
  return value;
}

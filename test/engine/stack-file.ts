// TEST ENGINE — not shipped. Reads and writes Pulumi.<stack>.yaml as the CLI does: plain values,
// structured (object/array) values passed to the program as JSON, and `secure:` values decrypted
// with the stack's passphrase (passphrase-crypter.ts). A key that holds a secret anywhere is secret.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument, stringify } from "yaml";
import { PassphraseCrypter } from "./passphrase-crypter";
import type { ConfigValue } from "./types";

export function stackFilePath(programDir: string, stack: string): string {
  return path.join(programDir, `Pulumi.${stack}.yaml`);
}

function passphrase(): string {
  const value = process.env.PULUMI_CONFIG_PASSPHRASE;
  if (value === undefined)
    throw new Error("PULUMI_CONFIG_PASSPHRASE is not set: it opens the stack's secrets");
  return value;
}

interface StackFile {
  encryptionsalt?: string;
  config?: Record<string, unknown>;
}

function readStackFile(file: string): StackFile {
  if (!existsSync(file)) return {};
  const parsed: unknown = parseDocument(readFileSync(file, "utf8")).toJS();
  return parsed && typeof parsed === "object" ? (parsed as StackFile) : {};
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isSecure(value: unknown): value is { secure: string } {
  return (
    value !== null &&
    typeof value === "object" &&
    Object.keys(value).length === 1 &&
    typeof (value as { secure?: unknown }).secure === "string"
  );
}

/** Decrypts every `secure:` leaf; reports whether there was one. */
function reveal(
  value: unknown,
  open: () => PassphraseCrypter,
): { value: unknown; secret: boolean } {
  if (isSecure(value)) return { value: open().decrypt(value.secure), secret: true };
  if (Array.isArray(value)) {
    const items = value.map((item) => reveal(item, open));
    return { value: items.map((item) => item.value), secret: items.some((item) => item.secret) };
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([key, item]) => [key, reveal(item, open)] as const);
    return {
      value: Object.fromEntries(entries.map(([key, item]) => [key, item.value])),
      secret: entries.some(([, item]) => item.secret),
    };
  }
  return { value, secret: false };
}

/** The stack's config as the engine takes it: structured values as JSON text, secrets marked. */
export function loadStackConfig(programDir: string, stack: string): Record<string, ConfigValue> {
  const file = readStackFile(stackFilePath(programDir, stack));
  let crypter: PassphraseCrypter | undefined;
  const open = () => {
    if (!file.encryptionsalt)
      throw new Error(`Pulumi.${stack}.yaml has secure values but no encryptionsalt`);
    crypter ??= PassphraseCrypter.open(passphrase(), file.encryptionsalt);
    return crypter;
  };
  const config: Record<string, ConfigValue> = {};
  for (const [key, raw] of Object.entries(file.config ?? {})) {
    const { value, secret } = reveal(raw, open);
    const text = typeof value === "string" ? value : JSON.stringify(value);
    config[key] = secret
      ? { secret: text }
      : typeof value === "number" || typeof value === "boolean"
        ? value
        : text;
  }
  return config;
}

/**
 * `pulumi config set [--secret] [--path] key value` on a stack file (creating its
 * encryptionsalt if needed); `at` is the --path below the key, e.g. ["loopback", "hostKey"].
 */
export function setStackConfig(
  programDir: string,
  stack: string,
  key: string,
  value: string,
  options: { secret?: boolean; at?: string[] } = {},
): void {
  const secret = options.secret === true;
  const filePath = stackFilePath(programDir, stack);
  const file = readStackFile(filePath);
  let stored: unknown = value;
  if (secret) {
    const crypter = file.encryptionsalt
      ? PassphraseCrypter.open(passphrase(), file.encryptionsalt)
      : PassphraseCrypter.create(passphrase());
    file.encryptionsalt = crypter.encryptionSalt;
    stored = { secure: crypter.encrypt(value) };
  }
  const config = { ...(file.config ?? {}) };
  if (options.at && options.at.length > 0) {
    const root: Record<string, unknown> = isObject(config[key]) ? { ...config[key] } : {};
    let parent = root;
    for (const step of options.at.slice(0, -1)) {
      const next = isObject(parent[step]) ? { ...parent[step] } : {};
      parent[step] = next;
      parent = next;
    }
    parent[options.at[options.at.length - 1] ?? ""] = stored;
    config[key] = root;
  } else {
    config[key] = stored;
  }
  file.config = config;
  writeFileSync(filePath, stringify(file));
}

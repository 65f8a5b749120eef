// TEST ENGINE — not shipped. Pulumi's passphrase secrets provider, as the CLI keeps it in
// Pulumi.<stack>.yaml: `encryptionsalt: v1:<salt>:<"pulumi" encrypted>` and each secret config
// value as `secure: v1:<nonce>:<ciphertext+tag>` — AES-256-GCM with a key derived by
// PBKDF2-HMAC-SHA256 (1,000,000 rounds) from PULUMI_CONFIG_PASSPHRASE and the 8-byte salt.
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";

const ROUNDS = 1_000_000;
const VERIFIER = "pulumi";

export class PassphraseCrypter {
  private constructor(
    private readonly key: Buffer,
    /** The stack file's `encryptionsalt`. */
    readonly encryptionSalt: string,
  ) {}

  /** Opens an existing stack's crypter; a wrong passphrase fails here, by name. */
  static open(passphrase: string, encryptionSalt: string): PassphraseCrypter {
    const [version, salt, ...verifier] = encryptionSalt.split(":");
    if (version !== "v1" || !salt || verifier.length !== 3) {
      throw new Error(
        `encryptionsalt ${JSON.stringify(encryptionSalt)} is not v1:<salt>:<verifier>`,
      );
    }
    const crypter = new PassphraseCrypter(
      derive(passphrase, Buffer.from(salt, "base64")),
      encryptionSalt,
    );
    let verified = false;
    try {
      verified = crypter.decrypt(verifier.join(":")) === VERIFIER;
    } catch {
      verified = false;
    }
    if (!verified)
      throw new Error(
        "incorrect passphrase: it does not open this stack's secrets (PULUMI_CONFIG_PASSPHRASE)",
      );
    return crypter;
  }

  /** A new stack's crypter, with a fresh salt. */
  static create(passphrase: string): PassphraseCrypter {
    const salt = randomBytes(8);
    const key = derive(passphrase, salt);
    const verifier = new PassphraseCrypter(key, "").encrypt(VERIFIER);
    return new PassphraseCrypter(key, `v1:${salt.toString("base64")}:${verifier}`);
  }

  encrypt(plaintext: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce);
    const data = Buffer.concat([
      cipher.update(plaintext, "utf8"),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return `v1:${nonce.toString("base64")}:${data.toString("base64")}`;
  }

  decrypt(ciphertext: string): string {
    const [version, nonce, data] = ciphertext.split(":");
    if (version !== "v1" || !nonce || !data)
      throw new Error("a secure value is not v1:<nonce>:<ciphertext>");
    const bytes = Buffer.from(data, "base64");
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(nonce, "base64"));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([
      decipher.update(bytes.subarray(0, bytes.length - 16)),
      decipher.final(),
    ]).toString("utf8");
  }
}

function derive(passphrase: string, salt: Buffer): Buffer {
  return pbkdf2Sync(passphrase, salt, ROUNDS, 32, "sha256");
}

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * Secret values are sealed before they reach state.db: AES-256-GCM under a key kept beside it in
 * the engine home, readable only by the engine's user (0600). state.db holds names, version
 * states and sealed bytes; without the key its copy (a backup, a bug report) tells nothing. Each
 * value is sealed with its project, secret and version as associated data, so a sealed value moved
 * to another version's row does not open.
 */
export class SecretCipher {
  private constructor(private readonly key: Buffer) {}

  static loadOrCreate(path: string): SecretCipher {
    if (existsSync(path)) {
      const key = readFileSync(path);
      if (key.length !== 32) throw new Error(`${path} is not a secrets key (32 bytes); it may be damaged`);
      return new SecretCipher(key);
    }
    const key = randomBytes(32);
    // "wx": never overwrite a key, or every sealed value would be lost.
    writeFileSync(path, key, { mode: 0o600, flag: "wx" });
    return new SecretCipher(key);
  }

  /** A random nonce, the ciphertext and its tag, in one buffer. */
  seal(value: Buffer, associated: string): Buffer {
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce);
    cipher.setAAD(Buffer.from(associated));
    const body = Buffer.concat([cipher.update(value), cipher.final()]);
    return Buffer.concat([nonce, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, associated: string): Buffer {
    const decipher = createDecipheriv("aes-256-gcm", this.key, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(associated));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
  }
}

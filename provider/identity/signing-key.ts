import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/**
 * The engine's signing key: the one key its identity tokens are signed with (RS256, as Google's
 * are). Made once, kept in the engine home readable only by the engine's user (0600), so a token
 * minted before a restart still verifies after it. Its public half is published as a JWKS.
 */
export interface SigningKey {
  /** The key id tokens name in their header, and the JWKS lists: a hash of the public key. */
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function loadOrCreateSigningKey(path: string): SigningKey {
  let pem: string;
  if (existsSync(path)) pem = readFileSync(path, "utf8");
  else {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    // "wx": two engines never race to write two keys into one home (the engine lock forbids it anyway).
    writeFileSync(path, pem, { mode: 0o600, flag: "wx" });
  }
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: "spki", format: "der" });
  return { kid: createHash("sha256").update(der).digest("base64url").slice(0, 16), privateKey, publicKey };
}

/** The public key as a JSON Web Key Set (RFC 7517), what a standard JWT library verifies tokens with. */
export function jwks(key: SigningKey): { keys: Record<string, string>[] } {
  const jwk = key.publicKey.export({ format: "jwk" }) as Record<string, string>;
  return { keys: [{ ...jwk, kid: key.kid, alg: "RS256", use: "sig" }] };
}

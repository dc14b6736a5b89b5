// Keys for sealing secrets. Each key is named by a fingerprint, so a sealed value says which key
// opens it and rotation needs no key numbering: configure the new key as TOKEN_ENCRYPTION_KEY,
// move the old one to TOKEN_ENCRYPTION_KEYS_OLD, run `npm run secrets:rotate`, then drop it.
import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import { CryptoConfigError } from './errors';

export const KEY_BYTES = 32;

export interface Keyring {
  /** Fingerprint of the key new secrets are sealed with. */
  readonly currentKeyId: string;
  /** Every key that may open a secret, by fingerprint; the current one included. */
  readonly keys: ReadonlyMap<string, KeyObject>;
}

// Domain separation: the fingerprint of a key is never a hash that means anything elsewhere.
const KEY_ID_LABEL = 'mailbridge/secret-key-id/v1\0';

/** Short stable fingerprint of a raw key: 8 hex characters (32 bits) of a labelled SHA-256. */
export function keyIdOf(raw: Buffer): string {
  return createHash('sha256').update(KEY_ID_LABEL).update(raw).digest('hex').slice(0, 8);
}

const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+)$/;

/**
 * Decodes one configured key (base64 or base64url of 32 bytes). `source` names where it came
 * from for the error message; the value itself never appears in one.
 */
export function parseKey(encoded: string, source: string): Buffer {
  const text = encoded.trim();
  const raw = BASE64.test(text) ? Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64') : null;
  if (raw === null || raw.length !== KEY_BYTES) {
    throw new CryptoConfigError(
      `${source} must be base64 of ${KEY_BYTES} random bytes (generate one with: openssl rand -base64 32)`,
    );
  }
  return raw;
}

/** Builds a keyring from raw keys: the current one first, then those still accepted for opening. */
export function keyringFromKeys(current: Buffer, old: readonly Buffer[] = []): Keyring {
  const keys = new Map<string, KeyObject>();
  const raws = new Map<string, Buffer>();
  for (const raw of [current, ...old]) {
    const id = keyIdOf(raw);
    const seen = raws.get(id);
    if (seen !== undefined) {
      // The same key listed twice is harmless; two keys sharing a 32-bit fingerprint is not.
      if (!seen.equals(raw)) throw new CryptoConfigError(`Two configured encryption keys share the key id ${id}`);
      continue;
    }
    raws.set(id, raw);
    // KeyObjects never print or serialize their material, so a stray log of the keyring is safe.
    keys.set(id, createSecretKey(raw));
  }
  return Object.freeze({ currentKeyId: keyIdOf(current), keys });
}

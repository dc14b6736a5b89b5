// Sealing secrets at rest: AES-256-GCM with a fresh random IV per value, in a self-describing
// text format `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts). The header names the key,
// so values sealed under older keys stay readable while the keyring still holds those keys.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SecretDecryptError } from './errors';
import type { Keyring } from './keyring';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

// The header is authenticated with the caller's associated data, so no part of a sealed value
// (version, key id, owner) can be swapped without failing authentication.
function associatedData(keyId: string, aad: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${aad}`, 'utf8');
}

export function seal(keyring: Keyring, plaintext: string, aad: string): string {
  const keyId = keyring.currentKeyId;
  const key = keyring.keys.get(keyId);
  if (key === undefined) throw new Error('Keyring has no current key');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(keyId, aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, keyId, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** Opens a sealed value bound to `aad`; throws SecretDecryptError (never echoing the value). */
export function open(keyring: Keyring, sealed: string, aad: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 5) throw new SecretDecryptError('malformed');
  const [version, keyId, ivText, ciphertextText, tagText] = parts as [string, string, string, string, string];
  if (version !== VERSION) throw new SecretDecryptError('unsupported_version');
  const key = keyring.keys.get(keyId);
  if (key === undefined) throw new SecretDecryptError('unknown_key', /^[0-9a-f]{8}$/.test(keyId) ? keyId : undefined);

  const iv = decodePart(ivText);
  const ciphertext = decodePart(ciphertextText);
  const tag = decodePart(tagText);
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretDecryptError('malformed');

  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(keyId, aad));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    // node:crypto's own error says nothing useful and is replaced, not wrapped, so no cause chain
    // can ever carry material into a log.
    throw new SecretDecryptError('authentication_failed', keyId);
  }
}

/** The key id a sealed value names, or null when it is not a sealed value. */
export function sealedKeyId(sealed: string): string | null {
  const parts = sealed.split('.');
  return parts.length === 5 && parts[0] === VERSION ? (parts[1] ?? null) : null;
}

/** True when the value is already sealed under the current key (rotation skips it). */
export function isSealedWithCurrentKey(keyring: Keyring, sealed: string): boolean {
  return sealedKeyId(sealed) === keyring.currentKeyId;
}

// Only the canonical encoding is accepted: Buffer's decoder silently skips stray characters, and
// a value that does not round-trip has been altered.
function decodePart(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new SecretDecryptError('malformed');
  return bytes;
}

import { describe, expect, it } from 'vitest';
import {
  accessTokenAad,
  cacheAad,
  isSealedWithCurrentKey,
  open,
  passwordAad,
  refreshTokenAad,
  seal,
  sealedKeyId,
  secretAad,
  SecretDecryptError,
  type Keyring,
} from '@/lib/crypto';
import { newKey, ring } from './helpers';

const PLAINTEXT = 'M.C512_BAY.0.U.-refresh-token-value-!#$';
const keyA = newKey();
const keyB = newKey();
const keyringA = ring(keyA);

function decryptError(keyring: Keyring, sealed: string, aad: string): SecretDecryptError {
  try {
    open(keyring, sealed, aad);
  } catch (error) {
    expect(error).toBeInstanceOf(SecretDecryptError);
    const e = error as SecretDecryptError;
    // Nothing secret in what an operator or a log would see.
    for (const secret of [PLAINTEXT, sealed, ...sealed.split('.').slice(2).filter((p) => p.length > 4), keyA.base64, keyB.base64]) {
      expect(e.message).not.toContain(secret);
      expect(String(e.stack)).not.toContain(secret);
    }
    expect(e.cause).toBeUndefined();
    return e;
  }
  throw new Error('open() should have failed');
}

describe('seal / open', () => {
  it('round-trips text, including empty and non-ASCII', () => {
    const aad = refreshTokenAad('cred1');
    for (const text of [PLAINTEXT, '', 'пароль ✉ 🔑', 'x'.repeat(10_000)]) {
      expect(open(keyringA, seal(keyringA, text, aad), aad)).toBe(text);
    }
  });

  it('writes a versioned, self-describing value with a fresh IV each time', () => {
    const a = seal(keyringA, PLAINTEXT, 'aad');
    const b = seal(keyringA, PLAINTEXT, 'aad');
    expect(a).not.toBe(b);
    const parts = a.split('.');
    expect(parts).toHaveLength(5);
    expect(parts[0]).toBe('v1');
    expect(parts[1]).toBe(keyringA.currentKeyId);
    expect(parts[1]).toMatch(/^[0-9a-f]{8}$/);
    expect(Buffer.from(parts[2]!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(parts[4]!, 'base64url')).toHaveLength(16);
    expect(a).not.toContain(PLAINTEXT);
    expect(sealedKeyId(a)).toBe(keyringA.currentKeyId);
  });

  it('refuses a value moved to another row, field or cache key', () => {
    const sealed = seal(keyringA, PLAINTEXT, refreshTokenAad('cred1'));
    for (const other of [
      refreshTokenAad('cred2'),
      passwordAad('cred1'),
      accessTokenAad('cred1', 'imap'),
      cacheAad('at:cred1:imap'),
      '',
    ]) {
      expect(decryptError(keyringA, sealed, other).reason).toBe('authentication_failed');
    }
    const cached = seal(keyringA, PLAINTEXT, cacheAad('at:cred1:imap'));
    expect(decryptError(keyringA, cached, cacheAad('at:cred1:graph')).reason).toBe('authentication_failed');
  });

  it('refuses any altered byte of IV, ciphertext or tag', () => {
    const aad = refreshTokenAad('cred1');
    const sealed = seal(keyringA, PLAINTEXT, aad);
    const parts = sealed.split('.');
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index]!, 'base64url');
      for (const position of [0, bytes.length - 1]) {
        const altered = Buffer.from(bytes);
        altered[position]! ^= 0x01;
        const copy = [...parts];
        copy[index] = altered.toString('base64url');
        expect(decryptError(keyringA, copy.join('.'), aad).reason).toBe('authentication_failed');
      }
    }
  });

  it('refuses a header pointing at another configured key', () => {
    const both = ring(keyA, keyB);
    const sealed = seal(both, PLAINTEXT, 'aad');
    const idB = ring(keyB).currentKeyId;
    const swapped = sealed.replace(`v1.${both.currentKeyId}.`, `v1.${idB}.`);
    expect(decryptError(both, swapped, 'aad').reason).toBe('authentication_failed');
  });

  it('refuses malformed values and unknown versions', () => {
    const sealed = seal(keyringA, PLAINTEXT, 'aad');
    const parts = sealed.split('.');
    expect(decryptError(keyringA, 'plain-text-token', 'aad').reason).toBe('malformed');
    expect(decryptError(keyringA, parts.slice(0, 4).join('.'), 'aad').reason).toBe('malformed');
    expect(decryptError(keyringA, `${sealed}.x`, 'aad').reason).toBe('malformed');
    expect(decryptError(keyringA, ['v2', ...parts.slice(1)].join('.'), 'aad').reason).toBe('unsupported_version');
    // A stray character that the base64 decoder would silently skip.
    const stray = [...parts];
    stray[3] = `${stray[3]}!`;
    expect(decryptError(keyringA, stray.join('.'), 'aad').reason).toBe('malformed');
    const shortIv = [...parts];
    shortIv[2] = shortIv[2]!.slice(0, 8);
    expect(decryptError(keyringA, shortIv.join('.'), 'aad').reason).toBe('malformed');
  });

  it('refuses a value sealed under a key that is not configured, naming only its id', () => {
    const sealedB = seal(ring(keyB), PLAINTEXT, 'aad');
    const error = decryptError(keyringA, sealedB, 'aad');
    expect(error.reason).toBe('unknown_key');
    expect(error.keyId).toBe(ring(keyB).currentKeyId);
    expect(error.message).toContain(ring(keyB).currentKeyId);
  });

  it('opens values under an old key while it is listed, and tells them apart from current ones', () => {
    const aad = passwordAad('cred9');
    const underA = seal(keyringA, PLAINTEXT, aad);
    const rotated = ring(keyB, keyA);
    expect(open(rotated, underA, aad)).toBe(PLAINTEXT);
    expect(isSealedWithCurrentKey(rotated, underA)).toBe(false);
    const underB = seal(rotated, open(rotated, underA, aad), aad);
    expect(isSealedWithCurrentKey(rotated, underB)).toBe(true);
    // With the old key dropped, only the re-sealed value remains readable.
    expect(open(ring(keyB), underB, aad)).toBe(PLAINTEXT);
    expect(decryptError(ring(keyB), underA, aad).reason).toBe('unknown_key');
  });
});

describe('associated data', () => {
  it('names table, row and field', () => {
    expect(secretAad({ table: 'MailCredential', id: 'ck1', field: 'refreshToken' })).toBe('MailCredential:ck1:refreshToken');
    expect(refreshTokenAad('ck1')).toBe('MailCredential:ck1:refreshToken');
    expect(passwordAad('ck1')).toBe('MailCredential:ck1:password');
    expect(accessTokenAad('ck1', 'graph')).toBe('AccessToken:ck1:graph');
    expect(cacheAad('at:ck1:imap')).toBe('cache:at:ck1:imap');
  });

  it('rejects ambiguous parts', () => {
    expect(() => secretAad({ table: 'Mail:Credential', id: 'x', field: 'f' })).toThrow(TypeError);
    expect(() => secretAad({ table: 'T', id: 'x', field: 'a:b' })).toThrow(TypeError);
    expect(() => secretAad({ table: 'T', id: '', field: 'f' })).toThrow(TypeError);
  });
});

// The pure pieces of sign-in and the connect flow (the flows themselves run end to end in
// tests/e2e against the emulator).
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createSecretBox, keyringFromKeys } from '@/lib/crypto';
import { tokenlessAccountLink } from '@/lib/auth/adapter';
import { identityFromClaims } from '@/lib/auth/claims';
import { openPending, sameSecret, sealPending, type PendingConnect } from '@/lib/auth/connect/pending';
import { readCookie, serializeCookie } from '@/lib/http/cookies';

const box = createSecretBox(keyringFromKeys(randomBytes(32), []));
const pending: PendingConnect = {
  state: 's'.repeat(43),
  verifier: 'v'.repeat(64),
  nonce: 'n'.repeat(43),
  userId: 'user-1',
  scopes: ['openid'],
  expiresAt: 2_000,
};

describe('pending connect flow', () => {
  test('round-trips sealed, and hides its secrets', () => {
    const sealed = sealPending(box, pending);
    expect(sealed).not.toContain('vvvv');
    expect(sealed).not.toContain('nnnn');
    expect(openPending(box, sealed, 1_000)).toEqual(pending);
  });

  test('expired, altered, missing or foreign cookies open to null', () => {
    const sealed = sealPending(box, pending);
    expect(openPending(box, sealed, 2_000)).toBeNull();
    expect(openPending(box, `${sealed.slice(0, -2)}AA`, 1_000)).toBeNull();
    expect(openPending(box, undefined, 1_000)).toBeNull();
    const otherBox = createSecretBox(keyringFromKeys(randomBytes(32), []));
    expect(openPending(otherBox, sealed, 1_000)).toBeNull();
    // A value sealed for another purpose (other associated data) does not open as a flow.
    expect(openPending(box, box.seal(JSON.stringify(pending), 'cookie:other'), 1_000)).toBeNull();
  });

  test('carries a same-site returnTo, and a tampered-in foreign one does not open', () => {
    const withReturn = { ...pending, returnTo: '/knowledge/kb1?x=1' };
    expect(openPending(box, sealPending(box, withReturn), 1_000)).toEqual(withReturn);
    expect(openPending(box, box.seal(JSON.stringify({ ...pending, returnTo: '//evil.example' }), 'cookie:mb.mail-connect'), 1_000)).toBeNull();
  });

  test('sameSecret compares whole values', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
  });
});

describe('account links', () => {
  test('keep the identity and drop every token and extra field', () => {
    const link = tokenlessAccountLink({
      userId: 'u',
      type: 'oauth',
      provider: 'microsoft',
      providerAccountId: 'oid',
      access_token: 'at',
      refresh_token: 'rt',
      id_token: 'it',
      expires_at: 1,
      scope: 'openid',
      token_type: 'bearer',
      ext_expires_in: 3600,
    } as never);
    expect(link).toEqual({ userId: 'u', type: 'oauth', provider: 'microsoft', providerAccountId: 'oid' });
  });
});

describe('identity from id token claims', () => {
  test('prefers email, falls back to preferred_username, lowercases', () => {
    expect(identityFromClaims({ oid: 'o', tid: 't', email: 'Ada@Contoso.test', preferred_username: 'x@y', name: 'Ada' })).toEqual({
      oid: 'o',
      tid: 't',
      email: 'ada@contoso.test',
      name: 'Ada',
    });
    expect(identityFromClaims({ oid: 'o', tid: 't', preferred_username: 'Grace@Fabrikam.test' })?.email).toBe('grace@fabrikam.test');
  });

  test('is null without an object id, a tenant or an address', () => {
    expect(identityFromClaims({ tid: 't', email: 'a@b' })).toBeNull();
    expect(identityFromClaims({ oid: 'o', email: 'a@b' })).toBeNull();
    expect(identityFromClaims({ oid: 'o', tid: 't' })).toBeNull();
  });
});

describe('cookies', () => {
  test('serialize with the attributes a pending flow needs', () => {
    expect(serializeCookie('mb.x', 'v1.abc', { path: '/api/mail/callback', maxAgeSeconds: 600, secure: true })).toBe(
      'mb.x=v1.abc; Path=/api/mail/callback; Max-Age=600; HttpOnly; Secure; SameSite=Lax',
    );
    expect(() => serializeCookie('mb.x', 'a;b', { path: '/', maxAgeSeconds: 1, secure: false })).toThrow();
  });

  test('read one cookie from a request', () => {
    const request = new Request('http://app.test/', { headers: { cookie: 'a=1; mb.x=v1.abc=; b=2' } });
    expect(readCookie(request, 'mb.x')).toBe('v1.abc=');
    expect(readCookie(request, 'missing')).toBeUndefined();
  });
});

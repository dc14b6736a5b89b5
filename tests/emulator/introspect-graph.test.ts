// Introspection for Dovecot, the Graph /me and userinfo endpoints, access token expiry, and the
// secret ledger.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '@/emulator';
import { IMAP_SCOPE, introspect, refresh } from './helpers';

let em: MicrosoftEmulator;
const EMAIL = 'ada@contoso.com';
beforeAll(async () => {
  em = await startMicrosoftEmulator();
  em.addUser({ email: EMAIL, name: 'Ada Lovelace' });
});
afterAll(() => em.close());

const graph = async (path: string, token?: string) => {
  const res = await fetch(`${em.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
};

describe('introspection', () => {
  it('is active only for a live IMAP-audience token', async () => {
    const imap = em.issueAccessToken({ email: EMAIL, resource: 'imap' });
    const graphToken = em.issueAccessToken({ email: EMAIL, resource: 'graph' });
    expect(await introspect(em, imap)).toEqual({ active: true, username: EMAIL });
    expect(await introspect(em, graphToken)).toEqual({ active: false });
    expect(await introspect(em, 'unknown-token')).toEqual({ active: false });
    expect(await introspect(em, '')).toEqual({ active: false });
  });

  it('stops accepting expired tokens and tokens made to expire', async () => {
    const short = em.issueAccessToken({ email: EMAIL, resource: 'imap', ttlSeconds: 60 });
    em.advanceClock(61);
    expect(await introspect(em, short)).toEqual({ active: false });
    const live = em.issueAccessToken({ email: EMAIL, resource: 'imap' });
    expect((await introspect(em, live)).active).toBe(true);
    em.expireAccessTokens(EMAIL);
    expect(await introspect(em, live)).toEqual({ active: false });
  });

  it('counts introspections', async () => {
    const before = em.stats().introspect;
    await introspect(em, 'x');
    expect(em.stats().introspect).toBe(before + 1);
  });
});

describe('graph', () => {
  it('answers /v1.0/me and /oidc/userinfo for a Graph token', async () => {
    const token = em.issueAccessToken({ email: EMAIL, resource: 'graph' });
    const me = await graph('/v1.0/me', token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ userPrincipalName: EMAIL, mail: EMAIL, displayName: 'Ada Lovelace' });
    expect(me.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const userinfo = await graph('/oidc/userinfo', token);
    expect(userinfo.body).toMatchObject({ email: EMAIL, name: 'Ada Lovelace' });
  });

  it('refuses IMAP, expired, unknown and missing tokens with Graph\'s 401 shape', async () => {
    const cases: [string | undefined, string][] = [
      [em.issueAccessToken({ email: EMAIL, resource: 'imap' }), 'Invalid audience.'],
      [em.issueAccessToken({ email: EMAIL, resource: 'graph', ttlSeconds: -1 }), 'Lifetime validation failed, the token is expired.'],
      ['not-a-token', 'IDX14100: JWT is not well formed, there are no dots (.).'],
      [undefined, 'Access token is empty.'],
    ];
    for (const [token, message] of cases) {
      const res = await graph('/v1.0/me', token);
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 'InvalidAuthenticationToken', message });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
  });

  it('answers 404 in Graph\'s shape for what the drive surface does not handle', async () => {
    const res = await graph('/v1.0/nothing-here', em.issueAccessToken({ email: EMAIL, resource: 'graph' }));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toEqual(expect.any(String));
  });
});

describe('secret ledger', () => {
  it('records every issued token and the client secret', async () => {
    const ledger = process.env.SECRET_LEDGER;
    expect(ledger).toBeTruthy();
    const rt = em.issueRefreshToken({ email: EMAIL, scopes: [IMAP_SCOPE, 'offline_access'] });
    const { body } = await refresh(em, rt, `${IMAP_SCOPE} openid`);
    const recorded = new Set(readFileSync(ledger!, 'utf8').split('\n'));
    for (const secret of [rt, body.access_token, body.refresh_token, body.id_token, em.clientSecret]) {
      expect(recorded.has(secret as string)).toBe(true);
    }
  });
});

// Sign-in with Microsoft through the emulator, against the production build.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type TestApp } from '../support/app';

let app: TestApp;

beforeAll(async () => {
  app = await startApp({ dovecot: false });
});
afterAll(async () => {
  await app?.stop();
});

test('GET /api/health answers', async () => {
  const { status, body } = await app.client().getJson<{ status: string; db: string; cache: string }>('/api/health');
  expect(status).toBe(200);
  expect(body).toMatchObject({ status: 'ok', db: 'ok', cache: 'ok' });
});

test('GET /api/auth/providers lists the Microsoft provider', async () => {
  const { status, body } = await app.client().getJson<Record<string, { id: string; name: string; callbackUrl: string }>>('/api/auth/providers');
  expect(status).toBe(200);
  expect(body.microsoft).toMatchObject({ id: 'microsoft', name: 'Microsoft', callbackUrl: `${app.url}/api/auth/callback/microsoft` });
});

describe('signing in with Microsoft', () => {
  test('creates a session and stores the mailbox credential, with no tokens on the account link', async () => {
    const ada = await app.signIn('ada@contoso.test');
    const { body: session } = await ada.getJson<{ user: { email: string; id: string } }>('/api/auth/session');
    expect(session.user).toMatchObject({ email: 'ada@contoso.test', id: ada.userId });

    const credential = await app.db.mailCredential.findUniqueOrThrow({ where: { userId_email: { userId: ada.userId, email: 'ada@contoso.test' } } });
    expect(credential).toMatchObject({ authType: 'oauth2', status: 'active', tenantId: app.emulator.tenantId });
    expect(credential.refreshTokenSealed).toMatch(/^v1\./);
    expect(credential.grantedScopes).toContain('https://outlook.office.com/IMAP.AccessAsUser.All');
    const tokens = await app.db.accessToken.findMany({ where: { credentialId: credential.id } });
    expect(tokens.map((t) => t.resource)).toEqual(['imap']);

    const accounts = await app.db.account.findMany({ where: { userId: ada.userId } });
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ provider: 'microsoft', access_token: null, refresh_token: null, id_token: null, expires_at: null, scope: null });
  });

  test('signing in again updates the credential and clears needs_reauth', async () => {
    const first = await app.signIn('grace@contoso.test');
    const where = { userId_email: { userId: first.userId, email: 'grace@contoso.test' } };
    const before = await app.db.mailCredential.findUniqueOrThrow({ where });
    await app.db.mailCredential.update({ where, data: { status: 'needs_reauth', lastError: 'AADSTS50173' } });

    const again = await app.signIn('grace@contoso.test');
    expect(again.userId).toBe(first.userId);
    const after = await app.db.mailCredential.findUniqueOrThrow({ where });
    expect(after.id).toBe(before.id);
    expect(after.status).toBe('active');
    expect(after.lastError).toBeNull();
    expect(after.tokenVersion).toBeGreaterThan(before.tokenVersion);
    expect(await app.db.mailCredential.count({ where: { userId: first.userId } })).toBe(1);
  });

  test('a callback whose state does not match the state cookie signs nobody in', async () => {
    const client = app.client();
    const { body: csrf } = await client.getJson<{ csrfToken: string }>('/api/auth/csrf');
    const start = await client.fetch('/api/auth/signin/microsoft?login_hint=mallory%40contoso.test', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfToken: csrf.csrfToken, callbackUrl: `${app.url}/inbox` }),
    });
    app.emulator.addUser({ email: 'mallory@contoso.test' });
    const authorize = start.headers.get('location')!;
    const back = await client.get(authorize);
    const callback = new URL(back.headers.get('location')!);
    callback.searchParams.set('state', 'forged-state-value-0000000000000000');
    const response = await client.get(callback.toString());
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toContain('error=OAuthCallback');
    const { body: session } = await client.getJson<Record<string, unknown>>('/api/auth/session');
    expect(session).toEqual({});
    expect(await app.db.user.count({ where: { email: 'mallory@contoso.test' } })).toBe(0);
  });

  test('signing out ends the session', async () => {
    const linus = await app.signIn('linus@contoso.test');
    const { body: csrf } = await linus.getJson<{ csrfToken: string }>('/api/auth/csrf');
    const out = await linus.fetch('/api/auth/signout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfToken: csrf.csrfToken }),
    });
    expect(out.status).toBe(302);
    expect((await linus.getJson('/api/auth/session')).body).toEqual({});
    expect((await linus.get('/api/mail/connect')).status).toBe(401);
  });
});

test('after sign-in, /signin only ever redirects within the site', async () => {
  const grace = await app.signIn('grace@contoso.test');
  for (const target of ['//evil.example/phish', '/\\evil.example', 'https://evil.example/']) {
    const response = await grace.get(`/signin?callbackUrl=${encodeURIComponent(target)}`);
    expect(response.status).toBeGreaterThanOrEqual(300);
    expect(response.status).toBeLessThan(400);
    expect(new URL(response.headers.get('location')!, app.url).origin).toBe(new URL(app.url).origin);
  }
  const inside = await grace.get(`/signin?callbackUrl=${encodeURIComponent('/accounts')}`);
  expect(inside.headers.get('location')).toMatch(/\/accounts$/);
});

test('pages refuse to be framed and are not content-sniffed', async () => {
  const response = await app.client().get('/signin');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
});

test('no answer from the app ever carried a token, a code or a secret', () => {
  expect(app.secretsInResponses()).toEqual([]);
});

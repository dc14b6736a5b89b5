// GET /api/mail/connect and its callback: another Microsoft mailbox for the signed-in user, with
// state, PKCE and nonce, bound to the session and usable once.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import type { HttpClient } from '../support/http-client';

let app: TestApp;
let ada: SignedIn;
let bob: SignedIn;

beforeAll(async () => {
  app = await startApp({ dovecot: false });
  ada = await app.signIn('ada@contoso.test');
  bob = await app.signIn('bob@contoso.test');
});
afterAll(async () => {
  await app?.stop();
});

/** Starts a connect flow and lets the emulator answer; returns the callback URL (not yet called). */
async function authorize(client: HttpClient, query = '', as?: string): Promise<{ callbackUrl: string; authorizeUrl: URL }> {
  if (as) app.emulator.addUser({ email: as });
  app.emulator.setDefaultUser(as ?? null);
  const start = await client.get(`/api/mail/connect${query}`);
  expect(start.status).toBe(302);
  const authorizeUrl = new URL(start.headers.get('location')!);
  const back = await client.get(authorizeUrl.toString());
  expect(back.status).toBe(302);
  return { callbackUrl: back.headers.get('location')!, authorizeUrl };
}

async function credentialsOf(userId: string) {
  return app.db.mailCredential.findMany({ where: { userId }, orderBy: { email: 'asc' }, select: { id: true, email: true, tokenVersion: true, status: true, grantedScopes: true } });
}

describe('connecting another mailbox', () => {
  test('redirects to authorize with state, PKCE (S256) and nonce, keeping the flow in an httpOnly cookie', async () => {
    const start = await ada.get('/api/mail/connect');
    expect(start.status).toBe(302);
    const url = new URL(start.headers.get('location')!);
    expect(`${url.origin}${url.pathname}`).toBe(`${app.emulator.url}/common/oauth2/v2.0/authorize`);
    const p = url.searchParams;
    expect(p.get('client_id')).toBe(app.emulator.clientId);
    expect(p.get('redirect_uri')).toBe(`${app.url}/api/mail/callback`);
    expect(p.get('state')?.length).toBeGreaterThanOrEqual(32);
    expect(p.get('nonce')?.length).toBeGreaterThanOrEqual(32);
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('scope')?.split(' ')).toEqual(['openid', 'profile', 'email', 'offline_access', 'https://outlook.office.com/IMAP.AccessAsUser.All']);
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith('mb.mail-connect='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Path=\/api\/mail\/callback/);
    expect(cookie).toMatch(/SameSite=Lax/);
    // Neither the verifier nor the nonce is readable in the cookie.
    expect(cookie).not.toContain(p.get('nonce')!);
  });

  test('the callback stores the new mailbox for this user and lands on its inbox', async () => {
    const { callbackUrl } = await authorize(ada, '', 'ada.work@fabrikam.test');
    const done = await ada.get(callbackUrl);
    expect(done.status).toBe(302);
    const landing = new URL(done.headers.get('location')!);
    expect(landing.pathname).toBe('/inbox');
    const credentials = await credentialsOf(ada.userId);
    const work = credentials.find((c) => c.email === 'ada.work@fabrikam.test');
    expect(work).toBeDefined();
    expect(landing.searchParams.get('account')).toBe(work!.id);
    expect(work!.status).toBe('active');
    expect(done.headers.getSetCookie().some((c) => c.startsWith('mb.mail-connect=;') && /Max-Age=0/.test(c))).toBe(true);
  });

  test('files=1 asks for OneDrive consent too and records it on the credential', async () => {
    const { callbackUrl, authorizeUrl } = await authorize(ada, '?files=1', 'ada@contoso.test');
    expect(authorizeUrl.searchParams.get('scope')).toContain('https://graph.microsoft.com/Files.Read.All');
    expect((await ada.get(callbackUrl)).status).toBe(302);
    const main = (await credentialsOf(ada.userId)).find((c) => c.email === 'ada@contoso.test')!;
    expect(main.grantedScopes?.split(' ')).toContain('https://graph.microsoft.com/Files.Read.All');
    expect(main.grantedScopes?.split(' ')).toContain('https://outlook.office.com/IMAP.AccessAsUser.All');
  });

  test('reconnecting a known mailbox sends its address as the login hint', async () => {
    const main = (await credentialsOf(ada.userId)).find((c) => c.email === 'ada@contoso.test')!;
    const start = await ada.get(`/api/mail/connect?account=${main.id}`);
    const url = new URL(start.headers.get('location')!);
    expect(url.searchParams.get('login_hint')).toBe('ada@contoso.test');
    expect(url.searchParams.get('prompt')).toBeNull();
    // Another user's mailbox is not found, not revealed.
    expect((await bob.getJson(`/api/mail/connect?account=${main.id}`)).status).toBe(404);
  });

  test('a replayed callback is rejected and changes nothing', async () => {
    const { callbackUrl } = await authorize(ada, '', 'ada@contoso.test');
    const replayer = ada.clone(); // still holds the pending-flow cookie after the first use
    expect((await ada.get(callbackUrl)).status).toBe(302);
    const before = await credentialsOf(ada.userId);
    const replay = await replayer.getJson<{ error: { code: string } }>(callbackUrl);
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe('invalid_request');
    expect(await credentialsOf(ada.userId)).toEqual(before);
  });

  test('a forged state is rejected', async () => {
    const { callbackUrl } = await authorize(ada, '', 'ada@contoso.test');
    const forged = new URL(callbackUrl);
    forged.searchParams.set('state', 'x'.repeat(43));
    const before = await credentialsOf(ada.userId);
    const response = await ada.getJson<{ error: { code: string } }>(forged.toString());
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(await credentialsOf(ada.userId)).toEqual(before);
  });

  test("another session's callback is rejected, even with its cookie, and leaves that flow usable", async () => {
    const { callbackUrl } = await authorize(bob, '', 'bob.side@contoso.test');
    const adaBefore = await credentialsOf(ada.userId);
    // Ada's browser opens Bob's callback link.
    expect((await ada.getJson(callbackUrl)).status).toBe(400);
    // Even with Bob's pending-flow cookie planted in Ada's browser.
    const stolen = ada.clone();
    stolen.setCookie('mb.mail-connect', bob.cookie('mb.mail-connect')!, { path: '/api/mail/callback' });
    expect((await stolen.getJson(callbackUrl)).status).toBe(400);
    expect(await credentialsOf(ada.userId)).toEqual(adaBefore);
    // Bob can still finish his own flow.
    expect((await bob.get(callbackUrl)).status).toBe(302);
    expect((await credentialsOf(bob.userId)).map((c) => c.email)).toContain('bob.side@contoso.test');
  });

  test('a declined consent goes back to the mailboxes page and stores nothing', async () => {
    const start = await ada.get('/api/mail/connect');
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const before = await credentialsOf(ada.userId);
    const response = await ada.get(`/api/mail/callback?error=access_denied&error_description=declined&state=${encodeURIComponent(state)}`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${app.url}/accounts?connect=declined`);
    expect(await credentialsOf(ada.userId)).toEqual(before);
  });

  test('without a session both routes answer 401', async () => {
    const anonymous = app.client();
    for (const path of ['/api/mail/connect', '/api/mail/callback?code=x&state=y']) {
      const { status, body } = await anonymous.getJson<{ error: { code: string } }>(path);
      expect(status).toBe(401);
      expect(body.error.code).toBe('unauthenticated');
    }
  });
});

test('no answer from the app ever carried a token, a code or a secret', () => {
  expect(app.secretsInResponses()).toEqual([]);
});

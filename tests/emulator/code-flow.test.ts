// The authorization code flow with PKCE over HTTP, and authorize's validation and user choice.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '@/emulator';
import { authorize, authorizeUrl, introspect, MAIL_SCOPES, pkcePair, REDIRECT_URI, tokenRequest } from './helpers';

let em: MicrosoftEmulator;
beforeAll(async () => {
  em = await startMicrosoftEmulator();
  em.addUser({ email: 'ada@contoso.com' });
  em.addUser({ email: 'bob@contoso.com' });
});
afterAll(() => em.close());
beforeEach(() => em.setDefaultUser('ada@contoso.com'));

const redeem = (code: string, verifier?: string, extra: Record<string, string> = {}) =>
  tokenRequest(em, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...(verifier ? { code_verifier: verifier } : {}), ...extra });

describe('authorize', () => {
  it('redirects back with a code and the state, signing in the login_hint user', async () => {
    const { verifier, challenge } = pkcePair();
    const { status, query } = await authorize(em, { challenge, state: 'abc/def=', loginHint: 'bob@contoso.com' });
    expect(status).toBe(302);
    expect(query.get('state')).toBe('abc/def=');
    const { status: tokenStatus, body } = await redeem(query.get('code')!, verifier);
    expect(tokenStatus).toBe(200);
    expect(await introspect(em, body.access_token as string)).toEqual({ active: true, username: 'bob@contoso.com' });
  });

  it('returns a full token response: access, refresh (offline_access) and id (openid) tokens', async () => {
    const { verifier, challenge } = pkcePair();
    const { query } = await authorize(em, { challenge });
    const { body } = await redeem(query.get('code')!, verifier);
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'https://outlook.office.com/IMAP.AccessAsUser.All', expires_in: 3600, ext_expires_in: 3600 });
    expect(body.access_token).toEqual(expect.any(String));
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(body.id_token).toEqual(expect.any(String));
  });

  it('omits the refresh token without offline_access and the id token without openid', async () => {
    const { query } = await authorize(em, { scope: 'https://outlook.office.com/IMAP.AccessAsUser.All' });
    const { body } = await redeem(query.get('code')!);
    expect(body.access_token).toBeTruthy();
    expect(body).not.toHaveProperty('refresh_token');
    expect(body).not.toHaveProperty('id_token');
  });

  it('shows an account chooser when several users exist and none is default', async () => {
    em.setDefaultUser(null);
    const res = await fetch(authorizeUrl(em, { challenge: pkcePair().challenge }), { redirect: 'manual' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('name="login_hint" value="ada@contoso.com"');
    expect(html).toContain('name="login_hint" value="bob@contoso.com"');
    // The chooser's form resubmits the same request with login_hint: emulate the click.
    const action = new URL(/action="([^"]+)"/.exec(html)![1]!, em.url);
    for (const [, name, value] of html.matchAll(/type="hidden" name="([^"]+)" value="([^"]*)"/g)) action.searchParams.set(name!, value!.replace(/&amp;/g, '&'));
    action.searchParams.set('login_hint', 'bob@contoso.com');
    const clicked = await fetch(action, { redirect: 'manual' });
    expect(clicked.status).toBe(302);
    expect(new URL(clicked.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it('answers response_mode=form_post with an auto-submitting form', async () => {
    const res = await fetch(authorizeUrl(em, { extra: { response_mode: 'form_post' } }), { redirect: 'manual' });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain(`action="${REDIRECT_URI}"`);
    expect(html).toMatch(/name="code" value="[^"]{16,}"/);
    expect(html).toContain('name="state" value="st-1"');
  });

  it('shows an error page, without redirecting, for an unknown client', async () => {
    const url = new URL(authorizeUrl(em));
    url.searchParams.set('client_id', '11111111-2222-3333-4444-555555555555');
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('AADSTS700016');
  });

  it('refuses a redirect URI that is not registered', async () => {
    em.setRedirectUris([REDIRECT_URI]);
    try {
      const { status, html } = await authorize(em, { redirectUri: 'http://127.0.0.1:1/evil' });
      expect(status).toBe(400);
      expect(html).toContain('AADSTS50011');
    } finally {
      em.setRedirectUris(null);
    }
  });

  it('redirects Microsoft-style errors for a bad response_type, a missing scope and a short PKCE challenge', async () => {
    const bad = await authorize(em, { extra: { response_type: 'token' } });
    expect(bad.query.get('error')).toBe('unsupported_response_type');
    expect(bad.query.get('error_description')).toMatch(/^AADSTS70005: /);
    expect(bad.query.get('state')).toBe('st-1');
    const noScope = await authorize(em, { extra: { scope: '' } });
    expect(noScope.query.get('error')).toBe('invalid_request');
    const shortChallenge = await authorize(em, { challenge: 'short' });
    expect(shortChallenge.query.get('error_description')).toMatch(/^AADSTS501491: /);
  });

  it('refuses a user from another tenant on a tenant-specific endpoint', async () => {
    const other = '5e0c2a9b-0000-4000-8000-0000000000bb';
    em.addUser({ email: 'eve@fabrikam.com', tenantId: other });
    const { status, html } = await authorize(em, { tenant: other, loginHint: 'ada@contoso.com' });
    expect(status).toBe(400);
    expect(html).toContain('AADSTS50020');
  });
});

describe('code redemption', () => {
  it('rejects a wrong PKCE verifier and a missing one', async () => {
    const { challenge } = pkcePair();
    const { query } = await authorize(em, { challenge });
    const code = query.get('code')!;
    const wrong = await redeem(code, pkcePair().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: 'invalid_grant', error_codes: [501481] });
    const missing = await redeem(code);
    expect(missing.body).toMatchObject({ error: 'invalid_grant', error_codes: [501481] });
  });

  it('redeems a code once only (AADSTS54005)', async () => {
    const { verifier, challenge } = pkcePair();
    const { query } = await authorize(em, { challenge });
    expect((await redeem(query.get('code')!, verifier)).status).toBe(200);
    const again = await redeem(query.get('code')!, verifier);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'invalid_grant', error_codes: [54005] });
  });

  it('requires the same redirect URI (AADSTS500112)', async () => {
    const { query } = await authorize(em);
    const res = await redeem(query.get('code')!, undefined, { redirect_uri: 'http://127.0.0.1:3999/other' });
    expect(res.body).toMatchObject({ error: 'invalid_grant', error_codes: [500112] });
  });

  it('expires codes after ten minutes (AADSTS70008)', async () => {
    const { query } = await authorize(em);
    em.advanceClock(11 * 60);
    const res = await redeem(query.get('code')!);
    expect(res.body).toMatchObject({ error: 'invalid_grant', error_codes: [70008] });
  });

  it('rejects an unknown code as malformed (AADSTS9002313)', async () => {
    const res = await redeem('not-a-code');
    expect(res.body).toMatchObject({ error: 'invalid_grant', error_codes: [9002313] });
  });

  it('redeems for the first resource authorized when several were consented at once', async () => {
    const { query } = await authorize(em, { scope: `${MAIL_SCOPES} https://graph.microsoft.com/Files.Read.All` });
    const { status, body } = await redeem(query.get('code')!);
    expect(status).toBe(200);
    expect(body.scope).toBe('https://outlook.office.com/IMAP.AccessAsUser.All');
  });
});

describe('client authentication', () => {
  it('answers a wrong secret with 401 invalid_client AADSTS7000215', async () => {
    const { status, body } = await tokenRequest(em, { grant_type: 'refresh_token', refresh_token: 'x', client_secret: 'wrong' });
    expect(status).toBe(401);
    expect(body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
  });

  it('accepts client_secret_basic', async () => {
    const { query } = await authorize(em);
    const res = await fetch(em.tokenUrl(), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(em.clientId)}:${encodeURIComponent(em.clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: query.get('code')!, redirect_uri: REDIRECT_URI }),
    });
    expect(res.status).toBe(200);
  });

  it('rejects a missing secret, an unknown client and an unsupported grant', async () => {
    expect((await tokenRequest(em, { grant_type: 'refresh_token', client_secret: '' })).body).toMatchObject({ error: 'invalid_client', error_codes: [7000218] });
    expect((await tokenRequest(em, { grant_type: 'refresh_token', client_id: 'nope' })).body).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    expect((await tokenRequest(em, { grant_type: 'password' })).body).toMatchObject({ error: 'unsupported_grant_type', error_codes: [70003] });
  });

  it('only accepts POST', async () => {
    const res = await fetch(em.tokenUrl());
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request', error_codes: [900561] });
  });
});

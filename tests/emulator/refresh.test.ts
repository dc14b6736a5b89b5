// The refresh_token grant: rotation, strict reuse detection, revocation, one audience per request,
// and consent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '@/emulator';
import { GRAPH_FILES_SCOPE, IMAP_SCOPE, introspect, refresh, signIn } from './helpers';

let em: MicrosoftEmulator;
const EMAIL = 'ada@contoso.com';
beforeAll(async () => {
  em = await startMicrosoftEmulator();
  em.addUser({ email: EMAIL });
});
afterAll(() => em.close());

const seed = (scopes = [IMAP_SCOPE, 'offline_access', 'openid', 'profile', 'email', GRAPH_FILES_SCOPE]) => em.issueRefreshToken({ email: EMAIL, scopes });
const graphMe = async (token: string) => {
  const res = await fetch(`${em.graphUrl}/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

describe('rotation', () => {
  it('issues a new refresh token every time, and the old one keeps working by default', async () => {
    const rt0 = seed();
    const first = await refresh(em, rt0, IMAP_SCOPE);
    expect(first.status).toBe(200);
    const rt1 = first.body.refresh_token as string;
    expect(rt1).toBeTruthy();
    expect(rt1).not.toBe(rt0);
    const second = await refresh(em, rt1, IMAP_SCOPE);
    expect(second.body.refresh_token).not.toBe(rt1);
    expect((await refresh(em, rt0, IMAP_SCOPE)).status).toBe(200);
  });

  it('rejects reuse of a used refresh token in strict mode', async () => {
    em.setStrictRotation(true);
    try {
      const rt0 = seed();
      const first = await refresh(em, rt0, IMAP_SCOPE);
      expect(first.status).toBe(200);
      const reuse = await refresh(em, rt0, IMAP_SCOPE);
      expect(reuse.status).toBe(400);
      expect(reuse.body).toMatchObject({ error: 'invalid_grant', error_codes: [70000] });
      expect((await refresh(em, first.body.refresh_token as string, IMAP_SCOPE)).status).toBe(200);
    } finally {
      em.setStrictRotation(false);
    }
  });

  it('returns an id token on refresh only when openid is asked for', async () => {
    const rt = seed();
    expect((await refresh(em, rt, IMAP_SCOPE)).body).not.toHaveProperty('id_token');
    expect((await refresh(em, rt, `${IMAP_SCOPE} openid profile`)).body.id_token).toEqual(expect.any(String));
  });

  it('expires a refresh token unused for 90 days (AADSTS700082)', async () => {
    const rt = seed();
    em.advanceClock(91 * 24 * 3600);
    const res = await refresh(em, rt, IMAP_SCOPE);
    expect(res.body).toMatchObject({ error: 'invalid_grant', error_codes: [700082] });
  });

  it('follows the access token TTL setting', async () => {
    em.setAccessTokenTtl(120);
    try {
      const res = await refresh(em, seed(), IMAP_SCOPE);
      expect(res.body).toMatchObject({ expires_in: 120, ext_expires_in: 120 });
    } finally {
      em.setAccessTokenTtl(3600);
    }
  });
});

describe('revocation', () => {
  it('fails later refreshes with invalid_grant AADSTS50173 by default, in Microsoft\'s error shape', async () => {
    const user = em.addUser({ email: 'rev@contoso.com' });
    const rt = em.issueRefreshToken({ email: user.email, scopes: [IMAP_SCOPE, 'offline_access'] });
    em.revokeGrants(user.email);
    const { status, body, headers } = await refresh(em, rt, IMAP_SCOPE);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_grant', error_codes: [50173] });
    expect(body.error_description).toMatch(/^AADSTS50173: The provided grant has expired due to it being revoked.*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/s);
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.correlation_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.error_uri).toBe(`${em.url}/error?code=50173`);
    expect(headers.get('cache-control')).toContain('no-store');
  });

  it('uses the given AADSTS code, and a new sign-in after revocation works', async () => {
    const user = em.addUser({ email: 'idle@contoso.com' });
    const rt = em.issueRefreshToken({ email: user.email, scopes: [IMAP_SCOPE, 'offline_access'] });
    em.revokeGrants(user.email, { aadsts: 70008 });
    expect((await refresh(em, rt, IMAP_SCOPE)).body).toMatchObject({ error: 'invalid_grant', error_codes: [70008] });
    const fresh = em.issueRefreshToken({ email: user.email, scopes: [IMAP_SCOPE, 'offline_access'] });
    expect((await refresh(em, fresh, IMAP_SCOPE)).status).toBe(200);
  });

  it('maps interaction codes to interaction_required', async () => {
    const user = em.addUser({ email: 'mfa@contoso.com' });
    const rt = em.issueRefreshToken({ email: user.email, scopes: [IMAP_SCOPE, 'offline_access'] });
    em.revokeGrants(user.email, { aadsts: 50076 });
    expect((await refresh(em, rt, IMAP_SCOPE)).body).toMatchObject({ error: 'interaction_required', error_codes: [50076] });
  });

  it('rejects an unknown refresh token as malformed', async () => {
    expect((await refresh(em, 'garbage', IMAP_SCOPE)).body).toMatchObject({ error: 'invalid_grant', error_codes: [9002313] });
  });
});

describe('audience', () => {
  it('mints an IMAP token for the Outlook scope and a Graph token for the Graph scope', async () => {
    const rt = seed();
    const imap = await refresh(em, rt, IMAP_SCOPE);
    expect(imap.body.scope).toBe(IMAP_SCOPE);
    expect(await introspect(em, imap.body.access_token as string)).toEqual({ active: true, username: EMAIL });
    expect((await graphMe(imap.body.access_token as string)).status).toBe(401);

    const graph = await refresh(em, imap.body.refresh_token as string, GRAPH_FILES_SCOPE);
    expect(graph.status).toBe(200);
    expect(graph.body.scope).toBe('Files.Read.All');
    expect(await introspect(em, graph.body.access_token as string)).toEqual({ active: false });
    const me = await graphMe(graph.body.access_token as string);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ userPrincipalName: EMAIL, mail: EMAIL });
  });

  it('refuses scopes of two resources in one request (AADSTS28000)', async () => {
    const res = await refresh(em, seed(), `${IMAP_SCOPE} ${GRAPH_FILES_SCOPE} offline_access`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', error_codes: [28000] });
    expect(res.body.error_description).toContain('contains more than one resource');
  });

  it('refuses an unknown resource (AADSTS500011)', async () => {
    const res = await refresh(em, seed(), 'api://unknown-app/Do.Things');
    expect(res.body).toMatchObject({ error: 'invalid_resource', error_codes: [500011] });
  });

  it('answers consent_required (AADSTS65001) for a scope the user never consented to', async () => {
    const user = em.addUser({ email: 'mailonly@contoso.com' });
    const rt = em.issueRefreshToken({ email: user.email, scopes: [IMAP_SCOPE, 'offline_access'] });
    const res = await refresh(em, rt, GRAPH_FILES_SCOPE);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_grant', suberror: 'consent_required', error_codes: [65001] });
  });

  it('grows consent incrementally: after consenting to Files.Read.All, the older refresh token can mint Graph tokens', async () => {
    const user = em.addUser({ email: 'grow@contoso.com' });
    const rt = em.issueRefreshToken({ email: user.email, scopes: [IMAP_SCOPE, 'offline_access'] });
    expect((await refresh(em, rt, GRAPH_FILES_SCOPE)).body.suberror).toBe('consent_required');
    em.issueRefreshToken({ email: user.email, scopes: [GRAPH_FILES_SCOPE, 'offline_access'] });
    expect((await refresh(em, rt, GRAPH_FILES_SCOPE)).status).toBe(200);
  });

  it('admin consent for the tenant lets a user who never consented mint Graph tokens; other tenants are unaffected', async () => {
    const user = em.addUser({ email: 'tenant-wide@contoso.com' });
    const outsider = em.addUser({ email: 'outsider@fabrikam.com', tenantId: '6f1c2a7e-0000-4000-8000-000000000001' });
    const rt = em.issueRefreshToken({ email: user.email, scopes: [IMAP_SCOPE, 'offline_access'] });
    const outsiderRt = em.issueRefreshToken({ email: outsider.email, scopes: [IMAP_SCOPE, 'offline_access'] });
    expect((await refresh(em, rt, GRAPH_FILES_SCOPE)).body.suberror).toBe('consent_required');
    em.grantTenantConsent({ scopes: [GRAPH_FILES_SCOPE] });
    const graph = await refresh(em, rt, GRAPH_FILES_SCOPE);
    expect(graph.status).toBe(200);
    expect(graph.body.scope).toContain('Files.Read.All');
    expect((await graphMe(graph.body.access_token as string)).status).toBe(200);
    expect((await refresh(em, outsiderRt, GRAPH_FILES_SCOPE)).body.suberror).toBe('consent_required');
  });

  it('honours /.default for consented resources', async () => {
    const res = await refresh(em, seed(), 'https://graph.microsoft.com/.default');
    expect(res.status).toBe(200);
    expect(res.body.scope).toContain('Files.Read.All');
  });
});

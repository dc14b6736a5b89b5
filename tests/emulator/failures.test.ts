// Failure injection on the token endpoint, latency, counters and the request log.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '@/emulator';
import { GRAPH_FILES_SCOPE, IMAP_SCOPE, refresh, signIn } from './helpers';

let em: MicrosoftEmulator;
const EMAIL = 'ada@contoso.com';
beforeAll(async () => {
  em = await startMicrosoftEmulator();
  em.addUser({ email: EMAIL });
});
afterAll(() => em.close());
beforeEach(() => {
  em.clearTokenFailures();
  em.resetStats();
});

const seed = () => em.issueRefreshToken({ email: EMAIL, scopes: [IMAP_SCOPE, GRAPH_FILES_SCOPE, 'offline_access'] });

describe('failTokenRequests', () => {
  it('fails the next request with the given status, error, codes, suberror and Retry-After, then recovers', async () => {
    const rt = seed();
    em.failTokenRequests({ status: 503, error: 'temporarily_unavailable', aadsts: [90033], retryAfterSeconds: 7 });
    const failed = await refresh(em, rt, IMAP_SCOPE);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('7');
    expect(failed.body).toMatchObject({ error: 'temporarily_unavailable', error_codes: [90033] });
    expect(failed.body.error_description).toMatch(/^AADSTS90033: .*\r\nTrace ID: /s);
    expect((await refresh(em, rt, IMAP_SCOPE)).status).toBe(200);
  });

  it('fails `times` requests, and fills in Microsoft\'s defaults', async () => {
    const rt = seed();
    em.failTokenRequests({ times: 2, status: 400, error: 'interaction_required', aadsts: [50079], suberror: 'basic_action' });
    for (let i = 0; i < 2; i++) {
      const res = await refresh(em, rt, IMAP_SCOPE);
      expect(res.body).toMatchObject({ error: 'interaction_required', error_codes: [50079], suberror: 'basic_action' });
    }
    expect((await refresh(em, rt, IMAP_SCOPE)).status).toBe(200);
    em.failTokenRequests({ status: 429 });
    const throttled = await refresh(em, rt, IMAP_SCOPE);
    expect(throttled.status).toBe(429);
    expect(throttled.body.error).toBe('temporarily_unavailable');
  });

  it('drops the connection without an answer', async () => {
    em.failTokenRequests({ status: 0, dropConnection: true });
    await expect(refresh(em, seed(), IMAP_SCOPE)).rejects.toThrow();
    expect(em.tokenRequestLog.at(-1)).toMatchObject({ status: 0, injected: true });
  });

  it('hangs before answering; close() does not wait for a hang', async () => {
    em.failTokenRequests({ status: 200, hangMs: 150 });
    const started = Date.now();
    expect((await refresh(em, seed(), IMAP_SCOPE)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    const other = await startMicrosoftEmulator();
    other.addUser({ email: EMAIL });
    other.failTokenRequests({ status: 503, hangMs: 60_000 });
    const pending = refresh(other, other.issueRefreshToken({ email: EMAIL, scopes: [IMAP_SCOPE, 'offline_access'] }), IMAP_SCOPE).catch(() => 'closed');
    await new Promise((r) => setTimeout(r, 50));
    const closing = Date.now();
    await other.close();
    await pending;
    expect(Date.now() - closing).toBeLessThan(2000);
  });

  it('can target one resource only', async () => {
    const rt = seed();
    em.failTokenRequests({ status: 500, resource: 'graph' });
    expect((await refresh(em, rt, IMAP_SCOPE)).status).toBe(200);
    expect((await refresh(em, rt, GRAPH_FILES_SCOPE)).status).toBe(500);
  });

  it('can target the users of one tenant only', async () => {
    // Its own emulator: a second user would turn the shared one's sign-in into an account chooser.
    const two = await startMicrosoftEmulator();
    try {
      const fabrikam = '3f1c2a9e-5b7d-4e61-9a0c-8d2e4b6f1a37';
      two.addUser({ email: EMAIL });
      two.addUser({ email: 'bo@fabrikam.example', tenantId: fabrikam });
      const ada = two.issueRefreshToken({ email: EMAIL, scopes: [IMAP_SCOPE, 'offline_access'] });
      const bo = two.issueRefreshToken({ email: 'bo@fabrikam.example', scopes: [IMAP_SCOPE, 'offline_access'] });
      two.failTokenRequests({ times: 2, status: 400, error: 'unauthorized_client', tenantId: fabrikam.toUpperCase() });
      // Ada's tenant is not the one: her refresh goes through and leaves the rule queued.
      expect((await refresh(two, ada, IMAP_SCOPE)).status).toBe(200);
      const refused = await refresh(two, bo, IMAP_SCOPE);
      expect(refused).toMatchObject({ status: 400, body: { error: 'unauthorized_client', error_codes: [700016] } });
      expect((await refresh(two, bo, IMAP_SCOPE)).status).toBe(400);
      expect((await refresh(two, bo, IMAP_SCOPE)).status).toBe(200);
    } finally {
      await two.close();
    }
  });
});

describe('latency', () => {
  it('delays token requests', async () => {
    em.setLatency(120);
    try {
      const started = Date.now();
      await refresh(em, seed(), IMAP_SCOPE);
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    } finally {
      em.setLatency(0);
    }
  });
});

describe('stats and request log', () => {
  it('counts token requests by grant type and resource, and logs them without secrets', async () => {
    const signedIn = await signIn(em);
    const rt = signedIn.body.refresh_token as string;
    await refresh(em, rt, IMAP_SCOPE);
    await refresh(em, rt, GRAPH_FILES_SCOPE);
    const stats = em.stats();
    expect(stats.token).toMatchObject({ total: 3, authorization_code: 1, refresh_token: 2, byResource: { imap: 2, graph: 1 } });
    expect(stats.authorize).toBe(1);
    expect(em.tokenRequestLog.map((e) => [e.grantType, e.resource, e.status])).toEqual([
      ['authorization_code', 'imap', 200],
      ['refresh_token', 'imap', 200],
      ['refresh_token', 'graph', 200],
    ]);
    const logText = JSON.stringify(em.tokenRequestLog);
    expect(logText).not.toContain(rt);
    em.resetStats();
    expect(em.stats().token.total).toBe(0);
    expect(em.tokenRequestLog).toHaveLength(0);
  });
});

// The production build holds several copies of each module (one per route entry and layer). The
// services kept on globalThis are built by whichever copy runs first — on a real server, the page a
// person opens. These tests open pages first, as people do, then provoke through the API every
// error the shared services raise, on two instances behind one public URL. Before errors were
// branded, each of these answered 500 once a page had been rendered.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import type { HttpClient } from '../support/http-client';
import { buildEml } from '../support/mail-fixtures';

interface Account { id: string; email: string; status: string }
interface ErrorBody { error: { code: string; message: string } }

const USERS = ['ada@contoso.test', 'carol@contoso.test', 'dora@contoso.test', 'erin@contoso.test'];

let app: TestApp;

beforeAll(async () => {
  app = await startApp({ users: USERS, instances: 2 });
  for (const user of USERS) await app.dovecot!.save(user, buildEml({ to: user, subject: `Hello ${user}`, text: 'Hi' }));
});
afterAll(async () => {
  await app?.stop();
});

/** Signs in on the first instance; `clients[i]` is the same browser on instance i. */
async function person(email: string): Promise<{ clients: HttpClient[]; signedIn: SignedIn; accountId: string }> {
  const signedIn = await app.signIn(email);
  const clients = app.urls.map((url) => (url === signedIn.baseUrl ? signedIn : signedIn.at(url)));
  const accountId = (await signedIn.getJson<Account[]>('/api/mail/accounts')).body[0]!.id;
  return { clients, signedIn, accountId };
}

/** Renders the pages a person opens first, on every instance; each must render without a failure. */
async function openPages(clients: HttpClient[], accountId: string): Promise<void> {
  for (const client of clients) {
    for (const path of ['/inbox', `/inbox?account=${accountId}&mailbox=INBOX`, '/accounts', '/knowledge']) {
      const response = await client.get(path, { headers: { accept: 'text/html' } });
      const html = await response.text();
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(html).not.toContain('Something went wrong');
    }
  }
}

describe('after a page was opened, API errors keep their codes', () => {
  test('a bad or unknown mailbox is 400 or 404 on every instance, never 500', async () => {
    const ada = await person(USERS[0]!);
    await openPages(ada.clients, ada.accountId);
    for (const client of ada.clients) {
      const base = `/api/mail/accounts/${ada.accountId}`;
      const missing = await client.getJson<ErrorBody>(`${base}/messages?mailbox=${encodeURIComponent('../../etc')}`);
      expect({ status: missing.status, code: missing.body.error.code }).toEqual({ status: 404, code: 'not_found' });
      const missingMessage = await client.getJson<ErrorBody>(`${base}/messages/1?mailbox=${encodeURIComponent('No such folder')}`);
      expect({ status: missingMessage.status, code: missingMessage.body.error.code }).toEqual({ status: 404, code: 'not_found' });
      const injected = await client.getJson<ErrorBody>(`${base}/messages?mailbox=${encodeURIComponent('INBOX\r\nA1 LOGOUT')}`);
      expect({ status: injected.status, code: injected.body.error.code }).toEqual({ status: 400, code: 'invalid_request' });
      const unknownUid = await client.getJson<ErrorBody>(`${base}/messages/999999?mailbox=INBOX`);
      expect({ status: unknownUid.status, code: unknownUid.body.error.code }).toEqual({ status: 404, code: 'not_found' });
      const foreign = await client.getJson<ErrorBody>('/api/mail/accounts/not-an-account-of-ada/mailboxes');
      expect(foreign.status).toBe(404);
    }
  });

  test('a grant revoked at Microsoft, discovered when IMAP rejects the token, is 409 needs_reauth', async () => {
    const carol = await person(USERS[1]!);
    await openPages(carol.clients, carol.accountId);
    app.emulator.revokeGrants(USERS[1]!);
    app.emulator.expireAccessTokens(USERS[1]!);
    await app.dovecot!.kick(USERS[1]!);
    // On the second instance: its IMAP session is opened now, the login is rejected, the one
    // refresh finds the grant gone.
    const [, second] = carol.clients as [HttpClient, HttpClient];
    const revoked = await second.getJson<ErrorBody>(`/api/mail/accounts/${carol.accountId}/messages`);
    expect({ status: revoked.status, code: revoked.body.error.code }).toEqual({ status: 409, code: 'needs_reauth' });
    for (const client of carol.clients) {
      const again = await client.getJson<ErrorBody>(`/api/mail/accounts/${carol.accountId}/mailboxes`);
      expect({ status: again.status, code: again.body.error.code }).toEqual({ status: 409, code: 'needs_reauth' });
      // The page offers reconnecting instead of failing.
      const html = await (await client.get(`/inbox?account=${carol.accountId}`)).text();
      expect(html).toContain('needs to be reconnected');
      expect(html).not.toContain('Something went wrong');
    }
    expect((await carol.signedIn.getJson<Account[]>('/api/mail/accounts')).body[0]).toMatchObject({ status: 'needs_reauth' });
  });

  test('Microsoft failing while a token must be refreshed is 503 upstream_unavailable with Retry-After', async () => {
    const dora = await person(USERS[2]!);
    await openPages(dora.clients, dora.accountId);
    app.emulator.expireAccessTokens(USERS[2]!);
    await app.dovecot!.kick(USERS[2]!);
    app.emulator.failTokenRequests({ times: 20, status: 503, retryAfterSeconds: 30, grantType: 'refresh_token' });
    try {
      const [first] = dora.clients as [HttpClient, HttpClient];
      const failing = await first.getJson<ErrorBody>(`/api/mail/accounts/${dora.accountId}/messages`);
      expect({ status: failing.status, code: failing.body.error.code }).toEqual({ status: 503, code: 'upstream_unavailable' });
      expect(Number(failing.response.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      app.emulator.clearTokenFailures();
    }
    // A transient failure never marks the mailbox.
    expect((await dora.signedIn.getJson<Account[]>('/api/mail/accounts')).body[0]).toMatchObject({ status: 'active' });
  });

  test('the cron run after pages were opened counts a revoked grant as needsReauth', async () => {
    const erin = await person(USERS[3]!);
    await openPages(erin.clients, erin.accountId);
    // Idle for 40 days: the cron exercises its refresh token, which Microsoft no longer accepts.
    const longAgo = new Date(Date.now() - 40 * 24 * 3600_000);
    await app.db.mailCredential.update({ where: { id: erin.accountId }, data: { lastRefreshAt: longAgo, refreshTokenIssuedAt: longAgo } });
    app.emulator.revokeGrants(USERS[3]!);
    for (const url of app.urls) {
      // Each instance renders a page before its cron run.
      expect((await erin.clients[app.urls.indexOf(url)]!.get('/accounts')).status).toBe(200);
    }
    const [first, second] = await Promise.all(
      app.urls.map(async (url) => {
        const response = await fetch(`${url}/api/cron/refresh`, { method: 'POST', headers: { authorization: `Bearer ${app.cronSecret}` } });
        expect(response.status).toBe(200);
        return (await response.json()) as { needsReauth: number; failed: number };
      }),
    );
    // Concurrent runs never do the same work twice: exactly one of them met the revoked grant.
    expect(first!.needsReauth + second!.needsReauth).toBe(1);
    expect((await erin.signedIn.getJson<Account[]>('/api/mail/accounts')).body[0]).toMatchObject({ status: 'needs_reauth' });
    // Ada, Carol and Dora were not idle and are not counted as failed.
    expect(first!.failed + second!.failed).toBe(0);
  });
});

test('no answer from the app ever carried a token, a code or a secret', () => {
  expect(app.secretsInResponses()).toEqual([]);
});

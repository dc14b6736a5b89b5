// A platform stopping an instance (SIGTERM) while it refreshes a token: the instance exits within
// its bound, hands back the refresh lease it held (another instance need not wait the lease out),
// and the mailbox keeps working from the stored refresh token.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import { buildEml } from '../support/mail-fixtures';
import { waitFor } from '../support/net';

const ADA = 'ada@contoso.test';
let app: TestApp;
let ada: SignedIn;
let accountId: string;

beforeAll(async () => {
  app = await startApp({ users: [ADA], instances: 2 });
  await app.dovecot!.save(ADA, buildEml({ to: ADA, subject: 'Before the restart' }));
  ada = await app.signIn(ADA);
  accountId = (await ada.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
});
afterAll(async () => {
  await app?.stop();
});

test('SIGTERM mid-refresh: bounded exit, lease released, the other instance serves the mailbox at once', async () => {
  const messages = `/api/mail/accounts/${accountId}/messages`;
  expect((await ada.getJson(messages)).status).toBe(200);
  // The next refresh hangs at Microsoft for longer than the instance may take to stop.
  app.emulator.expireAccessTokens(ADA);
  await app.dovecot!.kick(ADA);
  app.emulator.failTokenRequests({ status: 200, hangMs: 15_000, times: 1, grantType: 'refresh_token' });
  const inFlight = ada.getJson(messages).catch(() => null);
  await waitFor(async () => (await app.db.mailCredential.findUniqueOrThrow({ where: { id: accountId } })).refreshLeaseOwner !== null, {
    timeoutMs: 15_000,
    intervalMs: 50,
    what: 'the refresh to take its lease',
  });

  const exit = await app.terminate(0);
  expect(exit.ms).toBeLessThan(11_000);
  expect(exit).toMatchObject({ code: 143, signal: null });
  const row = await app.db.mailCredential.findUniqueOrThrow({ where: { id: accountId }, select: { refreshLeaseOwner: true, refreshLeaseUntil: true, status: true } });
  expect(row).toEqual({ refreshLeaseOwner: null, refreshLeaseUntil: null, status: 'active' });
  await inFlight;

  // Well inside the 30 s lease the stopped instance would otherwise have left behind.
  const other = ada.at(app.urls[1]!);
  const started = Date.now();
  const page = await other.getJson<{ messages: Array<{ subject: string }> }>(messages);
  expect(page.status).toBe(200);
  expect(page.body.messages.map((m) => m.subject)).toEqual(['Before the restart']);
  expect(Date.now() - started).toBeLessThan(10_000);
});

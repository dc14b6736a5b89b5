// The app's own credential on the production build: a certificate alone signs people in, connects
// another mailbox and refreshes; an expiring client secret is replaced through
// MICROSOFT_CLIENT_SECRET_NEXT without a single failed request, and no mailbox needs reauth.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestCertificate } from '../support/certificates';
import { startApp, type SignedIn, type TestApp } from '../support/app';

interface Account {
  id: string;
  email: string;
  status: string;
}

/** Opens the mailbox over IMAP, then makes its access token stale so the next open must refresh. */
async function openThenExpire(app: TestApp, who: SignedIn): Promise<string> {
  const { body: accounts } = await who.getJson<Account[]>('/api/mail/accounts');
  const account = accounts.find((a) => a.email === who.email)!;
  expect((await who.getJson(`/api/mail/accounts/${account.id}/mailboxes`)).status).toBe(200);
  app.emulator.expireAccessTokens(who.email);
  await app.dovecot!.kick(who.email);
  return account.id;
}

describe('certificate only (no client secret configured)', () => {
  let app: TestApp;
  const cert = createTestCertificate();

  beforeAll(async () => {
    app = await startApp({
      emulator: { certificates: [cert.certificatePem] },
      env: {
        MICROSOFT_CLIENT_SECRET: '',
        MICROSOFT_CLIENT_CERTIFICATE: cert.certificatePem,
        // As secret stores often hold it: one line with escaped newlines.
        MICROSOFT_CLIENT_CERTIFICATE_KEY: cert.privateKeyPem.trim().replaceAll('\n', '\\n'),
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  test('signs in, connects another mailbox and refreshes with client assertions', async () => {
    const ada = await app.signIn('ada@contoso.test');
    const log = app.emulator.tokenRequestLog;
    const codeRedemptions = log.filter((e) => e.grantType === 'authorization_code');
    expect(codeRedemptions.length).toBeGreaterThan(0);
    expect(codeRedemptions.every((e) => e.status === 200)).toBe(true);

    // Connecting another mailbox redeems its code through the same credential.
    app.emulator.addUser({ email: 'ada.work@fabrikam.test' });
    app.emulator.setDefaultUser('ada.work@fabrikam.test');
    const start = await ada.get('/api/mail/connect');
    const back = await ada.get(start.headers.get('location')!);
    const done = await ada.get(back.headers.get('location')!);
    expect(done.status).toBe(302);
    expect(new URL(done.headers.get('location')!).pathname).toBe('/inbox');
    app.emulator.setDefaultUser(null);

    const accountId = await openThenExpire(app, ada);
    const refreshes = app.emulator.stats().token.refresh_token;
    expect((await ada.getJson(`/api/mail/accounts/${accountId}/mailboxes`)).status).toBe(200);
    expect(app.emulator.stats().token.refresh_token).toBeGreaterThan(refreshes);
    expect(app.emulator.tokenRequestLog.every((e) => e.status === 200)).toBe(true);
    const { body: accounts } = await ada.getJson<Account[]>('/api/mail/accounts');
    expect(accounts.map((a) => a.status)).toEqual(['active', 'active']);
    expect(app.secretsInResponses()).toEqual([]);
  });
});

describe('client secret rotation with an overlap window', () => {
  let app: TestApp;
  const oldSecret = randomBytes(24).toString('base64url');
  const newSecret = randomBytes(24).toString('base64url');

  beforeAll(async () => {
    app = await startApp({
      emulator: { clientSecret: oldSecret },
      env: { MICROSOFT_CLIENT_SECRET: oldSecret, MICROSOFT_CLIENT_SECRET_NEXT: newSecret },
    });
    app.emulator.addClientSecret({ value: newSecret });
  });
  afterAll(async () => {
    await app?.stop();
  });

  test('the old secret expiring fails no request of a person and marks no mailbox; sign-in keeps working', async () => {
    const grace = await app.signIn('grace@contoso.test');
    const accountId = await openThenExpire(app, grace);

    // The old secret's end date passes.
    app.emulator.expireClientSecret(oldSecret);
    for (let i = 0; i < 3; i++) {
      expect((await grace.getJson(`/api/mail/accounts/${accountId}/mailboxes`)).status).toBe(200);
      app.emulator.expireAccessTokens(grace.email);
      await app.dovecot!.kick(grace.email);
    }
    const refused = app.emulator.tokenRequestLog.filter((e) => e.status === 401);
    // Microsoft refused the expired secret once; from then on the process uses the new one.
    expect(refused).toHaveLength(1);

    // A new sign-in redeems its code with the new secret straight away.
    const hopper = await app.signIn('hopper@contoso.test');
    expect((await hopper.getJson<Account[]>('/api/mail/accounts')).body[0]).toMatchObject({ status: 'active' });
    expect(app.emulator.tokenRequestLog.filter((e) => e.status === 401)).toHaveLength(1);

    const credentials = await app.db.mailCredential.findMany({ select: { status: true, failureCount: true } });
    expect(credentials.every((c) => c.status === 'active' && c.failureCount === 0)).toBe(true);
    // The operator is told which credential Microsoft refused (the suite's log file holds the app's
    // pino lines; the secrets themselves are in the ledger the suite scans the logs for).
    const lines = readFileSync(process.env.LOG_FILE!, 'utf8').split('\n').filter((l) => l.includes('"client_credential_rejected"'));
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ level: 40, credential: 'secret', code: 'AADSTS7000222', next: 'secret_next' }),
    );
  });
});

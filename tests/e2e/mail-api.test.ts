// The inbox API over HTTP against the production build, with real IMAP (Dovecot, XOAUTH2 only,
// tokens checked by the emulator) and real sign-in through the emulator.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { buildEml } from '../support/mail-fixtures';

interface Account { id: string; email: string; authType: string; status: string; lastRefreshAt: string | null }
interface Summary { uid: number; subject: string; from: { name: string; address: string } | null; to: unknown[]; date: string; flags: string[]; size: number }
interface Page { messages: Summary[]; nextCursor: string | null }
interface ErrorBody { error: { code: string; message: string } }

const ADA = 'ada@contoso.test';
const BOB = 'bob@contoso.test';

let app: TestApp;
let ada: SignedIn;
let bob: SignedIn;
let adaAccount: string;
let bobAccount: string;
const uids: number[] = [];

beforeAll(async () => {
  app = await startApp({ users: [ADA, BOB] });
  const dovecot = app.dovecot!;
  for (let i = 1; i <= 7; i++) {
    uids.push(await dovecot.save(ADA, buildEml({ to: ADA, subject: `Message ${i}`, date: new Date(Date.UTC(2024, 0, i, 9)), text: `Body ${i}` }), { flags: i <= 2 ? ['\\Seen'] : [] }));
  }
  uids.push(
    await dovecot.save(
      ADA,
      buildEml({
        to: ADA,
        cc: 'Carol <carol@contoso.test>',
        subject: 'Dangerous HTML',
        date: new Date(Date.UTC(2024, 1, 1, 9)),
        text: 'plain version',
        html: '<p onclick="steal()">Hi <b>there</b></p><script>alert(1)</script><a href="javascript:alert(2)">x</a><img src="https://tracker.example/p.gif" onerror="alert(3)">',
        attachments: [{ filename: 'notes.txt', contentType: 'text/plain', content: 'attached text' }],
      }),
    ),
  );
  await dovecot.save(BOB, buildEml({ to: BOB, subject: 'For Bob only' }));
  ada = await app.signIn(ADA);
  bob = await app.signIn(BOB);
  adaAccount = (await ada.getJson<Account[]>('/api/mail/accounts')).body[0]!.id;
  bobAccount = (await bob.getJson<Account[]>('/api/mail/accounts')).body[0]!.id;
});
afterAll(async () => {
  await app?.stop();
});

describe('without a session', () => {
  test('every /api/mail route answers 401 unauthenticated', async () => {
    const anonymous = app.client();
    const requests: Array<[string, string]> = [
      ['GET', '/api/mail/accounts'],
      ['POST', '/api/mail/accounts'],
      ['DELETE', `/api/mail/accounts/${adaAccount}`],
      ['GET', `/api/mail/accounts/${adaAccount}/mailboxes`],
      ['GET', `/api/mail/accounts/${adaAccount}/messages`],
      ['GET', `/api/mail/accounts/${adaAccount}/messages/1`],
      ['GET', `/api/mail/accounts/${adaAccount}/messages/1/attachments/2`],
      ['GET', `/api/mail/accounts/${adaAccount}/messages?limit=-1`],
      ['GET', '/api/mail/connect'],
      ['GET', '/api/mail/callback?code=c&state=s'],
    ];
    for (const [method, path] of requests) {
      const { status, body } = await anonymous.sendJson<ErrorBody>(method, path, method === 'POST' ? {} : undefined);
      expect({ method, path, status, code: body?.error.code }).toEqual({ method, path, status: 401, code: 'unauthenticated' });
    }
  });
});

describe('accounts', () => {
  test('lists the signed-in mailbox', async () => {
    const { status, body } = await ada.getJson<Account[]>('/api/mail/accounts');
    expect(status).toBe(200);
    expect(body).toEqual([{ id: adaAccount, email: ADA, authType: 'oauth2', status: 'active', lastRefreshAt: expect.any(String) }]);
  });

  test('a malformed or oversized JSON body is a 400', async () => {
    expect((await ada.sendJson<ErrorBody>('POST', '/api/mail/accounts', '{"email":')).body.error.code).toBe('invalid_request');
    expect((await ada.sendJson<ErrorBody>('POST', '/api/mail/accounts', { email: 'x@y.test', password: 'p'.repeat(70_000) })).status).toBe(400);
    expect((await ada.sendJson<ErrorBody>('POST', '/api/mail/accounts', { email: 'not-an-address' })).status).toBe(400);
  });
});

describe('inbox', () => {
  test('folders with counts', async () => {
    const { status, body } = await ada.getJson<Array<{ path: string; name: string; specialUse: string | null; messages: number; unseen: number }>>(`/api/mail/accounts/${adaAccount}/mailboxes`);
    expect(status).toBe(200);
    expect(body.find((m) => m.path === 'INBOX')).toMatchObject({ messages: 8, unseen: 6 });
    expect(body.find((m) => m.specialUse === '\\Sent')).toBeDefined();
  });

  test('messages newest first, paged with a cursor until the end', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?mailbox=INBOX&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const { status, body }: { status: number; body: Page } = await ada.getJson<Page>(`/api/mail/accounts/${adaAccount}/messages${query}`);
      expect(status).toBe(200);
      expect(body.messages.length).toBeLessThanOrEqual(3);
      seen.push(...body.messages.map((m) => m.uid));
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...uids].sort((a, b) => b - a));
    const { body: first } = await ada.getJson<Page>(`/api/mail/accounts/${adaAccount}/messages?limit=2`);
    expect(first.messages[0]).toMatchObject({ subject: 'Dangerous HTML', flags: [], from: { address: 'sender@example.com' } });
    expect(first.messages[0]!.size).toBeGreaterThan(0);
  });

  test('one message: parsed, HTML sanitized, attachments listed', async () => {
    const uid = uids[uids.length - 1]!;
    const { status, body } = await ada.getJson<{ uid: number; subject: string; cc: unknown[]; text: string; html: string; attachments: unknown[] }>(
      `/api/mail/accounts/${adaAccount}/messages/${uid}?mailbox=INBOX`,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ uid, subject: 'Dangerous HTML', text: expect.stringContaining('plain version') });
    expect(body.cc).toEqual([{ name: 'Carol', address: 'carol@contoso.test' }]);
    expect(body.html).toContain('<b>there</b>');
    expect(body.html).not.toMatch(/<script|onclick|onerror|javascript:/i);
    // Remote images are not loaded by default (the URL is kept aside for a "load images" choice).
    expect(body.html).not.toMatch(/\ssrc="https?:/i);
    expect(body.attachments).toEqual([{ id: '2', filename: 'notes.txt', contentType: 'text/plain', size: 'attached text'.length }]);
  });

  test('an unknown uid is a 404', async () => {
    const { status, body } = await ada.getJson<ErrorBody>(`/api/mail/accounts/${adaAccount}/messages/999999`);
    expect(status).toBe(404);
    expect(body.error.code).toBe('not_found');
  });
});

describe('bad parameters are 400 invalid_request', () => {
  const cases = [
    ['negative limit', () => `/api/mail/accounts/${adaAccount}/messages?limit=-1`],
    ['zero limit', () => `/api/mail/accounts/${adaAccount}/messages?limit=0`],
    ['non-numeric limit', () => `/api/mail/accounts/${adaAccount}/messages?limit=ten`],
    ['CR/LF in a mailbox name', () => `/api/mail/accounts/${adaAccount}/messages?mailbox=INBOX%0D%0AA1%20LOGOUT`],
    ['garbage cursor', () => `/api/mail/accounts/${adaAccount}/messages?cursor=%00%01`],
    ['non-numeric uid', () => `/api/mail/accounts/${adaAccount}/messages/abc`],
    ['negative uid', () => `/api/mail/accounts/${adaAccount}/messages/-5`],
    ['CR/LF in the message mailbox', () => `/api/mail/accounts/${adaAccount}/messages/1?mailbox=INBOX%0A`],
  ] as const;
  test.each(cases)('%s', async (_name, path) => {
    const { status, body } = await ada.getJson<ErrorBody>(path());
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_request');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });
});

describe("another user's mailbox", () => {
  test('is not found on every route, and never revealed', async () => {
    const paths = [`/api/mail/accounts/${adaAccount}/mailboxes`, `/api/mail/accounts/${adaAccount}/messages`, `/api/mail/accounts/${adaAccount}/messages/${uids[0]}`];
    for (const path of paths) {
      const { status, body } = await bob.getJson<ErrorBody>(path);
      expect({ path, status, code: body.error.code }).toEqual({ path, status: 404, code: 'not_found' });
    }
    const missing = await bob.getJson<ErrorBody>('/api/mail/accounts/no-such-account/messages');
    expect(missing.body).toEqual((await bob.getJson<ErrorBody>(`/api/mail/accounts/${adaAccount}/messages`)).body);
    expect((await bob.sendJson('DELETE', `/api/mail/accounts/${adaAccount}`)).status).toBe(404);
    expect((await ada.getJson<Account[]>('/api/mail/accounts')).body).toHaveLength(1);
    // Bob's own mailbox works.
    const own = await bob.getJson<Page>(`/api/mail/accounts/${bobAccount}/messages`);
    expect(own.body.messages.map((m) => m.subject)).toEqual(['For Bob only']);
  });
});

describe('token lifecycle over HTTP', () => {
  test('an access token that expired between requests is refreshed transparently', async () => {
    const dora = await app.signIn('dora@contoso.test');
    await app.dovecot!.save('dora@contoso.test', buildEml({ subject: 'Hello Dora' }));
    const account = (await dora.getJson<Account[]>('/api/mail/accounts')).body[0]!.id;
    expect((await dora.getJson(`/api/mail/accounts/${account}/messages`)).status).toBe(200);
    app.emulator.expireAccessTokens('dora@contoso.test');
    await app.dovecot!.kick('dora@contoso.test');
    const before = app.emulator.stats().token.refresh_token;
    const { status, body } = await dora.getJson<Page>(`/api/mail/accounts/${account}/messages`);
    expect(status).toBe(200);
    expect(body.messages[0]?.subject).toBe('Hello Dora');
    expect(app.emulator.stats().token.refresh_token).toBe(before + 1);
  });

  test('a revoked grant answers 409 needs_reauth and the mailbox shows it', async () => {
    const carol = await app.signIn('carol@contoso.test');
    const account = (await carol.getJson<Account[]>('/api/mail/accounts')).body[0]!.id;
    expect((await carol.getJson(`/api/mail/accounts/${account}/mailboxes`)).status).toBe(200);
    app.emulator.revokeGrants('carol@contoso.test');
    app.emulator.expireAccessTokens('carol@contoso.test');
    await app.dovecot!.kick('carol@contoso.test');
    const { status, body } = await carol.getJson<ErrorBody>(`/api/mail/accounts/${account}/messages`);
    expect(status).toBe(409);
    expect(body.error.code).toBe('needs_reauth');
    const accounts = (await carol.getJson<Account[]>('/api/mail/accounts')).body;
    expect(accounts[0]).toMatchObject({ id: account, status: 'needs_reauth' });
    // And without another refresh attempt on the next request.
    const refreshes = app.emulator.stats().token.refresh_token;
    expect((await carol.getJson(`/api/mail/accounts/${account}/messages`)).status).toBe(409);
    expect(app.emulator.stats().token.refresh_token).toBe(refreshes);
    // Signing in again reconnects it.
    await app.signIn('carol@contoso.test', carol);
    expect((await carol.getJson<Account[]>('/api/mail/accounts')).body[0]).toMatchObject({ id: account, status: 'active' });
    expect((await carol.getJson(`/api/mail/accounts/${account}/messages`)).status).toBe(200);
  });

  test('disconnecting removes the mailbox and its secrets', async () => {
    const erin = await app.signIn('erin@contoso.test');
    const account = (await erin.getJson<Account[]>('/api/mail/accounts')).body[0]!.id;
    const response = await erin.sendJson('DELETE', `/api/mail/accounts/${account}`);
    expect(response.status).toBe(204);
    expect((await erin.getJson<Account[]>('/api/mail/accounts')).body).toEqual([]);
    expect((await erin.getJson<ErrorBody>(`/api/mail/accounts/${account}/messages`)).status).toBe(404);
    const row = await app.db.mailCredential.findUniqueOrThrow({ where: { id: account } });
    expect(row.refreshTokenSealed).toBeNull();
    expect(await app.db.accessToken.count({ where: { credentialId: account } })).toBe(0);
  });
});

describe('password IMAP mailboxes', () => {
  let passwordServer: Dovecot;
  beforeAll(async () => {
    passwordServer = await startDovecot({ mode: 'password', users: [{ user: 'pat@imap.test', password: 'correct horse' }] });
    await passwordServer.save('pat@imap.test', buildEml({ subject: 'Over plain IMAP' }));
  });
  afterAll(async () => {
    await passwordServer?.stop();
  });

  test('a wrong password is refused before anything is saved', async () => {
    const { status, body } = await ada.sendJson<ErrorBody>('POST', '/api/mail/accounts', {
      email: 'pat@imap.test', host: '127.0.0.1', port: passwordServer.port, secure: false, username: 'pat@imap.test', password: 'wrong',
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_request');
    expect(JSON.stringify(body)).not.toContain('wrong');
    expect((await ada.getJson<Account[]>('/api/mail/accounts')).body).toHaveLength(1);
  });

  test('is added (201) after its login is checked, and reads like any other', async () => {
    const { status, body } = await ada.sendJson<Account>('POST', '/api/mail/accounts', {
      email: 'pat@imap.test', host: '127.0.0.1', port: passwordServer.port, secure: false, username: 'pat@imap.test', password: 'correct horse',
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({ email: 'pat@imap.test', authType: 'password', status: 'active' });
    expect(JSON.stringify(body)).not.toContain('correct horse');
    const page = await ada.getJson<Page>(`/api/mail/accounts/${body.id}/messages`);
    expect(page.body.messages.map((m) => m.subject)).toEqual(['Over plain IMAP']);
    const row = await app.db.mailCredential.findUniqueOrThrow({ where: { id: body.id } });
    expect(row.passwordSealed).toMatch(/^v1\./);
    expect(row.passwordSealed).not.toContain('correct horse');
  });
});

test('no answer from the app ever carried a token, a code or a secret', () => {
  expect(app.secretsInResponses()).toEqual([]);
});

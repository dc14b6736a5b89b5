// Sending over HTTP against the production build: POST /send through a real SMTP submission server
// (smtp-server, STARTTLS with a certificate the app trusts through NODE_EXTRA_CA_CERTS, XOAUTH2
// checked against the emulator) that delivers into Dovecot, read back over IMAP. Consent on
// demand (409 + reconnectUrl), reply headers, the 535 retry once, 5.7.139, password mailboxes,
// bad input, ownership.
import { writeFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import { startDovecot, type Dovecot } from '../support/dovecot';
import { buildEml } from '../support/mail-fixtures';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

const ADA = 'ada@contoso.test';
const BOB = 'bob@contoso.test';
const IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';
const SMTP_SCOPE = 'https://outlook.office.com/SMTP.Send';
interface ErrorBody { error: { code: string; message: string; reconnectUrl?: string } }

let app: TestApp;
let smtp: TestSmtpServer;
let passwordSmtp: TestSmtpServer;
let passwordImap: Dovecot;
let ada: SignedIn;
let bob: SignedIn;
let account: string;

beforeAll(async () => {
  passwordImap = await startDovecot({ mode: 'password' });
  // The servers are wired to the app's emulator and Dovecot once those exist (resolved lazily).
  smtp = await startSmtpServer({ introspectionUrl: () => app.emulator.smtpIntrospectionUrl, deliverTo: () => app.dovecot! });
  passwordSmtp = await startSmtpServer({ mode: 'password', deliverTo: passwordImap });
  // One certificate file for both servers: NODE_EXTRA_CA_CERTS takes one path.
  const bundle = `${smtp.caFile}.bundle.pem`;
  writeFileSync(bundle, `${smtp.ca}\n${passwordSmtp.ca}`);
  app = await startApp({ users: [ADA, BOB], env: { ...smtp.appEnv, NODE_EXTRA_CA_CERTS: bundle } });
  ada = await app.signIn(ADA);
  bob = await app.signIn(BOB);
  account = (await ada.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
});
afterAll(async () => {
  await app?.stop();
  await Promise.all([smtp?.stop(), passwordSmtp?.stop(), passwordImap?.stop()]);
});

const send = (body: unknown, who: SignedIn = ada, id = account) => who.sendJson<{ messageId: string } & ErrorBody>('POST', `/api/mail/accounts/${id}/send`, body);

/** The newest message with this subject in a user's INBOX on the app's Dovecot, over IMAP. */
async function readBack(user: string, subject: string, mailbox = 'INBOX'): Promise<ParsedMail[]> {
  const client = new ImapFlow({
    host: app.dovecot!.host,
    port: app.dovecot!.port,
    secure: false,
    auth: { user, accessToken: app.emulator.issueAccessToken({ email: user, resource: 'imap' }) },
    logger: false,
  });
  await client.connect();
  try {
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      const found: ParsedMail[] = [];
      for await (const m of client.fetch('1:*', { source: true })) if (m.source) found.push(await simpleParser(m.source));
      return found.filter((m) => m.subject === subject);
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

describe('a Microsoft mailbox', () => {
  test('the compose page renders first (production build, page before API)', async () => {
    const page = await ada.fetch(`/inbox/${account}/compose`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('New message');
  });

  test('without consent to send: 409 needs_reauth with a reconnect link that asks for SMTP.Send', async () => {
    const { status, body } = await send({ to: [BOB], subject: 'Before consent', text: 'x' });
    expect(status).toBe(409);
    expect(body.error.code).toBe('needs_reauth');
    expect(body.error.reconnectUrl).toBe(`/api/mail/connect?send=1&account=${account}&returnTo=${encodeURIComponent(`/inbox/${account}/compose`)}`);
    const connect = await ada.fetch(body.error.reconnectUrl!, { redirect: 'manual' });
    expect(connect.status).toBe(302);
    const authorize = new URL(connect.headers.get('location')!);
    expect(authorize.searchParams.get('scope')!.split(' ')).toEqual(expect.arrayContaining([IMAP_SCOPE, SMTP_SCOPE]));
    expect(smtp.received).toHaveLength(0);
    // Reading mail is unaffected.
    expect((await ada.getJson('/api/mail/accounts/' + account + '/mailboxes')).status).toBe(200);
  });

  test('after consent: 202 {messageId}; the recipient reads it over IMAP; Sent Items has it once', async () => {
    app.emulator.issueRefreshToken({ email: ADA, scopes: ['openid', 'offline_access', IMAP_SCOPE, SMTP_SCOPE] });
    const { status, body } = await send({ to: [{ name: 'Bob', address: BOB }], cc: [], subject: 'Status update', text: 'All green.' });
    expect(status).toBe(202);
    expect(body.messageId).toMatch(/^<.+@contoso\.test>$/);
    const [arrived] = await readBack(BOB, 'Status update');
    expect(arrived).toBeDefined();
    expect(arrived!.messageId).toBe(body.messageId);
    expect(arrived!.text).toContain('All green.');
    expect(arrived!.from?.value[0]?.address).toBe(ADA);
    expect(await readBack(ADA, 'Status update', 'Sent Items')).toHaveLength(1);
  });

  test('a reply carries In-Reply-To and References and quotes the original', async () => {
    const uid = await app.dovecot!.save(
      ADA,
      buildEml({ from: `Bob <${BOB}>`, to: ADA, subject: 'Budget', text: 'Can you approve?' }).replace(/^Message-ID: .*$/m, 'Message-ID: <budget-1@contoso.test>'),
    );
    const { status } = await send({ to: [BOB], subject: 'Re: Budget', text: 'Approved.', replyTo: { mailbox: 'INBOX', uid } });
    expect(status).toBe(202);
    const [reply] = await readBack(BOB, 'Re: Budget');
    expect(reply!.inReplyTo).toBe('<budget-1@contoso.test>');
    expect(reply!.references).toBe('<budget-1@contoso.test>');
    expect(reply!.text).toMatch(/Approved\.\n\nOn .* wrote:\n> Can you approve\?/);
    const original = await ada.getJson<{ flags: string[] }>(`/api/mail/accounts/${account}/messages/${uid}?mailbox=INBOX`);
    expect(original.body.flags).toContain('\\Answered');
  });

  test('a rejected token (535) is refreshed once and the message goes out once', async () => {
    const before = smtp.received.length;
    const attempts = smtp.authAttempts.length;
    smtp.rejectNextLogins(1);
    expect((await send({ to: [BOB], subject: 'Retried', text: 'x' })).status).toBe(202);
    expect(smtp.authAttempts.slice(attempts).map((a) => a.outcome)).toEqual(['rejected', 'ok']);
    expect(smtp.received.length).toBe(before + 1);
  });

  test('535 5.7.139: a 409 that says to enable SMTP AUTH, tried once', async () => {
    const attempts = smtp.authAttempts.length;
    smtp.setSmtpAuthDisabled(ADA, true);
    try {
      const { status, body } = await send({ to: [BOB], subject: 'Blocked', text: 'x' });
      expect(status).toBe(409);
      expect(body.error.code).toBe('needs_reauth');
      expect(body.error.message).toMatch(/SMTP AUTH/);
      expect(smtp.authAttempts.slice(attempts).map((a) => a.outcome)).toEqual(['disabled']);
    } finally {
      smtp.setSmtpAuthDisabled(ADA, false);
    }
    const accounts = await ada.getJson<Array<{ id: string; status: string }>>('/api/mail/accounts');
    expect(accounts.body.find((a) => a.id === account)!.status).toBe('active');
  });

  test('bad bodies are 400 and send nothing; header injection is refused', async () => {
    const before = smtp.received.length;
    for (const body of [
      {},
      { to: 'bob@contoso.test', subject: 'x' },
      { to: [BOB], subject: 'x\r\nBcc: victim@fabrikam.test' },
      { to: [{ name: 'x\nBcc: victim@fabrikam.test', address: BOB }], subject: 'x' },
      { to: [BOB], subject: 'x', replyTo: { mailbox: 'INBOX\r\nA1 LOGOUT', uid: 1 } },
      { to: [BOB], subject: 'x', text: 'y'.repeat(1_000_001) },
      'not json',
    ]) {
      const { status, body: answer } = await send(body);
      expect({ body: JSON.stringify(body).slice(0, 80), status, code: answer.error.code }).toEqual({ body: JSON.stringify(body).slice(0, 80), status: 400, code: 'invalid_request' });
    }
    expect(smtp.received.length).toBe(before);
  });

  test("another user's mailbox is 404; without a session 401; cross-site 400", async () => {
    expect((await send({ to: [BOB], subject: 'x' }, bob)).status).toBe(404);
    expect((await app.client().sendJson('POST', `/api/mail/accounts/${account}/send`, { to: [BOB], subject: 'x' })).status).toBe(401);
    const crossSite = await ada.fetch(`/api/mail/accounts/${account}/send`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ to: [BOB], subject: 'x' }),
    });
    expect(crossSite.status).toBe(400);
  });
});

test('a password mailbox sends through its own SMTP server and keeps a copy in Sent', async () => {
  const pat = { email: 'pat@imap.test', password: 'correct horse battery' };
  passwordImap.addPasswordUser(pat.email, pat.password);
  passwordSmtp.addPasswordUser(pat.email, pat.password);
  const added = await ada.sendJson<{ id: string } & ErrorBody>('POST', '/api/mail/accounts', {
    email: pat.email,
    host: passwordImap.host,
    port: passwordImap.port,
    secure: false,
    password: pat.password,
    smtp: { host: passwordSmtp.host, port: passwordSmtp.port, secure: false },
  });
  expect(added.status).toBe(201);
  const { status } = await send({ to: ['quinn@imap.test'], subject: 'From Pat', text: 'Hello' }, ada, added.body.id);
  expect(status).toBe(202);
  expect(passwordSmtp.received.at(-1)).toMatchObject({ user: pat.email, to: ['quinn@imap.test'] });
  const sent = await ada.getJson<{ messages: Array<{ subject: string }> }>(`/api/mail/accounts/${added.body.id}/messages?mailbox=${encodeURIComponent('Sent Items')}`);
  expect(sent.body.messages.map((m) => m.subject)).toEqual(['From Pat']);
});

test('no answer from the app ever carried a token, a code or a secret', () => {
  expect(app.secretsInResponses()).toEqual([]);
});

// Sending through the mail domain on real servers: the token layer and emulator, a real SMTP
// submission server (smtp-server, STARTTLS with a test certificate, XOAUTH2 checked against the
// emulator's SMTP introspection) delivering into Dovecot, and the recipient's mailbox read back
// over IMAP. Covers consent on demand, the 535 refresh-and-retry-once, 5.7.139, replies,
// forwards, header injection and password mailboxes with their own SMTP server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { childLogger } from '@/lib/log';
import { AppError } from '@/lib/errors';
import { IMAP_SCOPE, SMTP_SCOPE } from '@/lib/microsoft/scopes';
import { addPasswordAccount, disconnectAccount, getMessage, listMessages, sendMessage, type MailContext } from '@/lib/mail';
import { createSmtpAccountLoader, createSmtpService } from '@/lib/smtp';
import type { EnsureFreshTokenOptions, TokenResource } from '@/lib/tokens';
import { buildEml } from '../support/mail-fixtures';
import { createMailFixture, type MailFixture } from '../support/mail';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

let f: MailFixture;
let smtp: TestSmtpServer;
let passwordSmtp: TestSmtpServer;
let ctx: MailContext;
const smtpCalls: Array<{ resource: TokenResource; rejected: boolean }> = [];
let owner: { userId: string; credentialId: string; email: string };
let friend: { userId: string; credentialId: string; email: string };

beforeAll(async () => {
  f = await createMailFixture();
  smtp = await startSmtpServer({ introspectionUrl: f.tokens.emulator.smtpIntrospectionUrl, deliverTo: f.dovecot });
  passwordSmtp = await startSmtpServer({ mode: 'password', deliverTo: f.passwordDovecot });
  const tokens = f.tokens.service();
  const service = createSmtpService({
    loadAccount: createSmtpAccountLoader({ db: async () => f.tokens.database.db, secrets: f.tokens.secrets }),
    ensureFreshToken: (id: string, resource: TokenResource, options?: EnsureFreshTokenOptions) => {
      smtpCalls.push({ resource, rejected: options?.rejectedToken !== undefined });
      return tokens.ensureFreshToken(id, resource, options);
    },
    oauthEndpoint: { host: smtp.host, port: smtp.port, secure: false },
    log: childLogger('smtp'),
    // The test certificate is trusted for these connections only; validation stays on.
    tls: { ca: [smtp.ca, passwordSmtp.ca].join('\n') },
    allowPrivateHosts: true,
  });
  ctx = { ...f.ctx, smtp: service };
  owner = await f.tokens.seedCredential();
  friend = await f.tokens.seedCredential();
});
afterAll(async () => {
  await smtp?.stop();
  await passwordSmtp?.stop();
  await f?.close();
});

const consentToSend = (email: string) => f.tokens.emulator.issueRefreshToken({ email, scopes: ['openid', 'offline_access', IMAP_SCOPE, SMTP_SCOPE] });

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** The recipient's newest message with this subject, read over IMAP (the mail domain on Dovecot). */
async function inboxOf(who: { userId: string; credentialId: string }, subject: string, mailbox = 'INBOX') {
  const page = await listMessages({ userId: who.userId, accountId: who.credentialId, mailbox, limit: '50', ctx });
  return page.messages.filter((m) => m.subject === subject);
}

async function rawOf(who: { userId: string; credentialId: string }, uid: number, mailbox = 'INBOX') {
  const raw = await f.imapService.withSession(who.credentialId, async (client) => {
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      const found = await client.fetchOne(String(uid), { source: true }, { uid: true });
      if (!found || !found.source) throw new Error("not found");
      return found.source;
    } finally {
      lock.release();
    }
  });
  return { raw: raw.toString('utf8'), parsed: await simpleParser(raw) };
}

describe('a Microsoft mailbox', () => {
  it('without SMTP.Send consent is 409 with a reconnect link asking for it, and sends nothing', async () => {
    const error = await failure(sendMessage({ userId: owner.userId, accountId: owner.credentialId, input: { to: [friend.email], subject: 'No consent', text: 'x' }, ctx }));
    expect(error.code).toBe('needs_reauth');
    expect(error.reconnectUrl).toBe(`/api/mail/connect?send=1&account=${owner.credentialId}&returnTo=${encodeURIComponent(`/inbox/${owner.credentialId}/compose`)}`);
    expect(smtp.received).toHaveLength(0);
    // Only sending is affected: the mailbox itself stays usable.
    const row = await f.tokens.database.db.mailCredential.findUniqueOrThrow({ where: { id: owner.credentialId } });
    expect(row.status).toBe('active');
    expect(await listMessages({ userId: owner.userId, accountId: owner.credentialId, mailbox: 'INBOX', limit: '5', ctx })).toBeTruthy();
  });

  it('sends over SMTP XOAUTH2; the recipient reads it over IMAP and Sent Items holds one copy', async () => {
    consentToSend(owner.email);
    const { messageId, rejected } = await sendMessage({
      userId: owner.userId,
      accountId: owner.credentialId,
      input: { to: [{ name: 'Friend', address: friend.email }], bcc: ['hidden@contoso.example'], subject: 'Hello from SMTP', text: 'Plain words, accents: café.' },
      ctx,
    });
    expect(messageId).toMatch(/^<[0-9a-f-]{36}@contoso\.example>$/);
    expect(rejected).toEqual([]);
    const [arrived] = await inboxOf(friend, 'Hello from SMTP');
    expect(arrived).toBeDefined();
    const message = await getMessage({ userId: friend.userId, accountId: friend.credentialId, uid: String(arrived!.uid), mailbox: 'INBOX', ctx });
    expect(message).toMatchObject({ subject: 'Hello from SMTP', from: { address: owner.email }, to: [{ name: 'Friend', address: friend.email }] });
    expect(message.text).toContain('accents: café.');
    const { raw, parsed } = await rawOf(friend, arrived!.uid);
    expect(parsed.messageId).toBe(messageId);
    // Bcc went in the envelope only.
    expect(raw).not.toMatch(/^bcc:/im);
    expect(smtp.received.at(-1)!.to).toEqual([friend.email, 'hidden@contoso.example']);
    // Exchange keeps the Sent copy itself: the product does not append a second one.
    expect(await inboxOf(owner, 'Hello from SMTP', 'Sent Items')).toHaveLength(1);
    expect(smtpCalls.filter((c) => c.rejected)).toHaveLength(0);
  });

  it('replies with In-Reply-To and References, quotes the original and marks it answered', async () => {
    const original = buildEml({ from: `Friend <${friend.email}>`, to: owner.email, subject: 'Lunch on Friday?', text: 'Shall we meet at noon?\nBring the slides.' })
      .replace(/^Message-ID: .*$/m, 'Message-ID: <orig-1@contoso.example>\r\nReferences: <root-0@contoso.example>');
    const uid = await f.dovecot.save(owner.email, original);
    await sendMessage({ userId: owner.userId, accountId: owner.credentialId, input: { to: [friend.email], subject: 'Re: Lunch on Friday?', text: 'Noon works.', replyTo: { mailbox: 'INBOX', uid } }, ctx });
    const [arrived] = await inboxOf(friend, 'Re: Lunch on Friday?');
    const { parsed } = await rawOf(friend, arrived!.uid);
    expect(parsed.inReplyTo).toBe('<orig-1@contoso.example>');
    expect(parsed.references).toEqual(['<root-0@contoso.example>', '<orig-1@contoso.example>']);
    expect(parsed.text).toMatch(/^Noon works\.\n\nOn .* wrote:\n> Shall we meet at noon\?\n> Bring the slides\./);
    const after = await getMessage({ userId: owner.userId, accountId: owner.credentialId, uid: String(uid), mailbox: 'INBOX', ctx });
    expect(after.flags).toContain('\\Answered');
  });

  it("forwards the original's text and attachments", async () => {
    const uid = await f.dovecot.save(
      owner.email,
      buildEml({ subject: 'Quarterly report', text: 'Numbers attached.', attachments: [{ filename: 'report.csv', contentType: 'text/csv', content: 'q,revenue\n1,100\n' }] }),
    );
    await sendMessage({ userId: owner.userId, accountId: owner.credentialId, input: { to: [friend.email], subject: 'Fwd: Quarterly report', text: 'FYI', forward: { mailbox: 'INBOX', uid } }, ctx });
    const [arrived] = await inboxOf(friend, 'Fwd: Quarterly report');
    const { parsed } = await rawOf(friend, arrived!.uid);
    expect(parsed.text).toContain('FYI');
    expect(parsed.text).toContain('---------- Forwarded message ---------');
    expect(parsed.text).toContain('Numbers attached.');
    expect(parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['report.csv', 'q,revenue\n1,100\n']]);
  });

  it('a rejected token (535) is refreshed once and the message sent once', async () => {
    smtpCalls.length = 0;
    const before = smtp.received.length;
    smtp.rejectNextLogins(1);
    await sendMessage({ userId: owner.userId, accountId: owner.credentialId, input: { to: [friend.email], subject: 'After one 535', text: 'x' }, ctx });
    expect(smtpCalls).toEqual([{ resource: 'smtp', rejected: false }, { resource: 'smtp', rejected: true }]);
    expect(smtp.received.length).toBe(before + 1);
    expect(await inboxOf(friend, 'After one 535')).toHaveLength(1);
  });

  it('rejected again after the refresh is 503 without a second refresh', async () => {
    smtpCalls.length = 0;
    const before = smtp.received.length;
    smtp.rejectNextLogins(2);
    const error = await failure(sendMessage({ userId: owner.userId, accountId: owner.credentialId, input: { to: [friend.email], subject: 'Twice', text: 'x' }, ctx }));
    expect(error.code).toBe('upstream_unavailable');
    expect(smtpCalls.filter((c) => c.rejected)).toHaveLength(1);
    expect(smtp.received.length).toBe(before);
  });

  it('535 5.7.139 (SMTP AUTH disabled) is a 409 telling what to enable, never retried', async () => {
    smtpCalls.length = 0;
    const attempts = smtp.authAttempts.length;
    smtp.setSmtpAuthDisabled(owner.email, true);
    try {
      const error = await failure(sendMessage({ userId: owner.userId, accountId: owner.credentialId, input: { to: [friend.email], subject: 'Disabled', text: 'x' }, ctx }));
      expect(error.code).toBe('needs_reauth');
      expect(error.message).toMatch(/SMTP AUTH/);
      expect(error.message).toMatch(/Authenticated SMTP/);
      expect(error.reconnectUrl).toBeUndefined();
      expect(smtpCalls).toEqual([{ resource: 'smtp', rejected: false }]);
      expect(smtp.authAttempts.slice(attempts).map((a) => a.outcome)).toEqual(['disabled']);
      const row = await f.tokens.database.db.mailCredential.findUniqueOrThrow({ where: { id: owner.credentialId } });
      expect(row.status).toBe('active');
    } finally {
      smtp.setSmtpAuthDisabled(owner.email, false);
    }
  });

  it("validates the server's certificate: an untrusted one sends nothing", async () => {
    const before = smtp.received.length;
    const untrusting = createSmtpService({
      loadAccount: createSmtpAccountLoader({ db: async () => f.tokens.database.db, secrets: f.tokens.secrets }),
      ensureFreshToken: (id, resource, options) => f.tokens.service().ensureFreshToken(id, resource, options),
      oauthEndpoint: { host: smtp.host, port: smtp.port, secure: false },
      log: childLogger('smtp'),
    });
    const error = await failure(sendMessage({ userId: owner.userId, accountId: owner.credentialId, input: { to: [friend.email], subject: 'Untrusted', text: 'x' }, ctx: { ...ctx, smtp: untrusting } }));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.message).toMatch(/TLS/);
    expect(smtp.received.length).toBe(before);
  });

  it('bad input is 400 before anything is looked up or sent; headers cannot be injected', async () => {
    const before = smtp.received.length;
    const bad: unknown[] = [
      { to: [], subject: 'nobody' },
      { to: ['not-an-address'], subject: 'x' },
      { to: [friend.email], subject: 'Hi\r\nBcc: victim@contoso.example' },
      { to: [{ name: 'Eve\r\nBcc: victim@contoso.example', address: friend.email }], subject: 'x' },
      { to: [`${friend.email}\r\nBcc: victim@contoso.example`], subject: 'x' },
      { to: [friend.email], subject: 'x', replyTo: { mailbox: 'INBOX', uid: 1 }, forward: { mailbox: 'INBOX', uid: 1 } },
      { to: Array.from({ length: 101 }, (_, i) => `r${i}@contoso.example`), subject: 'x' },
      { to: [friend.email], subject: 'x'.repeat(999) },
      { to: [friend.email], subject: 'x', extra: true },
      { to: [friend.email] },
    ];
    for (const input of bad) {
      const error = await failure(sendMessage({ userId: owner.userId, accountId: 'not-even-looked-up', input, ctx }));
      expect({ input, code: error.code }).toEqual({ input, code: 'invalid_request' });
    }
    expect(smtp.received.length).toBe(before);
  });

  it("another user's mailbox is not found, and so is a missing original", async () => {
    const intruder = await f.createUser();
    expect((await failure(sendMessage({ userId: intruder, accountId: owner.credentialId, input: { to: [friend.email], subject: 'x' }, ctx }))).code).toBe('not_found');
    expect((await failure(sendMessage({ userId: owner.userId, accountId: owner.credentialId, input: { to: [friend.email], subject: 'x', replyTo: { mailbox: 'INBOX', uid: 999999 } }, ctx }))).code).toBe('not_found');
  });
});

describe('a password mailbox', () => {
  it('is added with its SMTP server (login checked first), sends, and keeps the copy in Sent', async () => {
    const userId = await f.createUser();
    const login = f.passwordMailbox();
    const recipient = f.passwordMailbox();
    passwordSmtp.addPasswordUser(login.email, login.password);
    const server = { host: f.passwordDovecot.host, port: f.passwordDovecot.port, secure: false, password: login.password };

    // A wrong SMTP password: refused, nothing saved.
    const refused = await failure(addPasswordAccount({ userId, input: { email: login.email, ...server, smtp: { host: passwordSmtp.host, port: passwordSmtp.port, password: 'wrong' } }, ctx }));
    expect(refused.code).toBe('invalid_request');
    expect(await f.tokens.database.db.mailCredential.count({ where: { userId } })).toBe(0);

    const account = await addPasswordAccount({ userId, input: { email: login.email, ...server, smtp: { host: passwordSmtp.host, port: passwordSmtp.port } }, ctx });
    const row = await f.tokens.database.db.mailCredential.findUniqueOrThrow({ where: { id: account.id } });
    expect(row).toMatchObject({ smtpHost: passwordSmtp.host, smtpPort: passwordSmtp.port, smtpSecure: false, smtpUsername: login.email });
    expect(row.smtpPasswordSealed).not.toContain(login.password);

    const { messageId } = await sendMessage({ userId, accountId: account.id, input: { to: [recipient.email], bcc: ['audit@imap.example'], subject: 'From a password mailbox', text: 'Hi' }, ctx });
    expect(passwordSmtp.received.at(-1)).toMatchObject({ user: login.email, from: login.email, to: [recipient.email, 'audit@imap.example'] });
    const sent = await listMessages({ userId, accountId: account.id, mailbox: 'Sent Items', limit: '5', ctx });
    expect(sent.messages.map((m) => m.subject)).toEqual(['From a password mailbox']);
    const copy = await f.imapService.withSession(account.id, async (client) => {
      const lock = await client.getMailboxLock('Sent Items', { readOnly: true });
      try {
        const found = await client.fetchOne(String(sent.messages[0]!.uid), { source: true, flags: true }, { uid: true });
        if (!found) throw new Error('not found');
        return found;
      } finally {
        lock.release();
      }
    });
    const parsed = await simpleParser(copy.source!);
    expect(parsed.messageId).toBe(messageId);
    // The Sent copy keeps Bcc, as mail clients do; what went out did not carry it.
    expect(copy.source!.toString()).toMatch(/^Bcc: audit@imap\.example/m);
    expect(passwordSmtp.received.at(-1)!.raw.toString()).not.toMatch(/^bcc:/im);
    expect([...copy.flags!]).toContain('\\Seen');

    // Disconnecting drops the SMTP password with the IMAP one.
    await disconnectAccount({ userId, accountId: account.id, ctx });
    const gone = await f.tokens.database.db.mailCredential.findUniqueOrThrow({ where: { id: account.id } });
    expect(gone).toMatchObject({ passwordSealed: null, smtpPasswordSealed: null });
  });

  it('without SMTP settings is a clear 400', async () => {
    const userId = await f.createUser();
    const login = f.passwordMailbox();
    const account = await addPasswordAccount({ userId, input: { email: login.email, host: f.passwordDovecot.host, port: f.passwordDovecot.port, secure: false, password: login.password }, ctx });
    const error = await failure(sendMessage({ userId, accountId: account.id, input: { to: ['x@imap.example'], subject: 'x' }, ctx }));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/SMTP/);
  });
});

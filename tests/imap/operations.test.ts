// Folders, pages and messages read from a real Dovecot through XOAUTH2 tokens of the emulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { parseListMessagesParams, type ImapService } from '@/lib/imap';
import { getMessage } from '@/lib/imap/get-message';
import { buildEml } from '../support/mail-fixtures';
import { createImapFixture, type ImapFixture } from '../support/imap';

let f: ImapFixture;
let imap: ImapService;

beforeAll(async () => {
  f = await createImapFixture();
  imap = f.imap();
});
afterAll(async () => {
  await f?.close();
});

async function mailbox() {
  return f.tokens.seedCredential();
}

const expectAppError = async (promise: Promise<unknown>, code: string) => {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
};

describe('listMailboxes', () => {
  it('lists folders with message and unseen counts, INBOX first', async () => {
    const { credentialId, email } = await mailbox();
    await f.dovecot.save(email, buildEml({ subject: 'one' }), { flags: ['\\Seen'] });
    await f.dovecot.save(email, buildEml({ subject: 'two' }));
    await f.dovecot.save(email, buildEml({ subject: 'three' }));
    await f.dovecot.save(email, buildEml({ subject: 'kept' }), { mailbox: 'Archive', flags: ['\\Seen'] });
    await f.dovecot.createMailbox(email, 'Projects/2024');

    const boxes = await imap.listMailboxes(credentialId);
    expect(boxes[0]).toEqual({ path: 'INBOX', name: 'INBOX', specialUse: '\\Inbox', messages: 3, unseen: 2 });
    const byPath = Object.fromEntries(boxes.map((b) => [b.path, b]));
    expect(byPath['Archive']).toEqual({ path: 'Archive', name: 'Archive', specialUse: '\\Archive', messages: 1, unseen: 0 });
    expect(byPath['Sent Items']?.specialUse).toBe('\\Sent');
    expect(byPath['Deleted Items']?.specialUse).toBe('\\Trash');
    expect(byPath['Projects/2024']).toMatchObject({ name: '2024', specialUse: null, messages: 0, unseen: 0 });
  });

  it("counts mail delivered while the session has the folder open (the session's view is synced first)", async () => {
    const { credentialId, email } = await mailbox();
    await f.dovecot.save(email, buildEml({ subject: 'first' }));
    // Listing the inbox leaves INBOX selected on the pooled session.
    await imap.listMessages(credentialId, parseListMessagesParams({ mailbox: 'INBOX' }));
    expect((await imap.listMailboxes(credentialId))[0]).toMatchObject({ path: 'INBOX', messages: 1, unseen: 1 });
    await f.dovecot.save(email, buildEml({ subject: 'delivered meanwhile' }));
    expect((await imap.listMailboxes(credentialId))[0]).toMatchObject({ path: 'INBOX', messages: 2, unseen: 2 });
  });
});

describe('listMessages', () => {
  it('pages newest first with a UID cursor that is stable while new mail arrives', async () => {
    const { credentialId, email } = await mailbox();
    for (let i = 1; i <= 7; i++) {
      await f.dovecot.save(email, buildEml({ subject: `m${i}`, date: new Date(Date.UTC(2024, 0, i)) }), i % 2 ? { flags: ['\\Seen'] } : {});
    }
    const first = await imap.listMessages(credentialId, parseListMessagesParams({ limit: '3' }));
    expect(first.messages.map((m) => m.subject)).toEqual(['m7', 'm6', 'm5']);
    expect(first.messages[0]).toMatchObject({
      uid: 7,
      from: { name: 'Sender', address: 'sender@example.com' },
      to: [{ name: 'Recipient', address: 'recipient@example.com' }],
      date: '2024-01-07T00:00:00.000Z',
      flags: ['\\Seen'],
    });
    expect(first.messages[1]?.flags).toEqual([]);
    expect(first.messages[0]?.size).toBeGreaterThan(100);
    expect(first.nextCursor).toEqual(expect.any(String));

    // New mail between pages does not shift the next page.
    await f.dovecot.save(email, buildEml({ subject: 'late arrival' }));
    const second = await imap.listMessages(credentialId, parseListMessagesParams({ limit: 3, cursor: first.nextCursor }));
    expect(second.messages.map((m) => m.subject)).toEqual(['m4', 'm3', 'm2']);
    const third = await imap.listMessages(credentialId, parseListMessagesParams({ limit: 3, cursor: second.nextCursor }));
    expect(third.messages.map((m) => m.subject)).toEqual(['m1']);
    expect(third.nextCursor).toBeNull();

    const fresh = await imap.listMessages(credentialId, parseListMessagesParams({}));
    expect(fresh.messages.map((m) => m.subject)[0]).toBe('late arrival');
    expect(fresh.messages).toHaveLength(8);
    expect(fresh.nextCursor).toBeNull();
  });

  it('returns an empty page for an empty folder, and not_found for a missing one', async () => {
    const { credentialId } = await mailbox();
    expect(await imap.listMessages(credentialId, parseListMessagesParams({ mailbox: 'Drafts' }))).toEqual({ messages: [], nextCursor: null });
    await expectAppError(imap.listMessages(credentialId, parseListMessagesParams({ mailbox: 'No Such Folder' })), 'not_found');
  });

  it('refuses a cursor from another mailbox state', async () => {
    const { credentialId, email } = await mailbox();
    for (let i = 0; i < 3; i++) await f.dovecot.save(email, buildEml({ subject: `a${i}` }));
    await f.dovecot.save(email, buildEml({ subject: 'b' }), { mailbox: 'Archive' });
    const page = await imap.listMessages(credentialId, parseListMessagesParams({ limit: 1 }));
    // Archive has its own UIDVALIDITY: a cursor from INBOX means nothing there.
    await expectAppError(imap.listMessages(credentialId, parseListMessagesParams({ mailbox: 'Archive', cursor: page.nextCursor })), 'invalid_request');
  });
});

describe('getMessage', () => {
  it('parses headers, text, html and attachment metadata without marking the message read', async () => {
    const { credentialId, email } = await mailbox();
    const uid = await f.dovecot.save(
      email,
      buildEml({
        from: '"Zoë Example" <zoe@example.com>',
        to: 'Al <al@example.com>, bo@example.com',
        cc: 'Cy <cy@example.com>',
        subject: 'Quarterly numbers — draft',
        date: new Date('2024-03-04T05:06:07Z'),
        text: 'Plain body',
        html: '<p>Hello <b>there</b></p>',
        attachments: [{ filename: 'report.pdf', contentType: 'application/pdf', content: Buffer.alloc(1234, 7) }],
      }),
    );
    const message = await imap.getMessage(credentialId, { mailbox: 'INBOX', uid });
    expect(message).toEqual({
      uid,
      subject: 'Quarterly numbers — draft',
      from: { name: 'Zoë Example', address: 'zoe@example.com' },
      to: [
        { name: 'Al', address: 'al@example.com' },
        { name: '', address: 'bo@example.com' },
      ],
      cc: [{ name: 'Cy', address: 'cy@example.com' }],
      date: '2024-03-04T05:06:07.000Z',
      // Unread, and still unread after being read through the API.
      flags: [],
      text: 'Plain body',
      html: '<p>Hello <b>there</b></p>',
      attachments: [{ id: '2', filename: 'report.pdf', contentType: 'application/pdf', size: 1234 }],
    });
    const [summary] = (await imap.listMessages(credentialId, parseListMessagesParams({ limit: 1 }))).messages;
    expect(summary?.flags).not.toContain('\\Seen');
  });

  it('sanitizes html: no script, no handlers, no javascript: links, no remote images', async () => {
    const { credentialId, email } = await mailbox();
    const uid = await f.dovecot.save(
      email,
      buildEml({
        html: [
          '<script>alert(1)</script>',
          '<img src="https://tracker.example/p.gif" onerror="alert(2)" alt="logo">',
          '<a href="javascript:alert(3)">bad</a>',
          '<a href="https://example.com/ok" onclick="alert(4)">ok</a>',
          '<div style="background-image:url(https://tracker.example/bg.png);color:red">styled</div>',
        ].join(''),
      }),
    );
    const { html } = await imap.getMessage(credentialId, { mailbox: 'INBOX', uid });
    expect(html).not.toMatch(/script|alert|onerror|onclick|javascript:|url\(/i);
    expect(html).not.toMatch(/\ssrc=/);
    expect(html).toContain('data-remote-src="https://tracker.example/p.gif"');
    expect(html).toContain('<a href="https://example.com/ok" target="_blank" rel="noopener noreferrer">ok</a>');
    expect(html).toContain('<a target="_blank" rel="noopener noreferrer">bad</a>');
    expect(html).toContain('styled');
  });

  it('is not_found for a UID that does not exist', async () => {
    const { credentialId } = await mailbox();
    await expectAppError(imap.getMessage(credentialId, { mailbox: 'INBOX', uid: 999 }), 'not_found');
  });
});

describe('getMessage size cap', () => {
  it('refuses to load a message larger than the cap, without fetching its body', async () => {
    const { credentialId, email } = await mailbox();
    const uid = await f.dovecot.save(email, buildEml({ subject: 'big', text: 'x'.repeat(5_000) }));
    const error = await imap.withSession(credentialId, (client) => getMessage(client, { mailbox: 'INBOX', uid, maxBytes: 1_000 })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/too large/);
    const ok = await imap.withSession(credentialId, (client) => getMessage(client, { mailbox: 'INBOX', uid, maxBytes: 100_000 }));
    expect(ok.subject).toBe('big');
  });
});

// Flags, move, delete and search on a real Dovecot, through the pooled XOAUTH2 sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { parseListMessagesParams, type ImapService } from '@/lib/imap';
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

const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (e: unknown) => (e instanceof AppError ? e.code : String(e)));
const subjects = async (credentialId: string, raw: Record<string, string> = {}) =>
  (await imap.listMessages(credentialId, parseListMessagesParams(raw))).messages.map((m) => m.subject);

describe('flags', () => {
  it('sets and clears seen and flagged, and reading the message changes neither', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const uid = await f.dovecot.save(email, buildEml({ subject: 'to flag' }));
    expect((await imap.getMessage(credentialId, { mailbox: 'INBOX', uid })).flags).toEqual([]);
    expect(await imap.setMessageFlags(credentialId, { mailbox: 'INBOX', uid, change: { seen: true, flagged: true } })).toEqual(['\\Flagged', '\\Seen']);
    expect(await imap.setMessageFlags(credentialId, { mailbox: 'INBOX', uid, change: { seen: false } })).toEqual(['\\Flagged']);
    const [listed] = (await imap.listMessages(credentialId, parseListMessagesParams({}))).messages;
    expect(listed).toMatchObject({ uid, flags: ['\\Flagged'] });
    expect((await imap.getMessage(credentialId, { mailbox: 'INBOX', uid })).flags).toEqual(['\\Flagged']);
    expect(await codeOf(imap.setMessageFlags(credentialId, { mailbox: 'INBOX', uid: uid + 100, change: { seen: true } }))).toBe('not_found');
  });

  it('reuses the pooled session: no login per action', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const uid = await f.dovecot.save(email, buildEml({ subject: 'pooled' }));
    await imap.listMessages(credentialId, parseListMessagesParams({}));
    const logins = f.dovecot.loginCount(email);
    await imap.setMessageFlags(credentialId, { mailbox: 'INBOX', uid, change: { seen: true } });
    await imap.setMessageFlags(credentialId, { mailbox: 'INBOX', uid, change: { flagged: true } });
    await imap.listMessages(credentialId, parseListMessagesParams({}));
    expect(f.dovecot.loginCount(email)).toBe(logins);
  });
});

describe('move and delete', () => {
  it('moves to another folder and reports the new UID', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    await f.dovecot.save(email, buildEml({ subject: 'already filed' }), { mailbox: 'Archive' });
    const uid = await f.dovecot.save(email, buildEml({ subject: 'to file' }));
    const moved = await imap.moveMessage(credentialId, { mailbox: 'INBOX', uid, to: 'Archive' });
    expect(moved.uid).toBe(2);
    expect(await subjects(credentialId)).toEqual([]);
    expect(await subjects(credentialId, { mailbox: 'Archive' })).toEqual(['to file', 'already filed']);
    expect((await imap.getMessage(credentialId, { mailbox: 'Archive', uid: moved.uid! })).subject).toBe('to file');
  });

  it('refuses an unknown target, an unknown message and the same folder, changing nothing', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const uid = await f.dovecot.save(email, buildEml({ subject: 'stays' }));
    expect(await codeOf(imap.moveMessage(credentialId, { mailbox: 'INBOX', uid, to: 'Nowhere' }))).toBe('not_found');
    expect(await codeOf(imap.moveMessage(credentialId, { mailbox: 'INBOX', uid: uid + 1, to: 'Archive' }))).toBe('not_found');
    expect(await codeOf(imap.moveMessage(credentialId, { mailbox: 'INBOX', uid, to: 'INBOX' }))).toBe('invalid_request');
    expect(await codeOf(imap.moveMessage(credentialId, { mailbox: 'INBOX', uid, to: 'inbox' }))).toBe('invalid_request');
    expect(await subjects(credentialId)).toEqual(['stays']);
  });

  it('deletes to Trash (Deleted Items), and from Trash for good', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const keep = await f.dovecot.save(email, buildEml({ subject: 'keep' }));
    const uid = await f.dovecot.save(email, buildEml({ subject: 'unwanted' }));
    expect(await imap.deleteMessage(credentialId, { mailbox: 'INBOX', uid })).toEqual({ expunged: false });
    expect(await subjects(credentialId)).toEqual(['keep']);
    expect(await subjects(credentialId, { mailbox: 'Deleted Items' })).toEqual(['unwanted']);
    const [inTrash] = (await imap.listMessages(credentialId, parseListMessagesParams({ mailbox: 'Deleted Items' }))).messages;
    expect(await imap.deleteMessage(credentialId, { mailbox: 'Deleted Items', uid: inTrash!.uid })).toEqual({ expunged: true });
    expect(await subjects(credentialId, { mailbox: 'Deleted Items' })).toEqual([]);
    expect(await subjects(credentialId)).toEqual(['keep']);
    expect(await codeOf(imap.deleteMessage(credentialId, { mailbox: 'INBOX', uid: keep + 50 }))).toBe('not_found');
  });
});

describe('pooled sessions see changes made elsewhere', () => {
  it('a folder already open in a session is listed without what another session moved or deleted', async () => {
    // Two instances of the service, one session each: as two app instances, or Outlook beside us.
    const first = f.imap({ maxSessionsPerMailbox: 1 });
    const second = f.imap({ maxSessionsPerMailbox: 1 });
    const { credentialId, email } = await f.tokens.seedCredential();
    const moving = await f.dovecot.save(email, buildEml({ subject: 'moving' }));
    const deleting = await f.dovecot.save(email, buildEml({ subject: 'deleting' }));
    await f.dovecot.save(email, buildEml({ subject: 'staying' }));
    const list = async () => (await first.listMessages(credentialId, parseListMessagesParams({}))).messages.map((m) => m.subject);
    expect(await list()).toEqual(['staying', 'deleting', 'moving']);

    await second.moveMessage(credentialId, { mailbox: 'INBOX', uid: moving, to: 'Archive' });
    await second.deleteMessage(credentialId, { mailbox: 'INBOX', uid: deleting });
    await f.dovecot.save(email, buildEml({ subject: 'arrived' }));
    expect(await list()).toEqual(['arrived', 'staying']);
    expect(await codeOf(first.getMessage(credentialId, { mailbox: 'INBOX', uid: moving }))).toBe('not_found');
  });
});

describe('search', () => {
  it('matches subject, sender and body text, newest first, paged with the cursor', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    for (let i = 1; i <= 5; i++) {
      await f.dovecot.save(email, buildEml({ subject: `Budget ${i}`, date: new Date(Date.UTC(2024, 0, i)), text: 'numbers' }));
      await f.dovecot.save(email, buildEml({ subject: `Lunch ${i}`, text: 'sandwiches' }));
    }
    await f.dovecot.save(email, buildEml({ subject: 'From finance', from: 'Finance Team <budget-office@fabrikam.test>', text: 'hi' }));
    await f.dovecot.save(email, buildEml({ subject: 'Question', text: 'Is the budget approved?' }));

    const first = await imap.listMessages(credentialId, parseListMessagesParams({ q: 'budget', limit: '4' }));
    expect(first.messages.map((m) => m.subject)).toEqual(['Question', 'From finance', 'Budget 5', 'Budget 4']);
    expect(first.nextCursor).not.toBeNull();
    const second = await imap.listMessages(credentialId, parseListMessagesParams({ q: 'budget', limit: '4', cursor: first.nextCursor! }));
    expect(second.messages.map((m) => m.subject)).toEqual(['Budget 3', 'Budget 2', 'Budget 1']);
    expect(second.nextCursor).toBeNull();
    expect(await subjects(credentialId, { q: 'no such words anywhere' })).toEqual([]);
  });

  it('refuses search text that is too long or carries control characters', () => {
    const refused = (q: string) => {
      try {
        parseListMessagesParams({ q });
        return 'accepted';
      } catch (error) {
        return error instanceof AppError ? error.code : String(error);
      }
    };
    expect(refused('x'.repeat(201))).toBe('invalid_request');
    expect(refused('a\r\nA1 LOGOUT')).toBe('invalid_request');
    expect(refused('tab\there')).toBe('invalid_request');
    expect(refused('   ')).toBe('invalid_request');
    expect(refused('Grüße')).toBe('accepted');
  });
});

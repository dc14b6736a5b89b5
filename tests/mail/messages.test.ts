// The inbox verbs as routes call them: parameters validated first (400), ownership in the query
// (404 for anyone else's mailbox), re-authorization reported (409).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { getMessage, listAccounts, listMailboxes, listMessages } from '@/lib/mail';
import { buildEml } from '../support/mail-fixtures';
import { createMailFixture, type MailFixture } from '../support/mail';

let f: MailFixture;
let owner: { userId: string; credentialId: string; email: string };
let intruder: string;
let uid: number;

beforeAll(async () => {
  f = await createMailFixture();
  owner = await f.tokens.seedCredential();
  intruder = await f.createUser();
  for (let i = 1; i <= 3; i++) uid = await f.dovecot.save(owner.email, buildEml({ subject: `hello ${i}`, html: `<p onclick="x()">body ${i}</p>` }));
});
afterAll(async () => {
  await f?.close();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return (error as AppError).code;
}

describe("the owner's mailbox", () => {
  it('lists folders, pages messages and shows one', async () => {
    const ctx = f.ctx;
    const boxes = await listMailboxes({ userId: owner.userId, accountId: owner.credentialId, ctx });
    expect(boxes[0]).toMatchObject({ path: 'INBOX', messages: 3, unseen: 3 });

    const page = await listMessages({ userId: owner.userId, accountId: owner.credentialId, mailbox: 'INBOX', limit: '2', ctx });
    expect(page.messages.map((m) => m.subject)).toEqual(['hello 3', 'hello 2']);
    const next = await listMessages({ userId: owner.userId, accountId: owner.credentialId, limit: '2', cursor: page.nextCursor, ctx });
    expect(next.messages.map((m) => m.subject)).toEqual(['hello 1']);

    const message = await getMessage({ userId: owner.userId, accountId: owner.credentialId, uid: String(uid), mailbox: 'INBOX', ctx });
    expect(message).toMatchObject({ uid, subject: 'hello 3', html: '<p>body 3</p>' });
  });
});

describe("someone else's mailbox", () => {
  it('is not_found for every verb, exactly like a mailbox that does not exist', async () => {
    const ctx = f.ctx;
    for (const accountId of [owner.credentialId, 'no-such-id', 'x'.repeat(500)]) {
      expect(await codeOf(listMailboxes({ userId: intruder, accountId, ctx }))).toBe('not_found');
      expect(await codeOf(listMessages({ userId: intruder, accountId, ctx }))).toBe('not_found');
      expect(await codeOf(getMessage({ userId: intruder, accountId, uid: '1', ctx }))).toBe('not_found');
    }
  });
});

describe('bad parameters', () => {
  it.each([
    ['negative limit', { limit: '-1' }],
    ['zero limit', { limit: '0' }],
    ['huge limit', { limit: '1000' }],
    ['CR/LF in mailbox', { mailbox: 'INBOX\r\nA1 DELETE INBOX' }],
    ['NUL in mailbox', { mailbox: 'IN\0BOX' }],
    ['garbage cursor', { cursor: '!!' }],
  ])('listMessages: %s → invalid_request', async (_name, query) => {
    expect(await codeOf(listMessages({ userId: owner.userId, accountId: owner.credentialId, ...query, ctx: f.ctx }))).toBe('invalid_request');
  });

  it.each(['abc', '-5', '0', '1.5'])('getMessage: uid=%s → invalid_request', async (badUid) => {
    expect(await codeOf(getMessage({ userId: owner.userId, accountId: owner.credentialId, uid: badUid, ctx: f.ctx }))).toBe('invalid_request');
  });
});

describe('a mailbox whose grant is gone', () => {
  it('reports needs_reauth (409) and shows it in the account list', async () => {
    const victim = await f.tokens.seedCredential();
    await listMailboxes({ userId: victim.userId, accountId: victim.credentialId, ctx: f.ctx });
    await f.imapService.closeSessionsFor(victim.credentialId);
    f.tokens.emulator.expireAccessTokens(victim.email);
    f.tokens.emulator.revokeGrants(victim.email);

    expect(await codeOf(listMessages({ userId: victim.userId, accountId: victim.credentialId, ctx: f.ctx }))).toBe('needs_reauth');
    expect((await listAccounts({ userId: victim.userId, ctx: f.ctx }))[0]?.status).toBe('needs_reauth');
    // Afterwards no IMAP login is even attempted.
    const logins = f.dovecot.loginCount(victim.email);
    expect(await codeOf(getMessage({ userId: victim.userId, accountId: victim.credentialId, uid: '1', ctx: f.ctx }))).toBe('needs_reauth');
    expect(f.dovecot.loginCount(victim.email)).toBe(logins);
  });
});

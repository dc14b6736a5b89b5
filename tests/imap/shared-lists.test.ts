// Message lists on the real stack (Dovecot, XOAUTH2, the token layer): identical concurrent calls
// share one IMAP fetch and each still gets the right page; a failure reaches every caller; every
// caller's ownership is checked; a read that started before a caller arrived is not shared; and
// mail delivered by another client shows on the next list over a reused session.
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '@/lib/errors';
import { createAccountLoader, parseListMessagesParams, type ImapService } from '@/lib/imap';
import { encodeCursor } from '@/lib/imap/cursor';
import { listMessages, type MailContext } from '@/lib/mail';
import { buildEml } from '../support/mail-fixtures';
import { createImapFixture, type ImapFixture } from '../support/imap';
import { waitFor } from '../support/net';

let f: ImapFixture;

beforeAll(async () => {
  f = await createImapFixture();
});
afterAll(async () => {
  await f?.close();
});

/** A mailbox with `count` messages and a service holding one warm session of it, whose fetches are counted. */
async function warmMailbox(count: number) {
  const owner = await f.tokens.seedCredential();
  for (let i = 1; i <= count; i++) await f.dovecot.save(owner.email, buildEml({ subject: `m${i}` }));
  const imap = f.imap({ maxSessionsPerMailbox: 1 });
  await imap.listMessages(owner.credentialId, parseListMessagesParams({}));
  const client = await imap.withSession(owner.credentialId, async (c) => c);
  const fetches = vi.spyOn(client, 'fetchAll');
  return { owner, imap, client, fetches };
}

const subjects = (page: { messages: Array<{ subject: string }> }) => page.messages.map((m) => m.subject);

function ctxFor(imap: ImapService): MailContext {
  return { db: f.tokens.database.db, imap, secrets: f.tokens.secrets, forgetCachedTokens: async () => {} };
}

describe('identical concurrent message lists', () => {
  it('share one IMAP fetch, and every caller gets the same correct page, which none can change', async () => {
    const { owner, imap, fetches } = await warmMailbox(6);
    const params = parseListMessagesParams({ limit: 3 });
    const pages = await Promise.all(Array.from({ length: 10 }, () => imap.listMessages(owner.credentialId, params)));
    expect(fetches).toHaveBeenCalledTimes(1);
    for (const page of pages) expect(subjects(page)).toEqual(['m6', 'm5', 'm4']);
    expect(Object.isFrozen(pages[0]!.messages[0])).toBe(true);
    expect(imap.stats().opened).toBe(1);
  });

  it('are shared only when folder, limit, cursor and search text all match', async () => {
    const { owner, imap, fetches } = await warmMailbox(6);
    const first = await imap.listMessages(owner.credentialId, parseListMessagesParams({ limit: 2 }));
    fetches.mockClear();
    const [a, b, c, d] = await Promise.all([
      imap.listMessages(owner.credentialId, parseListMessagesParams({ limit: 2 })),
      imap.listMessages(owner.credentialId, parseListMessagesParams({ limit: 3 })),
      imap.listMessages(owner.credentialId, parseListMessagesParams({ limit: 2, cursor: first.nextCursor })),
      imap.listMessages(owner.credentialId, parseListMessagesParams({ limit: 2, q: 'm1' })),
    ]);
    expect(fetches).toHaveBeenCalledTimes(4);
    expect(subjects(a!)).toEqual(['m6', 'm5']);
    expect(subjects(b!)).toEqual(['m6', 'm5', 'm4']);
    expect(subjects(c!)).toEqual(['m4', 'm3']);
    expect(subjects(d!)).toEqual(['m1']);
  });

  it('report one failure to every caller', async () => {
    const { owner, imap, client } = await warmMailbox(1);
    const locks = vi.spyOn(client, 'getMailboxLock');
    const params = parseListMessagesParams({ mailbox: 'No such folder' });
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => imap.listMessages(owner.credentialId, params)));
    expect(locks).toHaveBeenCalledTimes(1);
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      const reason = (o as PromiseRejectedResult).reason as unknown;
      expect(reason).toBeInstanceOf(AppError);
      expect(reason).toMatchObject({ code: 'not_found' });
    }
  });

  it("check each caller's ownership: someone else naming the mailbox is not_found while the owner's calls share a fetch", async () => {
    const { owner, imap, fetches } = await warmMailbox(4);
    const intruder = (await f.tokens.seedCredential()).userId;
    const ctx = ctxFor(imap);
    const call = (userId: string) => listMessages({ userId, accountId: owner.credentialId, limit: '2', ctx });
    const outcomes = await Promise.allSettled([call(owner.userId), call(intruder), call(owner.userId), call(intruder), call(owner.userId)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    for (const o of outcomes) {
      if (o.status === 'fulfilled') expect(subjects(o.value)).toEqual(['m4', 'm3']);
      else expect(o.reason).toMatchObject({ code: 'not_found' });
    }
    // On a warm session a call's read may start before its ownership query ends (and is then
    // dropped for the intruders); never more than one fetch per call.
    expect(fetches.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(fetches.mock.calls.length).toBeLessThanOrEqual(5);
  });

  it('do not answer a caller from a read that had already started when it arrived', async () => {
    const { owner, imap, client, fetches } = await warmMailbox(2);
    // The unspied method: the spy on the instance would count this call a second time.
    const original: ImapFlow['fetchAll'] = (...args) => ImapFlow.prototype.fetchAll.apply(client, args);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    fetches.mockImplementationOnce(async (...args: Parameters<ImapFlow['fetchAll']>) => {
      await held;
      return original(...args);
    });
    const params = parseListMessagesParams({});
    const early = imap.listMessages(owner.credentialId, params);
    await waitFor(() => fetches.mock.calls.length === 1, { what: 'the first fetch to start' });
    // Delivered by another client after the first read started, before the second call arrived.
    await f.dovecot.save(owner.email, buildEml({ subject: 'm3' }));
    const late = imap.listMessages(owner.credentialId, params);
    release();
    expect(subjects(await early)).toEqual(['m2', 'm1']);
    expect(subjects(await late)).toEqual(['m3', 'm2', 'm1']);
    expect(fetches).toHaveBeenCalledTimes(2);
  });
});

describe('a reused session', () => {
  it('lists a message another client delivered since the last list', async () => {
    const { owner, imap } = await warmMailbox(2);
    const params = parseListMessagesParams({});
    expect(subjects(await imap.listMessages(owner.credentialId, params))).toEqual(['m2', 'm1']);
    await f.dovecot.save(owner.email, buildEml({ subject: 'delivered elsewhere' }));
    expect(subjects(await imap.listMessages(owner.credentialId, params))).toEqual(['delivered elsewhere', 'm2', 'm1']);
    expect(imap.stats().opened).toBe(1);
  });
});

describe('a cold session opened through lib/mail', () => {
  it("logs in with the account the ownership query loaded: no second query for a Microsoft mailbox", async () => {
    const owner = await f.tokens.seedCredential();
    await f.dovecot.save(owner.email, buildEml({ subject: 'only' }));
    const load = createAccountLoader({ db: async () => f.tokens.database.db, secrets: f.tokens.secrets });
    const loads: string[] = [];
    const imap = f.imap({
      loadAccount: (id) => {
        loads.push(id);
        return load(id);
      },
    });
    const page = await listMessages({ userId: owner.userId, accountId: owner.credentialId, ctx: ctxFor(imap) });
    expect(subjects(page)).toEqual(['only']);
    expect(imap.stats().opened).toBe(1);
    expect(loads).toEqual([]);
    // Callers that name the mailbox by id still get it loaded at login.
    await imap.closeSessionsFor(owner.credentialId);
    expect(subjects(await imap.listMessages(owner.credentialId, parseListMessagesParams({})))).toEqual(['only']);
    expect(loads).toEqual([owner.credentialId]);
  });
});

describe('a list on a warm session (read overlapped with the ownership query)', () => {
  it("answers someone else not_found, never the read's own outcome", async () => {
    const { owner, imap } = await warmMailbox(2);
    const intruder = (await f.tokens.seedCredential()).userId;
    const ctx = ctxFor(imap);
    // A cursor from another mailbox state: the read itself fails with invalid_request.
    const cursor = encodeCursor({ uidValidity: '1', beforeUid: 5 });
    const asOwner = await listMessages({ userId: owner.userId, accountId: owner.credentialId, cursor, ctx }).catch((e: unknown) => e);
    expect(asOwner).toMatchObject({ code: 'invalid_request' });
    for (const query of [{ cursor }, { mailbox: 'No such folder' }, {}]) {
      const asIntruder = await listMessages({ userId: intruder, accountId: owner.credentialId, ...query, ctx }).catch((e: unknown) => e);
      expect(asIntruder).toBeInstanceOf(AppError);
      expect(asIntruder).toMatchObject({ code: 'not_found' });
    }
  });

  it('reports needs_reauth for a mailbox marked so, though its session is still pooled', async () => {
    const { owner, imap } = await warmMailbox(1);
    await f.tokens.database.db.mailCredential.update({ where: { id: owner.credentialId }, data: { status: 'needs_reauth' } });
    try {
      const error = await listMessages({ userId: owner.userId, accountId: owner.credentialId, ctx: ctxFor(imap) }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'needs_reauth' });
    } finally {
      await f.tokens.database.db.mailCredential.update({ where: { id: owner.credentialId }, data: { status: 'active' } });
    }
  });

  it('uses the pooled session for the owner: one fetch, no login', async () => {
    const { owner, imap, fetches } = await warmMailbox(3);
    const page = await listMessages({ userId: owner.userId, accountId: owner.credentialId, limit: '2', ctx: ctxFor(imap) });
    expect(subjects(page)).toEqual(['m3', 'm2']);
    expect(fetches).toHaveBeenCalledTimes(1);
    expect(imap.stats().opened).toBe(1);
  });
});

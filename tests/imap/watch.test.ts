// Mailbox watchers against a real Dovecot and the real token layer: new mail, flag changes and
// deletions pushed over IDLE; one IDLE session per folder however many listeners; the session
// logged out after the last listener leaves; reconnect after the server ends it; a revoked grant
// ends the watch with needs_reauth; an unknown folder is not_found.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import type { ImapService, WatchEvent } from '@/lib/imap';
import { buildEml } from '../support/mail-fixtures';
import { createImapFixture, type ImapFixture } from '../support/imap';
import { waitFor } from '../support/net';

let f: ImapFixture;
let imap: ImapService;

beforeAll(async () => {
  f = await createImapFixture();
  imap = f.imap({ watchGraceMs: 200, watchReconnectDelayMs: () => 100 });
});
afterAll(async () => {
  await f?.close();
});

function recorder() {
  const events: WatchEvent[] = [];
  return {
    events,
    listener: (event: WatchEvent) => events.push(event),
    async next<T extends WatchEvent['type']>(type: T, from = 0): Promise<Extract<WatchEvent, { type: T }>> {
      let found: WatchEvent | undefined;
      await waitFor(() => (found = events.slice(from).find((e) => e.type === type)) !== undefined, { timeoutMs: 15_000, what: `a ${type} event` });
      return found as Extract<WatchEvent, { type: T }>;
    },
  };
}

describe('mailbox watcher', () => {
  it('reports new mail, flag changes and deletions of the watched folder', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const old = await f.dovecot.save(email, buildEml({ to: email, subject: 'Already there' }));
    const r = recorder();
    const sub = imap.watchMailbox(credentialId, 'INBOX', r.listener);
    await expect(sub.ready).resolves.toMatchObject({ mailbox: 'INBOX', count: 1 });
    expect(r.events[0]).toMatchObject({ type: 'ready', count: 1 });

    const uid = await f.dovecot.save(email, buildEml({ to: email, from: 'Grace <grace@fabrikam.test>', subject: 'Fresh news' }));
    const exists = await r.next('exists');
    expect(exists).toMatchObject({ count: 2, messages: [{ uid, subject: 'Fresh news', from: { name: 'Grace', address: 'grace@fabrikam.test' }, flags: [] }] });

    // A change made through the pooled session reaches the watcher's own session.
    let mark = r.events.length;
    await imap.setMessageFlags(credentialId, { mailbox: 'INBOX', uid: old, change: { flagged: true } });
    expect(await r.next('flags', mark)).toEqual({ type: 'flags', uid: old, flags: ['\\Flagged'] });

    mark = r.events.length;
    await imap.deleteMessage(credentialId, { mailbox: 'INBOX', uid: old });
    expect(await r.next('expunge', mark)).toEqual({ type: 'expunge', uid: old });
    // Sequence numbers moved: the remaining message's change is still reported by its UID.
    mark = r.events.length;
    await imap.setMessageFlags(credentialId, { mailbox: 'INBOX', uid, change: { seen: true } });
    expect(await r.next('flags', mark)).toEqual({ type: 'flags', uid, flags: ['\\Seen'] });
    sub.close();
  });

  it('uses one IDLE session per folder for many listeners, and logs it out after the last leaves', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const before = imap.watchStats().started;
    const rs = [recorder(), recorder(), recorder()];
    const subs = rs.map((r) => imap.watchMailbox(credentialId, r === rs[1] ? 'inbox' : 'INBOX', r.listener));
    await Promise.all(subs.map((s) => s.ready));
    expect(imap.watchStats().started - before).toBe(1);
    expect(f.dovecot.loginCount(email)).toBe(1);
    expect(await f.dovecot.openSessions(email)).toBe(1);
    // Every listener hears about new mail.
    const uid = await f.dovecot.save(email, buildEml({ to: email, subject: 'For all tabs' }));
    for (const r of rs) expect((await r.next('exists')).messages.map((m) => m.uid)).toEqual([uid]);

    subs[0]!.close();
    subs[1]!.close();
    // Leaving twice counts once.
    subs[1]!.close();
    expect(await f.dovecot.openSessions(email)).toBe(1);
    subs[2]!.close();
    await waitFor(async () => (await f.dovecot.openSessions(email)) === 0, { timeoutMs: 10_000, what: 'the IDLE session to log out' });
    expect(imap.watchStats().watchers).toBe(0);
    // Coming back opens a new one.
    const again = imap.watchMailbox(credentialId, 'INBOX', () => {});
    await again.ready;
    expect(f.dovecot.loginCount(email)).toBe(2);
    again.close();
  });

  it('a listener back within the grace period keeps the session', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const slow = f.imap({ watchGraceMs: 60_000 });
    const first = slow.watchMailbox(credentialId, 'INBOX', () => {});
    await first.ready;
    first.close();
    const second = slow.watchMailbox(credentialId, 'INBOX', () => {});
    await second.ready;
    expect(f.dovecot.loginCount(email)).toBe(1);
    second.close();
    await slow.closeWatchers();
    await waitFor(async () => (await f.dovecot.openSessions(email)) === 0, { timeoutMs: 10_000, what: 'shutdown to log out' });
  });

  it('reconnects with a fresh session when the server ends it, and says to reload', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const r = recorder();
    const sub = imap.watchMailbox(credentialId, 'INBOX', r.listener);
    await sub.ready;
    await f.dovecot.kick(email);
    expect(await r.next('reset')).toEqual({ type: 'reset', reason: 'reconnected' });
    expect(f.dovecot.loginCount(email)).toBe(2);
    const mark = r.events.length;
    const uid = await f.dovecot.save(email, buildEml({ to: email, subject: 'After the reconnect' }));
    expect((await r.next('exists', mark)).messages.map((m) => m.uid)).toEqual([uid]);
    sub.close();
  });

  it('ends with needs_reauth when the server ends the session and the grant is gone', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const r = recorder();
    const sub = imap.watchMailbox(credentialId, 'INBOX', r.listener);
    await sub.ready;
    f.tokens.emulator.revokeGrants(email);
    f.tokens.emulator.expireAccessTokens(email);
    await f.dovecot.kick(email);
    expect(await r.next('error')).toMatchObject({ type: 'error', code: 'needs_reauth' });
    expect(imap.watchStats().watchers).toBe(0);
    sub.close();
  });

  it('watches a bounded number of folders per mailbox; one nobody listens to makes room', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const bounded = f.imap({ maxWatchedFoldersPerMailbox: 2, watchGraceMs: 60_000 });
    const inbox = bounded.watchMailbox(credentialId, 'INBOX', () => {});
    const archive = bounded.watchMailbox(credentialId, 'Archive', () => {});
    await Promise.all([inbox.ready, archive.ready]);
    let error: unknown;
    try {
      bounded.watchMailbox(credentialId, 'Drafts', () => {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'upstream_unavailable', retryAfter: 30 });
    archive.close();
    const drafts = bounded.watchMailbox(credentialId, 'Drafts', () => {});
    await drafts.ready;
    expect(bounded.watchStats().watchers).toBe(2);
    await waitFor(async () => (await f.dovecot.openSessions(email)) === 2, { timeoutMs: 10_000, what: 'the Archive session to log out' });
    await bounded.closeWatchers();
  });

  it('an unknown folder is not_found, and nothing is left open', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const sub = imap.watchMailbox(credentialId, 'No such folder', () => {});
    const error = await sub.ready.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('not_found');
    sub.close();
    await waitFor(async () => (await f.dovecot.openSessions(email)) === 0, { timeoutMs: 10_000, what: 'the session to close' });
  });
});

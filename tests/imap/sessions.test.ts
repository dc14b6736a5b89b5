// Session lifecycle against a real Dovecot and the real token layer: reuse, idle close, the
// bound per mailbox, the one refresh-and-retry on a rejected XOAUTH2 login (SPEC §5.6), revoked
// grants, and sessions the server ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { parseListMessagesParams } from '@/lib/imap';
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

const refreshes = () => f.tokens.emulator.stats().token.refresh_token;
const introspections = () => f.tokens.emulator.stats().introspect;
const callsFor = (credentialId: string) => f.ensureCalls.filter((c) => c.credentialId === credentialId);

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('sessions', () => {
  it('logs in with XOAUTH2 once and reuses the session for later calls', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const imap = f.imap();
    await imap.listMailboxes(credentialId);
    await imap.listMessages(credentialId, parseListMessagesParams({}));
    await imap.listMailboxes(credentialId);
    expect(imap.stats().opened).toBe(1);
    expect(f.dovecot.loginCount(email)).toBe(1);
    expect(callsFor(credentialId)).toHaveLength(1);
  });

  it('closes sessions left idle, and opens a new one on the next call', async () => {
    const { credentialId } = await f.tokens.seedCredential();
    const imap = f.imap({ idleMs: 150 });
    await imap.listMailboxes(credentialId);
    expect(imap.stats().open[credentialId]).toBe(1);
    await waitFor(() => imap.stats().open[credentialId] === undefined, { timeoutMs: 3_000, what: 'idle close' });
    await imap.listMailboxes(credentialId);
    expect(imap.stats().opened).toBe(2);
  });

  it('opens at most two sessions per mailbox however many requests run at once', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    for (let i = 0; i < 5; i++) await f.dovecot.save(email, buildEml({ subject: `n${i}` }));
    const imap = f.imap();
    const pages = await Promise.all(Array.from({ length: 12 }, () => imap.listMessages(credentialId, parseListMessagesParams({ limit: 2 }))));
    expect(pages.every((p) => p.messages.length === 2)).toBe(true);
    expect(imap.stats().opened).toBeLessThanOrEqual(2);
    expect(imap.stats().open[credentialId]).toBeLessThanOrEqual(2);
  });

  it('closeSessionsFor logs the mailbox out; the next call logs in again', async () => {
    const { credentialId } = await f.tokens.seedCredential();
    const imap = f.imap();
    await imap.listMailboxes(credentialId);
    await imap.closeSessionsFor(credentialId);
    expect(imap.stats().open[credentialId]).toBeUndefined();
    await imap.listMailboxes(credentialId);
    expect(imap.stats().opened).toBe(2);
  });

  it('does not pool a session whose login was in flight when the mailbox was closed', async () => {
    const { credentialId } = await f.tokens.seedCredential();
    const real = f.tokens.service();
    const imap = f.imap({
      ensureFreshToken: async (id, resource, options) => {
        await new Promise((r) => setTimeout(r, 200));
        return real.ensureFreshToken(id, resource, options);
      },
    });
    const pending = imap.listMailboxes(credentialId);
    await new Promise((r) => setTimeout(r, 50));
    await imap.closeSessionsFor(credentialId); // e.g. disconnected meanwhile
    expect((await pending)[0]?.path).toBe('INBOX');
    await waitFor(() => imap.stats().open[credentialId] === undefined, { timeoutMs: 3_000, what: 'session to close' });
  });

  it('reopens a session the server ended (BYE) on next use, without an error', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const imap = f.imap();
    await imap.listMailboxes(credentialId);
    await f.dovecot.kick(email);
    await waitFor(() => imap.stats().open[credentialId] === undefined, { timeoutMs: 3_000, what: 'session to close' });
    const boxes = await imap.listMailboxes(credentialId);
    expect(boxes[0]?.path).toBe('INBOX');
    expect(imap.stats().opened).toBe(2);
  });

  it('keeps no bookkeeping for mailboxes that fail to open', async () => {
    const imap = f.imap({ maxSessionsPerMailbox: 1 });
    for (let i = 0; i < 20; i++) expect((await errorOf(imap.listMailboxes(`no-such-credential-${i}`))).code).toBe('not_found');
    // Callers queued behind a failing login as well.
    const queued = await Promise.all(Array.from({ length: 4 }, () => errorOf(imap.listMailboxes('no-such-credential'))));
    expect(queued.map((e) => e.code)).toEqual(['not_found', 'not_found', 'not_found', 'not_found']);
    expect(imap.stats()).toMatchObject({ opened: 0, open: {}, tracked: 0 });

    const { credentialId } = await f.tokens.seedCredential();
    await imap.listMailboxes(credentialId);
    expect(imap.stats()).toMatchObject({ opened: 1, tracked: 1 });
    await imap.closeSessionsFor(credentialId);
    expect(imap.stats().tracked).toBe(0);
  });

  it('retries once on a new session when a reused one turns out to be dead', async () => {
    const { credentialId } = await f.tokens.seedCredential();
    const imap = f.imap();
    await imap.listMailboxes(credentialId);
    let attempts = 0;
    const result = await imap.withSession(credentialId, async (client) => {
      attempts += 1;
      // First attempt: the pooled connection dies under the command, as when the server dropped
      // it a moment ago and the close had not been seen yet.
      if (attempts === 1) client.close();
      return client.list();
    });
    expect(result.length).toBeGreaterThan(0);
    expect(attempts).toBe(2);
    expect(imap.stats().opened).toBe(2);
  });
});

describe('rejected XOAUTH2 login', () => {
  it('refreshes exactly once and retries the login once', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const imap = f.imap();
    await imap.listMailboxes(credentialId); // token minted, cached, session open
    await imap.closeSessionsFor(credentialId);
    // The server stops accepting the token the token layer still considers fresh.
    f.tokens.emulator.expireAccessTokens(email);
    const refreshesBefore = refreshes();
    const introspectionsBefore = introspections();
    const callsBefore = callsFor(credentialId).length;

    const boxes = await imap.listMailboxes(credentialId);
    expect(boxes[0]?.path).toBe('INBOX');
    expect(refreshes() - refreshesBefore).toBe(1);
    expect(introspections() - introspectionsBefore).toBe(2); // rejected login + retried login
    const calls = callsFor(credentialId).slice(callsBefore);
    expect(calls.map((c) => c.rejected)).toEqual([false, true]);
  });

  it('reports upstream_unavailable when the refreshed token is rejected too (no loop)', async () => {
    const { credentialId } = await f.tokens.seedCredential();
    let calls = 0;
    const imap = f.imap({
      ensureFreshToken: async () => {
        calls += 1;
        return { accessToken: `not-a-real-token-${calls}`, expiresAt: Date.now() + 3_600_000 };
      },
    });
    const error = await errorOf(imap.listMailboxes(credentialId));
    expect(error.code).toBe('upstream_unavailable');
    expect(calls).toBe(2);
  });

  it('does not refresh again for a minute when the server keeps rejecting fresh tokens (IMAP off)', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const real = f.tokens.service();
    let imapOff = false;
    let offset = 0;
    const calls: boolean[] = [];
    const imap = f.imap({
      clock: () => Date.now() + offset,
      ensureFreshToken: async (id, resource, options) => {
        calls.push(options?.rejectedToken !== undefined);
        const token = await real.ensureFreshToken(id, resource, options);
        // IMAP turned off for the mailbox: the server accepts no token, however fresh.
        if (imapOff) f.tokens.emulator.expireAccessTokens(email);
        return token;
      },
    });
    await imap.listMailboxes(credentialId);
    await imap.closeSessionsFor(credentialId);
    imapOff = true;
    const attempt = async () => {
      calls.length = 0;
      const before = refreshes();
      const error = await errorOf(imap.listMailboxes(credentialId));
      return { code: error.code, retryAfter: error.retryAfter, calls: [...calls], refreshes: refreshes() - before };
    };

    // The first rejection is taken for an expired token: one refresh, one retried login.
    expect(await attempt()).toMatchObject({ code: 'upstream_unavailable', calls: [false, true], refreshes: 1 });
    // Rejected again within the cooldown: no refresh asked for, a 503 at once.
    for (let i = 0; i < 3; i++) {
      offset += 10_000;
      const cooled = await attempt();
      expect(cooled).toMatchObject({ code: 'upstream_unavailable', calls: [false], refreshes: 0 });
      expect(cooled.retryAfter).toBeGreaterThan(0);
      expect(cooled.retryAfter).toBeLessThanOrEqual(60);
    }
    // Once it has passed, one refresh again (the mailbox may have been fixed meanwhile).
    offset += 31_000;
    expect(await attempt()).toMatchObject({ code: 'upstream_unavailable', calls: [false, true], refreshes: 1 });

    // IMAP back on: past the cooldown, one refresh and the login goes through.
    imapOff = false;
    offset += 61_000;
    expect((await imap.listMailboxes(credentialId))[0]?.path).toBe('INBOX');
  });

  it('reports needs_reauth when the grant was revoked', async () => {
    const { credentialId, email } = await f.tokens.seedCredential();
    const imap = f.imap();
    await imap.listMailboxes(credentialId);
    await imap.closeSessionsFor(credentialId);
    f.tokens.emulator.expireAccessTokens(email);
    f.tokens.emulator.revokeGrants(email);

    const error = await errorOf(imap.listMailboxes(credentialId));
    expect(error.code).toBe('needs_reauth');
    const row = await f.tokens.database.db.mailCredential.findUniqueOrThrow({ where: { id: credentialId } });
    expect(row.status).toBe('needs_reauth');
    // Stopped: the next call does not try the identity platform again.
    const before = refreshes();
    expect((await errorOf(imap.listMailboxes(credentialId))).code).toBe('needs_reauth');
    expect(refreshes()).toBe(before);
  });

  it('reports upstream_unavailable when the IMAP server is unreachable', async () => {
    const { credentialId } = await f.tokens.seedCredential();
    const imap = f.imap({ oauthEndpoint: { host: '127.0.0.1', port: 1, secure: false } });
    expect((await errorOf(imap.listMailboxes(credentialId))).code).toBe('upstream_unavailable');
  });

  it('is not_found for a credential that does not exist', async () => {
    const imap = f.imap();
    expect((await errorOf(imap.listMailboxes('no-such-credential'))).code).toBe('not_found');
  });
});

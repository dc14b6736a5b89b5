// Mailbox accounts: listing, adding a password mailbox (login checked before saving), and
// disconnecting (secrets gone from database and cache, sessions closed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { passwordAad } from '@/lib/crypto';
import { addPasswordAccount, disconnectAccount, listAccounts, listMailboxes, listMessages } from '@/lib/mail';
import { accessTokenCacheKey, storeGrant } from '@/lib/tokens';
import { IMAP_SCOPE } from '@/lib/microsoft/scopes';
import { logger } from '@/lib/log';
import { buildEml } from '../support/mail-fixtures';
import { createMailFixture, type MailFixture } from '../support/mail';

let f: MailFixture;

beforeAll(async () => {
  f = await createMailFixture();
});
afterAll(async () => {
  await f?.close();
});

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const countRows = () => f.tokens.database.db.mailCredential.count();

describe('listAccounts', () => {
  it("lists the caller's mailboxes in the API shape, and nobody else's", async () => {
    const mine = await f.tokens.seedCredential();
    const theirs = await f.tokens.seedCredential();
    const accounts = await listAccounts({ userId: mine.userId, ctx: f.ctx });
    expect(accounts).toEqual([{ id: mine.credentialId, email: mine.email, authType: 'oauth2', status: 'active', lastRefreshAt: expect.any(String) }]);
    expect(JSON.stringify(accounts)).not.toContain(theirs.credentialId);
    expect(await listAccounts({ userId: 'nobody', ctx: f.ctx })).toEqual([]);
  });
});

describe('addPasswordAccount', () => {
  it('checks the login, then stores the password sealed and bound to its row', async () => {
    const userId = await f.createUser();
    const login = f.passwordMailbox();
    await f.passwordDovecot.save(login.email, buildEml({ subject: 'via password' }));

    const account = await addPasswordAccount({
      userId,
      ctx: f.ctx,
      input: { email: login.email.toUpperCase(), host: f.passwordDovecot.host, port: f.passwordDovecot.port, secure: false, username: login.email, password: login.password },
    });
    expect(account).toEqual({ id: expect.any(String), email: login.email, authType: 'password', status: 'active', lastRefreshAt: null });

    const row = await f.tokens.database.db.mailCredential.findUniqueOrThrow({ where: { id: account.id } });
    expect(row.passwordSealed).toBeTruthy();
    expect(row.passwordSealed).not.toContain(login.password);
    expect(f.tokens.secrets.open(row.passwordSealed!, passwordAad(account.id))).toBe(login.password);
    expect(() => f.tokens.secrets.open(row.passwordSealed!, passwordAad('another-row'))).toThrow();
    expect(row).toMatchObject({ imapHost: '127.0.0.1', imapPort: f.passwordDovecot.port, imapSecure: false, imapUsername: login.email, refreshTokenSealed: null });

    // And it is usable right away.
    expect(await listAccounts({ userId, ctx: f.ctx })).toEqual([account]);
    const page = await listMessages({ userId, accountId: account.id, ctx: f.ctx });
    expect(page.messages.map((m) => m.subject)).toEqual(['via password']);
    const boxes = await listMailboxes({ userId, accountId: account.id, ctx: f.ctx });
    expect(boxes[0]).toMatchObject({ path: 'INBOX', messages: 1, unseen: 1 });
  });

  it('saves nothing when the server rejects the password', async () => {
    const userId = await f.createUser();
    const login = f.passwordMailbox();
    const before = await countRows();
    const error = await errorOf(
      addPasswordAccount({
        userId,
        ctx: f.ctx,
        input: { email: login.email, host: f.passwordDovecot.host, port: f.passwordDovecot.port, secure: false, username: login.email, password: `${login.password}-wrong` },
      }),
    );
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/username or password/);
    expect(error.message).not.toContain(login.password);
    expect(await countRows()).toBe(before);
    expect(await listAccounts({ userId, ctx: f.ctx })).toEqual([]);
  });

  it('saves nothing when no IMAP server answers there', async () => {
    const userId = await f.createUser();
    const before = await countRows();
    const error = await errorOf(
      addPasswordAccount({ userId, ctx: f.ctx, input: { email: 'x@imap.example', host: '127.0.0.1', port: 1, secure: false, username: 'x', password: 'irrelevant-password' } }),
    );
    expect(['invalid_request', 'upstream_unavailable']).toContain(error.code);
    expect(await countRows()).toBe(before);
  });

  it.each([
    [{}, /email/],
    [{ email: 'not-an-address', host: 'h', port: 993, password: 'p' }, /email/],
    [{ email: 'a@b.example', host: 'imap.example.com/evil', port: 993, password: 'p' }, /host/],
    [{ email: 'a@b.example', host: 'imap.example.com', port: 0, password: 'p' }, /port/],
    [{ email: 'a@b.example', host: 'imap.example.com', port: '99999', password: 'p' }, /port/],
    [{ email: 'a@b.example', host: 'imap.example.com', port: 993, password: '' }, /password/],
    [{ email: 'a@b.example', host: 'imap.example.com', port: 993, password: 'line\r\nbreak-secret' }, /password/],
    [{ email: 'a@b.example', host: 'imap.example.com', port: 993, secure: 'yes', password: 'p' }, /secure/],
  ])('rejects bad input %# as invalid_request, naming the field', async (input, field) => {
    const error = await errorOf(addPasswordAccount({ userId: 'u', ctx: f.ctx, input }));
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(field);
    expect(error.message).not.toContain('break-secret');
  });

  it('does not replace a connected Microsoft mailbox at the same address', async () => {
    const { userId, email } = await f.tokens.seedCredential();
    const error = await errorOf(addPasswordAccount({ userId, ctx: f.ctx, input: { email, host: '127.0.0.1', port: 1, password: 'whatever-pass' } }));
    expect(error.code).toBe('invalid_request');
  });

  it('marks a mailbox whose stored password stopped working as needs_reauth, and adding it again fixes it', async () => {
    const userId = await f.createUser();
    const login = f.passwordMailbox();
    const input = { email: login.email, host: f.passwordDovecot.host, port: f.passwordDovecot.port, secure: false, password: login.password };
    const account = await addPasswordAccount({ userId, ctx: f.ctx, input });
    // The password changes on the server (per-user passwd file is rewritten).
    const changed = `${login.password}-new`;
    await new Promise((r) => setTimeout(r, 1_100)); // Dovecot re-reads a changed passwd-file at most once a second
    f.passwordDovecot.addPasswordUser(login.email, changed);

    expect((await errorOf(listMailboxes({ userId, accountId: account.id, ctx: f.ctx }))).code).toBe('needs_reauth');
    expect((await listAccounts({ userId, ctx: f.ctx }))[0]?.status).toBe('needs_reauth');

    const again = await addPasswordAccount({ userId, ctx: f.ctx, input: { ...input, password: changed } });
    expect(again.id).toBe(account.id);
    expect(again.status).toBe('active');
    expect((await listMailboxes({ userId, accountId: account.id, ctx: f.ctx }))[0]?.path).toBe('INBOX');
  });
});

describe('disconnectAccount', () => {
  it('removes the refresh token and cached access tokens, closes sessions, and hides the mailbox', async () => {
    const { userId, credentialId } = await f.tokens.seedCredential();
    await listMailboxes({ userId, accountId: credentialId, ctx: f.ctx }); // token cached, session open
    const db = f.tokens.database.db;
    expect(await db.accessToken.count({ where: { credentialId } })).toBe(1);
    expect(await f.tokens.cache.get(accessTokenCacheKey(credentialId, 'imap'))).not.toBeNull();
    expect(f.imapService.stats().open[credentialId]).toBe(1);

    await disconnectAccount({ userId, accountId: credentialId, ctx: f.ctx });

    const row = await db.mailCredential.findUniqueOrThrow({ where: { id: credentialId } });
    expect(row.refreshTokenSealed).toBeNull();
    expect(row.passwordSealed).toBeNull();
    expect(await db.accessToken.count({ where: { credentialId } })).toBe(0);
    expect(await f.tokens.cache.get(accessTokenCacheKey(credentialId, 'imap'))).toBeNull();
    expect(f.imapService.stats().open[credentialId]).toBeUndefined();
    expect(await listAccounts({ userId, ctx: f.ctx })).toEqual([]);
    expect((await errorOf(listMailboxes({ userId, accountId: credentialId, ctx: f.ctx }))).code).toBe('not_found');
    expect((await errorOf(disconnectAccount({ userId, accountId: credentialId, ctx: f.ctx }))).code).toBe('not_found');
  });

  it('removes a password mailbox password', async () => {
    const userId = await f.createUser();
    const login = f.passwordMailbox();
    const account = await addPasswordAccount({
      userId,
      ctx: f.ctx,
      input: { email: login.email, host: f.passwordDovecot.host, port: f.passwordDovecot.port, secure: false, password: login.password },
    });
    await disconnectAccount({ userId, accountId: account.id, ctx: f.ctx });
    const row = await f.tokens.database.db.mailCredential.findUniqueOrThrow({ where: { id: account.id } });
    expect(row.passwordSealed).toBeNull();
    expect(await listAccounts({ userId, ctx: f.ctx })).toEqual([]);
  });

  it("is not_found for another user's mailbox, and changes nothing", async () => {
    const owner = await f.tokens.seedCredential();
    const intruder = await f.createUser();
    expect((await errorOf(disconnectAccount({ userId: intruder, accountId: owner.credentialId, ctx: f.ctx }))).code).toBe('not_found');
    const row = await f.tokens.database.db.mailCredential.findUniqueOrThrow({ where: { id: owner.credentialId } });
    expect(row.refreshTokenSealed).not.toBeNull();
  });

  it('signing in again brings a disconnected mailbox back', async () => {
    const { userId, credentialId, email } = await f.tokens.seedCredential();
    await disconnectAccount({ userId, accountId: credentialId, ctx: f.ctx });
    const user = f.tokens.emulator.addUser({ email });
    const id = await storeGrant({
      db: f.tokens.database.db,
      cache: f.tokens.cache,
      secrets: f.tokens.secrets,
      logger: logger.child({ module: 'tokens' }),
      skewSeconds: 300,
      userId,
      email,
      providerAccountId: user.oid,
      tenantId: user.tid,
      refreshToken: f.tokens.emulator.issueRefreshToken({ email, scopes: ['openid', 'offline_access', IMAP_SCOPE] }),
      grantedScopes: ['openid', 'offline_access', IMAP_SCOPE],
    });
    expect(id).toBe(credentialId);
    expect((await listAccounts({ userId, ctx: f.ctx })).map((a) => [a.id, a.status])).toEqual([[credentialId, 'active']]);
    expect((await listMailboxes({ userId, accountId: credentialId, ctx: f.ctx }))[0]?.path).toBe('INBOX');
  });
});

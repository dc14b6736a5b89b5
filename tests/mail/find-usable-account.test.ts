// The one query behind every mail verb: ownership, connection state, re-authorization and the
// account a session logs in with, on both databases. It must agree with the IMAP layer's own
// account loader (the same columns, the same mapping).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox, keyringFromKeys, passwordAad } from '@/lib/crypto';
import type { PrismaClient } from '@/lib/db';
import { createAccountLoader } from '@/lib/imap';
import { findUsableAccount } from '@/lib/mail/accounts';
import { createTestDatabase, createTestPglite } from '../support/db';

const secrets = createSecretBox(keyringFromKeys(randomBytes(32)));

describe.each([
  ['PostgreSQL', createTestDatabase],
  ['PGlite', createTestPglite],
] as const)('findUsableAccount on %s', (_name, open) => {
  let db: PrismaClient;
  let close: () => Promise<void>;
  let owner: string;
  let other: string;

  beforeAll(async () => {
    ({ db, close } = await open());
    owner = (await db.user.create({ data: { email: `o.${randomBytes(3).toString('hex')}@example.org` } })).id;
    other = (await db.user.create({ data: { email: `x.${randomBytes(3).toString('hex')}@example.org` } })).id;
  });
  afterAll(async () => {
    await close?.();
  });

  const ctx = () => ({ db, secrets });
  const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);

  async function oauth(data: { status?: 'active' | 'needs_reauth'; lastError?: string | null } = {}) {
    return db.mailCredential.create({ data: { userId: owner, email: `m.${randomBytes(3).toString('hex')}@contoso.example`, authType: 'oauth2', ...data } });
  }

  it("loads the owner's Microsoft mailbox exactly as the IMAP account loader does", async () => {
    const row = await oauth();
    const account = await findUsableAccount(ctx(), { userId: owner, accountId: row.id });
    expect(account).toEqual({ kind: 'oauth2', credentialId: row.id, email: row.email });
    expect(account).toEqual(await createAccountLoader({ db: async () => db, secrets })(row.id));
  });

  it('loads a password mailbox whose stored password opens to the same server settings', async () => {
    const id = `pw${randomBytes(6).toString('hex')}`;
    await db.mailCredential.create({
      data: {
        id,
        userId: owner,
        email: 'pw@imap.example',
        authType: 'password',
        imapHost: 'imap.example',
        imapPort: 993,
        imapSecure: true,
        imapUsername: 'pw-user',
        passwordSealed: secrets.seal('s3cret-pw', passwordAad(id)),
      },
    });
    const account = await findUsableAccount(ctx(), { userId: owner, accountId: id });
    const loaded = await createAccountLoader({ db: async () => db, secrets })(id);
    expect(account.kind).toBe('password');
    expect(loaded?.kind).toBe('password');
    if (account.kind !== 'password' || loaded?.kind !== 'password') return;
    expect(account.server()).toEqual({ host: 'imap.example', port: 993, secure: true, username: 'pw-user', password: 's3cret-pw' });
    expect(account.server()).toEqual(loaded.server());
  });

  it("is not_found for another user's mailbox, a disconnected one, and ids that cannot exist", async () => {
    const row = await oauth();
    const disconnected = await oauth({ lastError: 'disconnected' });
    const failing = await oauth({ lastError: 'invalid_grant' });
    expect(await codeOf(findUsableAccount(ctx(), { userId: other, accountId: row.id }))).toBe('not_found');
    expect(await codeOf(findUsableAccount(ctx(), { userId: owner, accountId: disconnected.id }))).toBe('not_found');
    expect(await codeOf(findUsableAccount(ctx(), { userId: owner, accountId: 'no-such-id' }))).toBe('not_found');
    expect(await codeOf(findUsableAccount(ctx(), { userId: owner, accountId: 'x'.repeat(500) }))).toBe('not_found');
    expect(await codeOf(findUsableAccount(ctx(), { userId: owner, accountId: "' OR '1'='1" }))).toBe('not_found');
    // Another error code is not a disconnection: still the owner's mailbox.
    expect(await codeOf(findUsableAccount(ctx(), { userId: owner, accountId: failing.id }))).toBe('ok');
  });

  it('refuses a mailbox that needs re-authorization', async () => {
    const row = await oauth({ status: 'needs_reauth' });
    expect(await codeOf(findUsableAccount(ctx(), { userId: owner, accountId: row.id }))).toBe('needs_reauth');
  });
});

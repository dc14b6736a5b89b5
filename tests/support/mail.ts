// The mail domain on real parts: PostgreSQL, the token layer and emulator, a Dovecot checking
// XOAUTH2 tokens, and a second Dovecot with password logins (for password mailboxes).
import { randomBytes } from 'node:crypto';
import { newSecret } from '@/emulator/ledger';
import { createPasswordRejectionRecorder, type ImapService } from '@/lib/imap';
import type { MailContext } from '@/lib/mail';
import { accessTokenCacheKey, TOKEN_RESOURCES } from '@/lib/tokens';
import { startDovecot, type Dovecot } from './dovecot';
import { createImapFixture, type ImapFixture } from './imap';

export interface MailFixture extends ImapFixture {
  passwordDovecot: Dovecot;
  imapService: ImapService;
  ctx: MailContext;
  /** An app user without mailboxes. */
  createUser(): Promise<string>;
  /** A mailbox login on the password Dovecot (the password is in the suite's secret ledger). */
  passwordMailbox(): { email: string; password: string };
}

export async function createMailFixture(): Promise<MailFixture> {
  const base = await createImapFixture();
  let passwordDovecot: Dovecot;
  try {
    passwordDovecot = await startDovecot({ mode: 'password' });
  } catch (error) {
    await base.close();
    throw error;
  }
  const db = base.tokens.database.db;
  const imapService = base.imap({ onPasswordRejected: createPasswordRejectionRecorder({ db: async () => db }) });
  const ctx: MailContext = {
    db,
    imap: imapService,
    secrets: base.tokens.secrets,
    forgetCachedTokens: (id) => base.tokens.cache.del(...TOKEN_RESOURCES.map((r) => accessTokenCacheKey(id, r))),
  };
  return {
    ...base,
    passwordDovecot,
    imapService,
    ctx,
    async createUser() {
      const user = await db.user.create({ data: { email: `app.${randomBytes(4).toString('hex')}@example.org` } });
      return user.id;
    },
    passwordMailbox() {
      const login = { email: `pw.${randomBytes(4).toString('hex')}@imap.example`, password: newSecret(12, 'pw-') };
      passwordDovecot.addPasswordUser(login.email, login.password);
      return login;
    },
    async close() {
      await base.close();
      await passwordDovecot.stop();
    },
  };
}

// Reads what a session needs from a MailCredential row. The stored password is opened only at
// login time and never kept in a long-lived object.
import type { Prisma, PrismaClient } from '../db';
import { passwordAad, type SecretBox } from '../crypto';
import type { ImapAccount, LoadImapAccount } from './types';

/** The columns a session needs; a caller's ownership query can select them too (one query). */
export const IMAP_ACCOUNT_SELECT = {
  id: true,
  email: true,
  authType: true,
  imapHost: true,
  imapPort: true,
  imapSecure: true,
  imapUsername: true,
  passwordSealed: true,
} as const;

export type ImapAccountRow = Prisma.MailCredentialGetPayload<{ select: typeof IMAP_ACCOUNT_SELECT }>;

/** Pure apart from the lazy password opening: a credential row as the session pool logs in with it. */
export function toImapAccount(row: ImapAccountRow, secrets: Pick<SecretBox, 'open'>): ImapAccount {
  if (row.authType === 'oauth2') return { kind: 'oauth2', credentialId: row.id, email: row.email };
  const { imapHost, imapPort, imapSecure, imapUsername, passwordSealed } = row;
  return {
    kind: 'password',
    credentialId: row.id,
    email: row.email,
    server: () => {
      // A disconnected or half-written row has no password: the owner must add it again.
      if (!passwordSealed || !imapHost || !imapPort || imapSecure === null || !imapUsername) throw new Error('no stored password');
      return { host: imapHost, port: imapPort, secure: imapSecure, username: imapUsername, password: secrets.open(passwordSealed, passwordAad(row.id)) };
    },
  };
}

export function createAccountLoader(deps: { db: () => Promise<PrismaClient>; secrets: Pick<SecretBox, 'open'> }): LoadImapAccount {
  return async (credentialId) => {
    const db = await deps.db();
    const row = await db.mailCredential.findUnique({ where: { id: credentialId }, select: IMAP_ACCOUNT_SELECT });
    return row ? toImapAccount(row, deps.secrets) : null;
  };
}

/** Marks a password mailbox whose stored password the server refused: its owner must enter it again. */
export function createPasswordRejectionRecorder(deps: { db: () => Promise<PrismaClient> }): (credentialId: string) => Promise<void> {
  return async (credentialId) => {
    const db = await deps.db();
    await db.mailCredential.updateMany({
      where: { id: credentialId, authType: 'password' },
      data: { status: 'needs_reauth', lastError: 'password_rejected' },
    });
  };
}

// Reads what a session needs from a MailCredential row. The stored password is opened only at
// login time and never kept in a long-lived object.
import type { PrismaClient } from '../db';
import { passwordAad, type SecretBox } from '../crypto';
import type { ImapAccount, LoadImapAccount } from './types';

export function createAccountLoader(deps: { db: () => Promise<PrismaClient>; secrets: Pick<SecretBox, 'open'> }): LoadImapAccount {
  return async (credentialId) => {
    const db = await deps.db();
    const row = await db.mailCredential.findUnique({
      where: { id: credentialId },
      select: { id: true, email: true, authType: true, imapHost: true, imapPort: true, imapSecure: true, imapUsername: true, passwordSealed: true },
    });
    if (!row) return null;
    if (row.authType === 'oauth2') return { kind: 'oauth2', credentialId: row.id, email: row.email };
    const { imapHost, imapPort, imapSecure, imapUsername, passwordSealed } = row;
    const account: ImapAccount = {
      kind: 'password',
      credentialId: row.id,
      email: row.email,
      server: () => {
        // A disconnected or half-written row has no password: the owner must add it again.
        if (!passwordSealed || !imapHost || !imapPort || imapSecure === null || !imapUsername) throw new Error('no stored password');
        return { host: imapHost, port: imapPort, secure: imapSecure, username: imapUsername, password: deps.secrets.open(passwordSealed, passwordAad(row.id)) };
      },
    };
    return account;
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

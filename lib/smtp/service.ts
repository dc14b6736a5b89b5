// The SMTP layer's working surface: submit a built message for any credential id, and check a
// password mailbox's SMTP login. What it needs from elsewhere (rows, tokens, passwords) is injected.
import type { PrismaClient } from '../db';
import { smtpPasswordAad, type SecretBox } from '../crypto';
import { AppError } from '../errors';
import { submitMessage, verifySmtpLogin, type OutgoingMessage, type PasswordSmtpServer, type SmtpAccount, type SubmitDeps, type SubmitResult } from './submit';

export type LoadSmtpAccount = (credentialId: string) => Promise<SmtpAccount | null>;

export interface SmtpService {
  send(credentialId: string, message: OutgoingMessage, options?: { returnTo?: string }): Promise<SubmitResult>;
  /** Throws invalid_request when the server refuses the login or cannot be reached over TLS. */
  verifyPasswordLogin(server: PasswordSmtpServer): Promise<void>;
}

export function createSmtpService(deps: SubmitDeps & { loadAccount: LoadSmtpAccount }): SmtpService {
  return {
    async send(credentialId, message, options = {}) {
      const account = await deps.loadAccount(credentialId);
      if (!account) throw new AppError('not_found', 'No such mailbox');
      return submitMessage(deps, account, message, options);
    },
    verifyPasswordLogin: (server) => verifySmtpLogin(deps, server),
  };
}

/** Reads what sending needs from a MailCredential row; the SMTP password is opened only when used. */
export function createSmtpAccountLoader(deps: { db: () => Promise<PrismaClient>; secrets: Pick<SecretBox, 'open'> }): LoadSmtpAccount {
  return async (credentialId) => {
    const db = await deps.db();
    const row = await db.mailCredential.findUnique({
      where: { id: credentialId },
      select: { id: true, email: true, authType: true, smtpHost: true, smtpPort: true, smtpSecure: true, smtpUsername: true, smtpPasswordSealed: true },
    });
    if (!row) return null;
    if (row.authType === 'oauth2') return { kind: 'oauth2', credentialId: row.id, email: row.email };
    const { smtpHost, smtpPort, smtpSecure, smtpUsername, smtpPasswordSealed } = row;
    return {
      kind: 'password',
      credentialId: row.id,
      email: row.email,
      server: () => {
        if (!smtpHost || !smtpPort || smtpSecure === null || !smtpUsername || !smtpPasswordSealed) return null;
        return { host: smtpHost, port: smtpPort, secure: smtpSecure, username: smtpUsername, password: deps.secrets.open(smtpPasswordSealed, smtpPasswordAad(row.id)) };
      },
    };
  };
}

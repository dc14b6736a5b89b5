// Disconnect (DELETE → 204): the mailbox's secrets leave the database and the cache, and its
// IMAP sessions are logged out. The row stays as a tombstone (see DISCONNECTED).
import { resolveContext, type MailContext } from './context';
import { DISCONNECTED, findOwnedAccount } from './accounts';

export async function disconnectAccount(options: { userId: string; accountId: string; ctx?: MailContext }): Promise<void> {
  const ctx = await resolveContext(options.ctx);
  const { id } = await findOwnedAccount(ctx.db, options);
  await ctx.db.$transaction([
    ctx.db.mailCredential.update({
      where: { id },
      data: {
        refreshTokenSealed: null,
        passwordSealed: null,
        smtpPasswordSealed: null,
        status: 'needs_reauth',
        lastError: DISCONNECTED,
        nextRetryAt: null,
        // A refresh already in flight commits with a compare-and-set on tokenVersion: bumping
        // it makes sure such a refresh cannot write a refresh token back.
        tokenVersion: { increment: 1 },
      },
    }),
    ctx.db.accessToken.deleteMany({ where: { credentialId: id } }),
  ]);
  await ctx.forgetCachedTokens(id);
  await ctx.imap.closeSessionsFor(id);
}

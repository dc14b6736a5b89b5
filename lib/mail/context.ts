// What the mail domain functions work with. Routes use the process-wide one (getMailContext);
// tests pass their own database, IMAP service and keys.
import type { PrismaClient } from '../db';
import type { SecretBox } from '../crypto';
import type { ImapService } from '../imap/service';
import type { SmtpService } from '../smtp/service';

export interface MailContext {
  db: PrismaClient;
  imap: Pick<
    ImapService,
    'listMailboxes' | 'listMessages' | 'getMessage' | 'openAttachment' | 'setMessageFlags' | 'moveMessage' | 'deleteMessage' | 'verifyPasswordLogin' | 'closeSessionsFor' | 'withSession' | 'watchMailbox' | 'listMessagesIfWarm'
  >;
  /** Sending (default: the process-wide SMTP service). */
  smtp?: Pick<SmtpService, 'send' | 'verifyPasswordLogin'>;
  /** `seal` stores passwords; `open` lets a session log in with one (findUsableAccount). */
  secrets: Pick<SecretBox, 'seal' | 'open'>;
  /** Drops a credential's cached access tokens (the cache, not the database). */
  forgetCachedTokens(credentialId: string): Promise<void>;
}

export async function resolveContext(ctx: MailContext | undefined): Promise<MailContext> {
  if (ctx) return ctx;
  // Imported lazily so tests that bring a context never load the process-wide wiring.
  const { getMailContext } = await import('./runtime');
  return getMailContext();
}

export async function resolveSmtp(ctx: MailContext): Promise<Pick<SmtpService, 'send' | 'verifyPasswordLogin'>> {
  if (ctx.smtp) return ctx.smtp;
  const { getSmtpService } = await import('../smtp/runtime');
  return getSmtpService();
}

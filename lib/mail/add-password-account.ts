// Adds a password IMAP mailbox (POST → 201). The login is checked against the server before
// anything is written; the password is then stored sealed, bound to its row and field.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { passwordAad, smtpPasswordAad } from '../crypto';
import { isUniqueViolation } from '../db';
import { AppError } from '../errors';
import { resolveContext, resolveSmtp, type MailContext } from './context';
import { DISCONNECTED, summarySelect, toAccountSummary, type AccountSummary } from './accounts';

const noControl = (v: string) => !/[\r\n\0]/.test(v);

const port = z.preprocess(
  (v) => (typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : v),
  z.number({ error: 'port must be a number' }).int('port must be an integer').min(1, 'port must be 1-65535').max(65535, 'port must be 1-65535'),
);

// Host names and IP literals only: no URLs, ports or spaces.
const hostSchema = z
  .string({ error: 'host is required' })
  .trim()
  .min(1, 'host is required')
  .max(253)
  .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$/, 'host must be a host name or IP address')
  .transform((v) => v.replace(/^\[(.*)\]$/, '$1'));

/**
 * The outgoing (SMTP submission) server. `secure`: TLS from the first byte (port 465); otherwise
 * STARTTLS is required (587). Username and password default to the IMAP ones.
 */
const smtpSchema = z
  .object({
    host: hostSchema,
    port,
    secure: z.boolean({ error: 'secure must be true or false' }).default(false),
    username: z.string().min(1).max(320).refine(noControl, 'username must not contain line breaks').optional(),
    password: z.string().min(1).max(1024).refine(noControl, 'password must not contain line breaks or NUL').optional(),
  })
  .strict();

export const passwordAccountSchema = z.object({
  email: z.email({ error: 'email must be an email address' }).max(320).transform((v) => v.toLowerCase()),
  host: hostSchema,
  port,
  secure: z.boolean({ error: 'secure must be true or false' }).default(true),
  username: z.string().min(1).max(320).refine(noControl, 'username must not contain line breaks').optional(),
  password: z.string({ error: 'password is required' }).min(1, 'password is required').max(1024).refine(noControl, 'password must not contain line breaks or NUL'),
  /** Where the mailbox sends from; without it the mailbox can read but not send. */
  smtp: smtpSchema.optional(),
});

export type PasswordAccountInput = z.input<typeof passwordAccountSchema>;

function parse(input: unknown) {
  const result = passwordAccountSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  const message = issue?.message ?? 'invalid input';
  throw new AppError('invalid_request', field && !message.startsWith(field) ? `${field}: ${message}` : message);
}

export async function addPasswordAccount(options: { userId: string; input: unknown; ctx?: MailContext }): Promise<AccountSummary> {
  const account = parse(options.input);
  const ctx = await resolveContext(options.ctx);
  const { db } = ctx;
  const username = account.username ?? account.email;

  const existing = await db.mailCredential.findUnique({
    where: { userId_email: { userId: options.userId, email: account.email } },
    select: { id: true, authType: true, lastError: true },
  });
  // An OAuth mailbox at the same address is reconnected by signing in, not replaced by a password.
  if (existing && existing.authType === 'oauth2' && existing.lastError !== DISCONNECTED) {
    throw new AppError('invalid_request', 'This mailbox is already connected with Microsoft');
  }

  // Before anything is saved: a wrong password or an unreachable server leaves no trace.
  await ctx.imap.verifyPasswordLogin({ host: account.host, port: account.port, secure: account.secure, username, password: account.password });
  const smtp = account.smtp
    ? { host: account.smtp.host, port: account.smtp.port, secure: account.smtp.secure, username: account.smtp.username ?? username, password: account.smtp.password ?? account.password }
    : null;
  if (smtp) await (await resolveSmtp(ctx)).verifyPasswordLogin(smtp);

  const id = existing?.id ?? randomUUID();
  const fields = {
    authType: 'password' as const,
    status: 'active' as const,
    imapHost: account.host,
    imapPort: account.port,
    imapSecure: account.secure,
    imapUsername: username,
    passwordSealed: ctx.secrets.seal(account.password, passwordAad(id)),
    smtpHost: smtp?.host ?? null,
    smtpPort: smtp?.port ?? null,
    smtpSecure: smtp?.secure ?? null,
    smtpUsername: smtp?.username ?? null,
    smtpPasswordSealed: smtp ? ctx.secrets.seal(smtp.password, smtpPasswordAad(id)) : null,
    refreshTokenSealed: null,
    lastError: null,
    failureCount: 0,
    nextRetryAt: null,
  };
  try {
    const row = existing
      ? await db.mailCredential.update({ where: { id, userId: options.userId }, data: fields, select: summarySelect })
      : await db.mailCredential.create({ data: { id, userId: options.userId, email: account.email, ...fields }, select: summarySelect });
    if (existing) await db.accessToken.deleteMany({ where: { credentialId: id } });
    // Sessions opened with the previous password (if any) must not be reused.
    await ctx.imap.closeSessionsFor(id);
    return toAccountSummary(row);
  } catch (error) {
    // Two adds of the same address at once: the second finds the first's row.
    if (isUniqueViolation(error)) {
      throw new AppError('invalid_request', 'This mailbox was just added');
    }
    throw error;
  }
}

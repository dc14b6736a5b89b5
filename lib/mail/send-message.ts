// Sending (POST /send → 202 {messageId}): a new message, a reply (In-Reply-To, References, the
// original quoted, the original marked \Answered) or a forward (the original's text and
// attachments). The body is checked before the mailbox is looked up; ownership is part of the
// lookup. Microsoft 365 keeps a copy of what is sent over SMTP in Sent Items itself; for password
// mailboxes the copy is appended to their \Sent folder here.
import { simpleParser, type AddressObject } from 'mailparser';
import { z } from 'zod';
import { AppError } from '../errors';
import { appendToSent, fetchMessageSource, markAnswered } from '../imap/compose-support';
import { mailboxSchema, uidSchema } from '../imap/params';
import { toAddressList } from '../imap/addresses';
import { childLogger } from '../log';
import { composeMessage, forwardSubject, MAX_MESSAGE_BYTES, replyRecipients, replySubject, type Address, type OriginalMessage } from '../smtp/compose';
import { findOwnedAccount } from './accounts';
import { resolveContext, resolveSmtp, type MailContext } from './context';

/** Any C0 control character or DEL: nothing that could end a header line belongs in one. */
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_RECIPIENTS = 100;

const emailAddress = z.email({ error: 'must be an email address' }).max(320);
const recipient = z.union([
  emailAddress,
  z
    .object({
      name: z.string().max(200).refine((v) => !CONTROL.test(v), 'name must not contain control characters').optional(),
      address: emailAddress,
    })
    .strict(),
]);
const recipients = z.array(recipient).max(MAX_RECIPIENTS, `at most ${MAX_RECIPIENTS} recipients`);
const messageRef = z.object({ mailbox: mailboxSchema, uid: uidSchema }).strict();

export const sendMessageInput = z
  .object({
    to: recipients,
    cc: recipients.optional(),
    bcc: recipients.optional(),
    subject: z.string().max(998, 'subject is too long').refine((v) => !CONTROL.test(v), 'subject must not contain line breaks or control characters'),
    text: z.string().max(1_000_000, 'text is too long').optional(),
    html: z.string().max(2_000_000, 'html is too long').optional(),
    /** Reply to this message of the same account. */
    replyTo: messageRef.optional(),
    /** Forward this message of the same account (with its attachments). */
    forward: messageRef.optional(),
  })
  .strict()
  .refine((v) => !(v.replyTo && v.forward), 'a message is a reply or a forward, not both')
  .refine((v) => v.to.length + (v.cc?.length ?? 0) + (v.bcc?.length ?? 0) > 0, 'give at least one recipient')
  .refine((v) => v.to.length + (v.cc?.length ?? 0) + (v.bcc?.length ?? 0) <= MAX_RECIPIENTS, `at most ${MAX_RECIPIENTS} recipients in all`);
export type SendMessageInput = z.input<typeof sendMessageInput>;

export interface SendResult {
  messageId: string;
  /** Recipients the server refused while accepting the others (usually empty). */
  rejected: string[];
}

function parse(input: unknown) {
  const result = sendMessageInput.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  throw new AppError('invalid_request', field ? `${field}: ${issue?.message ?? 'invalid'}` : issue?.message ?? 'invalid input');
}

const toAddr = (r: z.infer<typeof recipient>): Address => (typeof r === 'string' ? { name: '', address: r } : { name: r.name ?? '', address: r.address });

function addressesOf(value: AddressObject | AddressObject[] | undefined): Address[] {
  const objects = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return objects.flatMap((o) => toAddressList(o.value));
}

export async function loadOriginal(ctx: MailContext, credentialId: string, ref: { mailbox: string; uid: number }): Promise<OriginalMessage> {
  const source = await ctx.imap.withSession(credentialId, (client) => fetchMessageSource(client, ref));
  const parsed = await simpleParser(source);
  const references = parsed.references === undefined ? [] : Array.isArray(parsed.references) ? parsed.references : [parsed.references];
  const inReplyTo = typeof parsed.inReplyTo === 'string' ? [parsed.inReplyTo] : [];
  return {
    messageId: parsed.messageId ?? null,
    references: references.length ? references : inReplyTo,
    subject: parsed.subject ?? '',
    from: addressesOf(parsed.from)[0] ?? null,
    replyTo: addressesOf(parsed.replyTo),
    to: addressesOf(parsed.to),
    cc: addressesOf(parsed.cc),
    date: parsed.date ?? null,
    text: parsed.text ?? null,
    html: typeof parsed.html === 'string' ? parsed.html : null,
    attachments: parsed.attachments.map((a) => ({
      filename: a.filename ?? null,
      contentType: a.contentType,
      content: a.content,
      contentId: a.contentId,
      inline: a.contentDisposition === 'inline',
    })),
  };
}

/** Where a reconnect for sending comes back to: the compose page with the same reply or forward. */
function composePath(accountId: string, input: z.infer<typeof sendMessageInput>): string {
  const ref = input.replyTo ? { kind: 'reply', ...input.replyTo } : input.forward ? { kind: 'forward', ...input.forward } : null;
  const query = ref ? `?${new URLSearchParams({ [ref.kind]: String(ref.uid), mailbox: ref.mailbox }).toString()}` : '';
  return `/inbox/${encodeURIComponent(accountId)}/compose${query}`;
}

export async function sendMessage(options: { userId: string; accountId: string; input: unknown; ctx?: MailContext }): Promise<SendResult> {
  const input = parse(options.input);
  const log = childLogger('send');
  const ctx = await resolveContext(options.ctx);
  const account = await findOwnedAccount(ctx.db, options);
  if (account.status === 'needs_reauth') throw new AppError('needs_reauth', 'The mailbox must be reconnected by its owner');
  const row = await ctx.db.mailCredential.findUniqueOrThrow({ where: { id: account.id }, select: { email: true, user: { select: { name: true } } } });

  const original = input.replyTo ? await loadOriginal(ctx, account.id, input.replyTo) : input.forward ? await loadOriginal(ctx, account.id, input.forward) : undefined;
  let composed;
  try {
    composed = await composeMessage({
      from: { name: row.user.name ?? '', address: row.email },
      to: input.to.map(toAddr),
      cc: (input.cc ?? []).map(toAddr),
      bcc: (input.bcc ?? []).map(toAddr),
      subject: input.subject,
      text: input.text ?? (input.html === undefined ? '' : undefined),
      html: input.html,
      ...(input.replyTo ? { replyTo: original! } : {}),
      ...(input.forward ? { forward: original! } : {}),
    });
  } catch (error) {
    if (error instanceof RangeError) throw new AppError('invalid_request', `The message is larger than ${MAX_MESSAGE_BYTES / (1024 * 1024)} MB`);
    throw error;
  }

  const smtp = await resolveSmtp(ctx);
  const result = await smtp.send(account.id, { envelope: composed.envelope, raw: composed.raw }, { returnTo: composePath(account.id, input) });
  log.info({ credentialId: account.id, recipients: composed.envelope.to.length, rejected: result.rejected.length, kind: input.replyTo ? 'reply' : input.forward ? 'forward' : 'new' }, 'message sent');

  // Sent already: what follows is bookkeeping, and a failure there must not read as "not sent".
  if (account.authType === 'password') {
    await ctx.imap.withSession(account.id, (client) => appendToSent(client, composed.sentCopy)).catch((error: unknown) => {
      log.warn({ credentialId: account.id, err: (error as { code?: string }).code ?? 'error' }, 'sent message could not be saved to Sent');
    });
  }
  if (input.replyTo) {
    const ref = input.replyTo;
    await ctx.imap.withSession(account.id, (client) => markAnswered(client, ref)).catch(() => undefined);
  }
  return { messageId: composed.messageId, rejected: result.rejected };
}

/** What the compose page prefills for a reply, a reply to all, or a forward of one message. */
export async function composeDefaults(options: {
  userId: string;
  accountId: string;
  mailbox: string;
  uid: string;
  kind: 'reply' | 'replyAll' | 'forward';
  ctx?: MailContext;
}): Promise<{ to: Address[]; cc: Address[]; subject: string }> {
  const ref = messageRef.safeParse({ mailbox: options.mailbox, uid: options.uid });
  if (!ref.success) throw new AppError('invalid_request', 'Not a message of this mailbox');
  const ctx = await resolveContext(options.ctx);
  const account = await findOwnedAccount(ctx.db, options);
  const row = await ctx.db.mailCredential.findUniqueOrThrow({ where: { id: account.id }, select: { email: true } });
  const original = await loadOriginal(ctx, account.id, ref.data);
  if (options.kind === 'forward') return { to: [], cc: [], subject: forwardSubject(original.subject) };
  return { ...replyRecipients(original, row.email, options.kind === 'replyAll'), subject: replySubject(original.subject) };
}

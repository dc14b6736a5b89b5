// Building the message to send, with nodemailer's MailComposer (headers encoded and folded by the
// library, so a value can never start a header of its own). Replies carry In-Reply-To and
// References (RFC 5322 §3.6.4) and quote the original; forwards carry the original's attachments.
// Pure apart from MailComposer's in-memory build: no network, no clock unless `date` is omitted.
import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { sanitizeMessageHtml } from '../imap/sanitize';

export interface Address {
  name: string;
  address: string;
}

/** What is needed of an original message (parsed with mailparser). */
export interface OriginalMessage {
  messageId: string | null;
  references: string[];
  subject: string;
  from: Address | null;
  /** Reply-To, when the original names one: replies go there. */
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  date: Date | null;
  text: string | null;
  html: string | null;
  attachments: Array<{ filename: string | null; contentType: string; content: Buffer; contentId?: string | undefined; inline: boolean }>;
}

export interface ComposeInput {
  from: Address;
  to: Address[];
  cc?: Address[];
  bcc?: Address[];
  subject: string;
  text?: string | undefined;
  html?: string | undefined;
  /** Reply to this message (threading headers, quoted text). */
  replyTo?: OriginalMessage;
  /** Forward this message (its text below, its attachments attached). */
  forward?: OriginalMessage;
  date?: Date;
  /** Domain of the Message-ID (default: the sender's). */
  messageIdDomain?: string;
}

export interface ComposedMessage {
  messageId: string;
  /** What goes over SMTP: no Bcc header. */
  raw: Buffer;
  /** The copy kept in Sent: with the Bcc header, as mail clients keep it. */
  sentCopy: Buffer;
  envelope: { from: string; to: string[] };
}

/** Hard cap on the built message (Exchange Online accepts up to about 35 MB with encoding). */
export const MAX_MESSAGE_BYTES = 30 * 1024 * 1024;

const REPLY_PREFIX = /^\s*re\s*:/i;
const FORWARD_PREFIX = /^\s*(fwd?|fw)\s*:/i;

export function replySubject(subject: string): string {
  return REPLY_PREFIX.test(subject) ? subject : `Re: ${subject}`;
}

export function forwardSubject(subject: string): string {
  return FORWARD_PREFIX.test(subject) ? subject : `Fwd: ${subject}`;
}

const MSG_ID = /<[^<>\s]+>/g;

/** References of a reply: the original's References (or its In-Reply-To) plus its Message-ID. */
export function replyReferences(original: Pick<OriginalMessage, 'messageId' | 'references'>): string[] {
  const ids = [...original.references.flatMap((r) => r.match(MSG_ID) ?? []), ...(original.messageId?.match(MSG_ID) ?? [])];
  const unique = [...new Set(ids)];
  // Long threads: keep the first and the latest ones, as RFC 5322 suggests trimming.
  return unique.length > 20 ? [unique[0]!, ...unique.slice(-19)] : unique;
}

/**
 * Who a reply goes to, as mail clients do: the original's Reply-To if it names one, else its
 * sender (a reply to one's own sent message goes to its recipients); "reply all" adds the other
 * To and Cc recipients as Cc. Never the mailbox itself; no address twice.
 */
export function replyRecipients(original: Pick<OriginalMessage, 'from' | 'replyTo' | 'to' | 'cc'>, self: string, all: boolean): { to: Address[]; cc: Address[] } {
  const me = self.toLowerCase();
  const seen = new Set<string>([me]);
  const take = (list: Address[]) =>
    list.filter((a) => {
      const key = a.address.toLowerCase();
      if (!a.address || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  const fromSelf = original.from?.address.toLowerCase() === me;
  const primary = fromSelf ? original.to : original.replyTo.length > 0 ? original.replyTo : original.from ? [original.from] : [];
  const to = take(primary);
  const cc = all ? take([...(fromSelf ? [] : original.to), ...original.cc]) : [];
  return { to, cc };
}

export function formatAddress(a: Address | null): string {
  if (!a) return 'unknown sender';
  return a.name ? `${a.name} <${a.address}>` : a.address;
}

function when(date: Date | null): string {
  return date ? date.toUTCString() : 'an unknown date';
}

/** The reply's text: what the person wrote, then the original quoted with "> ". */
export function quoteForReply(original: OriginalMessage, text: string): string {
  const quoted = (original.text ?? '').replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n').map((l) => (l.length ? `> ${l}` : '>')).join('\n');
  return `${text.replace(/\s+$/, '')}\n\nOn ${when(original.date)}, ${formatAddress(original.from)} wrote:\n${quoted}\n`;
}

function forwardHeaderLines(original: OriginalMessage): string[] {
  return [
    '---------- Forwarded message ---------',
    `From: ${formatAddress(original.from)}`,
    `Date: ${when(original.date)}`,
    `Subject: ${original.subject}`,
    ...(original.to.length ? [`To: ${original.to.map(formatAddress).join(', ')}`] : []),
    ...(original.cc.length ? [`Cc: ${original.cc.map(formatAddress).join(', ')}`] : []),
  ];
}

export function quoteForForward(original: OriginalMessage, text: string): string {
  return `${text.replace(/\s+$/, '')}\n\n${forwardHeaderLines(original).join('\n')}\n\n${(original.text ?? '').replace(/\r\n/g, '\n')}\n`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The original as HTML to embed below the person's own HTML: sanitized, never raw. */
function originalHtml(original: OriginalMessage): string {
  if (original.html) return sanitizeMessageHtml(original.html);
  return `<pre>${escapeHtml(original.text ?? '')}</pre>`;
}

function htmlReply(original: OriginalMessage, html: string): string {
  return `${html}<br><div>On ${escapeHtml(when(original.date))}, ${escapeHtml(formatAddress(original.from))} wrote:</div><blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${originalHtml(original)}</blockquote>`;
}

function htmlForward(original: OriginalMessage, html: string): string {
  return `${html}<br><div>${forwardHeaderLines(original).map(escapeHtml).join('<br>')}</div><br>${originalHtml(original)}`;
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  const domain = at >= 0 ? address.slice(at + 1) : '';
  return /^[A-Za-z0-9.-]+$/.test(domain) ? domain : 'mailbridge.invalid';
}

function build(mail: Mail.Options & { keepBcc?: boolean }): Promise<Buffer> {
  const composer = new MailComposer(mail);
  const node = composer.compile();
  if (mail.keepBcc) (node as unknown as { keepBcc: boolean }).keepBcc = true;
  return new Promise((resolve, reject) => node.build((error, message) => (error ? reject(error) : resolve(message))));
}

export async function composeMessage(input: ComposeInput): Promise<ComposedMessage> {
  if (input.replyTo && input.forward) throw new TypeError('a message is a reply or a forward, not both');
  const original = input.replyTo ?? input.forward;
  const messageId = `<${randomUUID()}@${input.messageIdDomain ?? domainOf(input.from.address)}>`;
  let text = input.text;
  let html = input.html;
  if (input.replyTo) {
    text = quoteForReply(input.replyTo, text ?? '');
    if (html !== undefined) html = htmlReply(input.replyTo, html);
  } else if (input.forward) {
    text = quoteForForward(input.forward, text ?? '');
    if (html !== undefined) html = htmlForward(input.forward, html);
  }
  const references = input.replyTo ? replyReferences(input.replyTo) : [];
  const attachments: Mail.Attachment[] = (input.forward?.attachments ?? []).map((a) => ({
    ...(a.filename ? { filename: a.filename } : {}),
    contentType: a.contentType,
    content: a.content,
    // Inline images only stay inline when the HTML that names them goes along.
    ...(a.inline && a.contentId && html !== undefined ? { cid: a.contentId.replace(/^<|>$/g, ''), contentDisposition: 'inline' as const } : {}),
  }));
  const mail: Mail.Options = {
    from: input.from,
    to: input.to,
    ...(input.cc?.length ? { cc: input.cc } : {}),
    ...(input.bcc?.length ? { bcc: input.bcc } : {}),
    subject: input.subject,
    ...(text !== undefined ? { text } : {}),
    ...(html !== undefined ? { html } : {}),
    messageId,
    date: input.date ?? new Date(),
    ...(references.length ? { inReplyTo: original!.messageId?.match(MSG_ID)?.[0] ?? references.at(-1)!, references } : {}),
    ...(attachments.length ? { attachments } : {}),
    // Not in the Sent copy either: nodemailer's own X-Mailer header says nothing useful.
    headers: {},
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  const [raw, sentCopy] = await Promise.all([build(mail), build({ ...mail, keepBcc: true })]);
  if (raw.length > MAX_MESSAGE_BYTES) throw new RangeError('message too large');
  const envelope = {
    from: input.from.address,
    to: [...new Set([...input.to, ...(input.cc ?? []), ...(input.bcc ?? [])].map((a) => a.address.toLowerCase()))],
  };
  return { messageId, raw, sentCopy, envelope };
}

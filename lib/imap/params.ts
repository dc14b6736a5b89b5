// Route input for the mail API, validated once here (zod). Anything malformed is a 400
// invalid_request naming the parameter, never a 500 or an IMAP command with odd bytes.
import { z } from 'zod';
import { AppError } from '../errors';
import { ATTACHMENT_ID } from './attachments';
import { decodeCursor, type Cursor } from './cursor';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

/** Mailbox paths as the server lists them; CR, LF and NUL could break out of an IMAP command. */
export const mailboxSchema = z
  .string()
  .min(1, 'mailbox must not be empty')
  .max(512, 'mailbox is too long')
  .refine((v) => !/[\r\n\0]/.test(v), 'mailbox must not contain line breaks or NUL');

const positiveInt = (name: string, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : v),
    z
      .number({ error: `${name} must be a positive integer` })
      .int(`${name} must be a positive integer`)
      .min(1, `${name} must be between 1 and ${max}`)
      .max(max, `${name} must be between 1 and ${max}`),
  );

export const limitSchema = positiveInt('limit', MAX_LIMIT);
/** IMAP UIDs are unsigned 32-bit, non-zero. */
export const uidSchema = positiveInt('uid', 4_294_967_295);
export const cursorSchema = z.string().max(64, 'cursor is too long');
/** Search text: sent to the server as an IMAP string, so no control characters at all. */
export const searchQuerySchema = z
  .string()
  .trim()
  .min(1, 'q must not be empty')
  .max(200, 'q is too long (200 characters at most)')
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'q must not contain control characters');
/** An IMAP body part number as the message JSON lists it ("2", "1.2"). */
export const attachmentIdSchema = z.string().regex(ATTACHMENT_ID, 'attachmentId must be a body part number such as "2" or "1.2"');

export interface ListMessagesParams {
  mailbox: string;
  limit: number;
  cursor?: Cursor;
  /** Text to search for (subject, sender, body). */
  query?: string;
}

export interface GetMessageParams {
  mailbox: string;
  uid: number;
}

export interface GetAttachmentParams extends GetMessageParams {
  attachmentId: string;
}

/** Query-string values (strings) or typed values from code. */
export interface RawListMessagesParams {
  mailbox?: string | null | undefined;
  limit?: string | number | null | undefined;
  cursor?: string | null | undefined;
  q?: string | null | undefined;
}

export interface RawGetMessageParams {
  mailbox?: string | null | undefined;
  uid?: string | number | null | undefined;
}

export interface RawGetAttachmentParams extends RawGetMessageParams {
  attachmentId?: string | null | undefined;
}

const given = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined && v !== '';

function check<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const message = result.error.issues[0]?.message ?? `${name} is invalid`;
  throw new AppError('invalid_request', message.startsWith(name) ? message : `${name}: ${message}`);
}

/** `?mailbox=INBOX&limit=50&cursor=…` (mailbox defaults to INBOX, limit to 50). */
export function parseListMessagesParams(raw: RawListMessagesParams): ListMessagesParams {
  const mailbox = check(mailboxSchema, given(raw.mailbox) ? raw.mailbox : 'INBOX', 'mailbox');
  const limit = given(raw.limit) ? check(limitSchema, raw.limit, 'limit') : DEFAULT_LIMIT;
  const params: ListMessagesParams = { mailbox, limit };
  if (given(raw.q)) params.query = check(searchQuerySchema, raw.q, 'q');
  if (given(raw.cursor)) params.cursor = decodeCursor(check(cursorSchema, raw.cursor, 'cursor'));
  return params;
}

/** `{uid}` from the path and `?mailbox=` (defaults to INBOX). */
export function parseGetMessageParams(raw: RawGetMessageParams): GetMessageParams {
  return {
    mailbox: check(mailboxSchema, given(raw.mailbox) ? raw.mailbox : 'INBOX', 'mailbox'),
    uid: check(uidSchema, raw.uid, 'uid'),
  };
}

/** `{uid}` and `{attachmentId}` from the path and `?mailbox=` (defaults to INBOX). */
export function parseGetAttachmentParams(raw: RawGetAttachmentParams): GetAttachmentParams {
  return { ...parseGetMessageParams(raw), attachmentId: check(attachmentIdSchema, raw.attachmentId, 'attachmentId') };
}

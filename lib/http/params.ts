// Request schemas shared by the mail routes (SPEC §4). Every bad value is a 400.
import { z } from 'zod';

/** Row ids (cuid / uuid): anything else cannot name an object. */
export const objectId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a valid id');

export const accountParams = z.object({ id: objectId });

/** IMAP mailbox names go on the wire inside commands: no control characters (CR/LF above all). */
export const mailboxName = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

export const messagesQuery = z.object({
  mailbox: mailboxName.default('INBOX'),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .default(50),
  cursor: z.string().min(1).max(256).optional(),
});

export const messageParams = z.object({
  id: objectId,
  uid: z
    .string()
    .regex(/^[1-9]\d{0,9}$/, 'must be a positive whole number')
    .transform(Number)
    .pipe(z.number().int().max(4294967295)),
});

export const messageQuery = z.object({ mailbox: mailboxName.default('INBOX') });

export const passwordAccountBody = z.object({
  email: z.email().max(320),
  host: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/, 'must be a host name or address'),
  port: z.number().int().min(1).max(65535),
  secure: z.boolean(),
  username: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
});

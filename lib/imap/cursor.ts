// Opaque paging cursor: "messages with a UID below N in mailbox state UIDVALIDITY". UIDs only
// grow, so new mail arriving between pages never shifts or repeats a page.
import { AppError } from '../errors';

export interface Cursor {
  uidValidity: string;
  beforeUid: number;
}

const PATTERN = /^v1:(\d{1,20}):(\d{1,10})$/;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`v1:${cursor.uidValidity}:${cursor.beforeUid}`).toString('base64url');
}

/** Shape check for route input; throws invalid_request. */
export function decodeCursor(value: string): Cursor {
  const match = /^[A-Za-z0-9_-]{1,64}$/.test(value) ? PATTERN.exec(Buffer.from(value, 'base64url').toString('latin1')) : null;
  const beforeUid = match ? Number(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(beforeUid) || beforeUid < 1) throw new AppError('invalid_request', 'cursor: not a valid cursor');
  return { uidValidity: match[1]!, beforeUid };
}

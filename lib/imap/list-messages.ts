// One page of a mailbox, newest first. The first page is addressed by sequence numbers (no
// SEARCH); later pages, and every page of a text search, by UID SEARCH ("below the cursor",
// matching the text). Fetch results are collected before anything
// else runs on the connection (running commands inside imapflow's fetch iterator deadlocks).
import type { FetchMessageObject, FetchQueryObject, ImapFlow } from 'imapflow';
import { AppError } from '../errors';
import { toAddress, toAddressList, toIsoDate } from './addresses';
import { encodeCursor, type Cursor } from './cursor';
import { messageFlags } from './flags';
import { withMailbox } from './mailbox-lock';
import type { MessagePage, MessageSummary } from './types';

export const SUMMARY_QUERY: FetchQueryObject = { uid: true, flags: true, envelope: true, size: true, internalDate: true };

export interface ListMessagesOptions {
  mailbox: string;
  limit: number;
  cursor?: Cursor | undefined;
  /** Only messages whose subject, sender or body contains this text (server-side SEARCH). */
  query?: string | undefined;
}

export function toSummary(m: FetchMessageObject): MessageSummary {
  return {
    uid: m.uid,
    subject: m.envelope?.subject ?? '',
    from: toAddress(m.envelope?.from?.[0]),
    to: toAddressList(m.envelope?.to),
    date: toIsoDate(m.envelope?.date, m.internalDate),
    flags: messageFlags(m.flags),
    size: m.size ?? 0,
  };
}

export async function listMessages(client: ImapFlow, options: ListMessagesOptions): Promise<MessagePage> {
  const { limit, cursor } = options;
  return withMailbox(client, options.mailbox, async (box) => {
    const uidValidity = box.uidValidity.toString();
    if (cursor && cursor.uidValidity !== uidValidity) {
      throw new AppError('invalid_request', 'cursor: the mailbox was reset; start again from the first page');
    }

    let rows: FetchMessageObject[];
    let more: boolean;
    if (!cursor && options.query === undefined) {
      if (box.exists === 0) return { messages: [], nextCursor: null };
      const from = Math.max(1, box.exists - limit + 1);
      rows = await client.fetchAll(`${from}:${box.exists}`, SUMMARY_QUERY);
      more = from > 1;
    } else {
      if (cursor && cursor.beforeUid <= 1) return { messages: [], nextCursor: null };
      const below = cursor ? { uid: `1:${cursor.beforeUid - 1}` } : {};
      const criteria = options.query === undefined ? below : { ...below, or: [{ subject: options.query }, { from: options.query }, { body: options.query }] };
      const found = (await client.search(criteria, { uid: true })) || [];
      const uids = [...found].sort((a, b) => a - b);
      const page = uids.slice(-limit);
      if (page.length === 0) return { messages: [], nextCursor: null };
      more = uids.length > page.length;
      // Listed by UID: search results are not contiguous (a plain page below the cursor is).
      rows = await client.fetchAll(page.join(','), SUMMARY_QUERY, { uid: true });
    }

    const messages = rows.map(toSummary).sort((a, b) => b.uid - a.uid);
    const oldest = messages[messages.length - 1];
    return {
      messages,
      nextCursor: more && oldest ? encodeCursor({ uidValidity, beforeUid: oldest.uid }) : null,
    };
  });
}

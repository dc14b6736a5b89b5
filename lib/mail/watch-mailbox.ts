// Live updates of one folder of the caller's mailbox (the events route). The folder name is
// checked first (400 whoever's mailbox it names), then ownership (404, 409 needs_reauth), then
// the watch itself (404 for an unknown folder, 503 when IMAP is unreachable): each answers as a
// status before any event is streamed.
import { mailboxSchema } from '../imap/params';
import type { ReadyInfo, WatchEvent, WatchListener } from '../imap';
import { AppError } from '../errors';
import type { SseMessage } from '../http/sse';
import { findUsableAccount } from './accounts';
import { resolveContext, type MailContext } from './context';

export interface MailboxWatch {
  info: ReadyInfo;
  /** Leaves the watch (the IDLE session closes shortly after its last listener leaves). */
  close(): void;
}

export async function watchMailbox(options: {
  userId: string;
  accountId: string;
  mailbox?: string | null | undefined;
  listener: WatchListener;
  ctx?: MailContext;
}): Promise<MailboxWatch> {
  const parsed = mailboxSchema.safeParse(options.mailbox === null || options.mailbox === undefined || options.mailbox === '' ? 'INBOX' : options.mailbox);
  if (!parsed.success) throw new AppError('invalid_request', `mailbox: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const ctx = await resolveContext(options.ctx);
  const account = await findUsableAccount(ctx, options);
  const subscription = ctx.imap.watchMailbox(account.credentialId, parsed.data, options.listener);
  try {
    const info = await subscription.ready;
    return { info, close: subscription.close };
  } catch (error) {
    subscription.close();
    throw error;
  }
}

/** Pure: a watch event as the SSE message the page receives; `last` ends the stream. */
export function liveEventMessage(event: WatchEvent): { message: SseMessage; last: boolean } {
  switch (event.type) {
    case 'ready':
      return { message: { event: 'ready', data: { mailbox: event.mailbox, uidValidity: event.uidValidity, count: event.count } }, last: false };
    case 'exists':
      return { message: { event: 'exists', data: { count: event.count, messages: event.messages } }, last: false };
    case 'flags':
      return { message: { event: 'flags', data: { uid: event.uid, flags: event.flags } }, last: false };
    case 'expunge':
      return { message: { event: 'expunge', data: { uid: event.uid } }, last: false };
    case 'reset':
      return { message: { event: 'reset', data: { reason: event.reason } }, last: false };
    case 'error':
      return { message: { event: 'error', data: { code: event.code, message: event.message } }, last: true };
    case 'end':
      return { message: { event: 'end', data: { reason: event.reason } }, last: true };
  }
}

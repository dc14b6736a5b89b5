// What a mailbox watcher tells its listeners, and the pure mapping from imapflow's unsolicited
// responses to it. imapflow reports expunges and flag changes by sequence number (Outlook has no
// QRESYNC, so no UIDs); the UidMirror turns them into UIDs, which is what a page knows.
import { messageFlags } from '../flags';
import type { MessageSummary } from '../types';
import type { UidMirror } from './mirror';

/** Changes in the watched mailbox (the SSE events of the same names). */
export type MailboxChange =
  /** New mail: the mailbox's message count and the new messages, newest first. */
  | { type: 'exists'; count: number; messages: MessageSummary[] }
  | { type: 'flags'; uid: number; flags: string[] }
  | { type: 'expunge'; uid: number }
  /** The watcher lost track (reconnected, UIDVALIDITY changed): reload the list. */
  | { type: 'reset'; reason: 'reconnected' | 'resynced' };

export interface ReadyInfo {
  mailbox: string;
  uidValidity: string;
  count: number;
}

/** Everything a listener receives. `error` and `end` are the last event of a subscription. */
export type WatchEvent =
  | MailboxChange
  | ({ type: 'ready' } & ReadyInfo)
  | { type: 'error'; code: string; message: string }
  | { type: 'end'; reason: 'shutdown' };

/** imapflow's 'expunge' payload: `seq` without QRESYNC, `uid` with VANISHED. */
export interface ExpungePayload {
  seq?: number;
  uid?: number;
  vanished?: boolean;
  earlier?: boolean;
}

/** imapflow's 'flags' payload. */
export interface FlagsPayload {
  seq?: number;
  uid?: number;
  flags?: Iterable<string>;
}

/**
 * Applies an expunge to the mirror (always, so sequence numbers stay aligned) and says which
 * message is gone. null when it was one the mirror had not learnt the UID of yet (new mail still
 * being fetched), or a VANISHED (EARLIER) about messages the mirror never had.
 */
export function expungeChange(mirror: UidMirror, payload: ExpungePayload): MailboxChange | null {
  if (payload.vanished) {
    if (typeof payload.uid !== 'number') return null;
    return mirror.removeUid(payload.uid) ? { type: 'expunge', uid: payload.uid } : null;
  }
  if (typeof payload.seq !== 'number') return null;
  const uid = mirror.expungeSeq(payload.seq);
  return uid === undefined ? null : { type: 'expunge', uid };
}

/** A flag change of a known message; null for one the mirror does not know (yet). */
export function flagsChange(mirror: UidMirror, payload: FlagsPayload): MailboxChange | null {
  if (!payload.flags) return null;
  const uid = typeof payload.uid === 'number' && mirror.has(payload.uid) ? payload.uid : typeof payload.seq === 'number' ? mirror.uidAt(payload.seq) : undefined;
  return uid === undefined ? null : { type: 'flags', uid, flags: messageFlags(payload.flags) };
}

'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import type { MessageSummary } from '@/lib/imap/types';
import { applyLiveEvent, type LiveListEvent } from '@/lib/mail/live-list';
import { displayName, withQuery } from './format';
import { LocalTime } from './local-time';

export type LiveMode = 'sse' | 'poll' | 'off';

interface Props {
  accountId: string;
  mailbox: string;
  messages: MessageSummary[];
  searching: boolean;
  /** First page without a search: new mail is shown on top. */
  acceptNew: boolean;
  limit: number;
  mode: LiveMode;
  pollSeconds: number;
}

type Status = 'connecting' | 'live' | 'polling' | 'stopped' | 'off';

const STATUS_TEXT: Record<Status, (seconds: number) => string> = {
  connecting: () => 'Connecting for live updates…',
  live: () => 'Live: new mail appears here as it arrives.',
  polling: (s) => `Checking for new mail every ${s} seconds.`,
  stopped: () => 'Live updates stopped.',
  off: () => '',
};

/** After this many failed (re)connections without an event, the page polls instead. */
const MAX_STREAM_FAILURES = 3;
/** The rest of the page (folder counts, the heading) catches up this long after the last change. */
const CATCH_UP_MS = 1_500;

function parse(data: unknown): Record<string, unknown> | null {
  if (typeof data !== 'string') return null;
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The folder's message list, kept current while the page is open: server-sent events from
 * `/api/mail/accounts/{id}/events` (fed by IMAP IDLE), or, where the platform cannot hold such a
 * stream (MAIL_LIVE_UPDATES=poll) or it keeps failing, a reload of the list every few seconds.
 */
export function LiveMessages({ accountId, mailbox, messages, searching, acceptNew, limit, mode, pollSeconds }: Props) {
  const router = useRouter();
  const [list, setList] = useState(messages);
  const [status, setStatus] = useState<Status>(mode === 'sse' ? 'connecting' : mode === 'poll' ? 'polling' : 'off');

  // New server data (a refresh, another page of the folder) replaces what the events built.
  useEffect(() => setList(messages), [messages]);

  useEffect(() => {
    if (mode === 'off') return;
    let poll: ReturnType<typeof setInterval> | undefined;
    const startPolling = () => {
      setStatus('polling');
      clearInterval(poll);
      poll = setInterval(() => {
        if (document.visibilityState === 'visible') router.refresh();
      }, pollSeconds * 1000);
    };
    if (mode === 'poll' || typeof EventSource === 'undefined') {
      startPolling();
      return () => clearInterval(poll);
    }

    const stream = new EventSource(withQuery(`/api/mail/accounts/${encodeURIComponent(accountId)}/events`, { mailbox }));
    let failures = 0;
    let catchUp: ReturnType<typeof setTimeout> | undefined;
    const apply = (event: LiveListEvent) => {
      setList((current) => applyLiveEvent(current, event, { acceptNew, limit }));
      clearTimeout(catchUp);
      catchUp = setTimeout(() => router.refresh(), CATCH_UP_MS);
    };
    stream.addEventListener('ready', () => {
      failures = 0;
      setStatus('live');
    });
    stream.addEventListener('exists', (e) => {
      const data = parse(e.data);
      if (data && Array.isArray(data.messages)) apply({ type: 'exists', messages: data.messages as MessageSummary[] });
    });
    stream.addEventListener('flags', (e) => {
      const data = parse(e.data);
      if (data && typeof data.uid === 'number' && Array.isArray(data.flags)) apply({ type: 'flags', uid: data.uid, flags: data.flags as string[] });
    });
    stream.addEventListener('expunge', (e) => {
      const data = parse(e.data);
      if (data && typeof data.uid === 'number') apply({ type: 'expunge', uid: data.uid });
    });
    // The server lost track (it reconnected to the mailbox): reload the list.
    stream.addEventListener('reset', () => router.refresh());
    stream.addEventListener('error', (e) => {
      if (e instanceof MessageEvent && typeof e.data === 'string') {
        // The server's last word (the mailbox needs reconnecting, the folder is gone): stop
        // before the browser reconnects, and let the page show why.
        stream.close();
        setStatus('stopped');
        router.refresh();
        return;
      }
      // The connection failed. EventSource retries by itself unless the server refused the
      // stream (not text/event-stream, an error status); either way, poll after a few failures.
      failures += 1;
      if (stream.readyState === EventSource.CLOSED || failures >= MAX_STREAM_FAILURES) {
        stream.close();
        startPolling();
      } else {
        setStatus('connecting');
      }
    });
    return () => {
      stream.close();
      clearInterval(poll);
      clearTimeout(catchUp);
    };
  }, [accountId, mailbox, mode, pollSeconds, acceptNew, limit, router]);

  const text = STATUS_TEXT[status](pollSeconds);
  return (
    <>
      {text ? (
        <p className="muted live-status" role="status" data-live={status}>
          {text}
        </p>
      ) : null}
      {list.length === 0 ? (
        <p className="empty">{searching ? 'No messages match.' : 'No messages in this folder.'}</p>
      ) : (
        <ol className="messages">
          {list.map((m) => {
            const unseen = !m.flags.includes('\\Seen');
            const flagged = m.flags.includes('\\Flagged');
            return (
              <li key={m.uid}>
                <Link href={withQuery(`/inbox/${encodeURIComponent(accountId)}/${m.uid}`, { mailbox })} className={unseen ? 'unseen' : undefined}>
                  <span className="from">{displayName(m.from)}</span>
                  <span className="subject">
                    {unseen ? <span className="visually-hidden">Unread: </span> : null}
                    {flagged ? (
                      <span className="flag" title="Flagged">
                        ⚑<span className="visually-hidden">Flagged: </span>{' '}
                      </span>
                    ) : null}
                    {m.subject || '(no subject)'}
                  </span>
                  <LocalTime iso={m.date} style="short" />
                </Link>
              </li>
            );
          })}
        </ol>
      )}
    </>
  );
}

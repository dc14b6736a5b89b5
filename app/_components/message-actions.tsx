'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';

interface Props {
  /** `/api/mail/accounts/{id}/messages/{uid}` */
  messageApi: string;
  mailbox: string;
  flags: string[];
  /** Folders the message can be moved to (not the one it is in). */
  folders: Array<{ path: string; label: string }>;
  /** Where to go once the message has left this folder. */
  listHref: string;
  /** Deleting from Trash is for good: asked first. */
  inTrash: boolean;
}

async function call(url: string, method: 'PATCH' | 'POST' | 'DELETE', body?: unknown): Promise<string | null> {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  }).catch(() => null);
  if (!response) return 'The server could not be reached. Try again.';
  if (response.ok) return null;
  const answer = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  return answer?.error?.message ?? 'That did not work. Try again.';
}

/**
 * Marks the message read when it is opened (as mail clients do: the API's GET itself changes
 * nothing), and offers mark unread, flag, move and delete.
 */
export function MessageActions({ messageApi, mailbox, flags, folders, listHref, inTrash }: Props) {
  const router = useRouter();
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const [target, setTarget] = useState('');
  const url = (suffix = '') => `${messageApi}${suffix}?mailbox=${encodeURIComponent(mailbox)}`;
  const seen = flags.includes('\\Seen');
  const flagged = flags.includes('\\Flagged');
  const markedOnOpen = useRef(false);

  useEffect(() => {
    if (seen || markedOnOpen.current) return;
    markedOnOpen.current = true;
    void call(url(), 'PATCH', { seen: true }).then((error) => (error ? setState({ busy: false, error }) : router.refresh()));
    // Once per opened message (empty deps): a later "Mark unread" must stick.
  }, []);

  async function act(run: () => Promise<string | null>, then: 'refresh' | 'leave') {
    setState({ busy: true });
    const error = await run();
    if (error) return setState({ busy: false, error });
    setState({ busy: false });
    if (then === 'leave') router.push(listHref);
    else router.refresh();
  }

  return (
    <div className="stack">
      <div className="actions" role="group" aria-label="Message actions">
        <button type="button" className="button" disabled={state.busy} onClick={() => void act(() => call(url(), 'PATCH', { seen: !seen }), 'refresh')}>
          {seen ? 'Mark unread' : 'Mark read'}
        </button>
        <button type="button" className="button" disabled={state.busy} aria-pressed={flagged} onClick={() => void act(() => call(url(), 'PATCH', { flagged: !flagged }), 'refresh')}>
          {flagged ? 'Unflag' : 'Flag'}
        </button>
        {folders.length > 0 ? (
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              void act(() => call(url('/move'), 'POST', { to: target }), 'leave');
            }}
          >
            <label className="inline">
              Move to
              <select value={target} onChange={(event) => setTarget(event.target.value)}>
                <option value="" disabled>
                  Choose a folder
                </option>
                {folders.map((f) => (
                  <option key={f.path} value={f.path}>
                    {f.label}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" className="button" disabled={state.busy || target === ''}>
              Move
            </button>
          </form>
        ) : null}
        <button type="button" className="button danger" disabled={state.busy} onClick={() => {
            if (inTrash && !window.confirm('Delete this message for good? It is already in Trash.')) return;
            void act(() => call(url(), 'DELETE'), 'leave');
          }}
        >
          {inTrash ? 'Delete for good' : 'Delete'}
        </button>
      </div>
      {state.error ? (
        <p className="alert error" role="alert">
          {state.error}
        </p>
      ) : null}
    </div>
  );
}

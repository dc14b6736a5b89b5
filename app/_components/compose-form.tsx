'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, type FormEvent } from 'react';

interface Props {
  /** `/api/mail/accounts/{id}/send` */
  sendApi: string;
  from: string;
  to: string;
  cc?: string;
  subject: string;
  /** Reply to or forward this message (the server quotes it and, for forwards, attaches its files). */
  original?: { kind: 'reply' | 'forward'; mailbox: string; uid: number };
  /** Where to go once sent. */
  doneHref: string;
}

type Problem = { message: string; reconnectUrl?: string };

const DRAFT_FIELDS = ['to', 'cc', 'bcc', 'subject', 'text'] as const;

/** "a@x, Name <b@y>; c@z" → the API's recipients; blank → []. */
export function parseRecipients(value: string): Array<string | { name: string; address: string }> {
  return value
    .split(/[,;\n]/)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const named = /^(.*?)\s*<([^<>]+)>$/.exec(part);
      if (!named) return part;
      const name = named[1]!.replace(/^"|"$/g, '').trim();
      return name ? { name, address: named[2]!.trim() } : named[2]!.trim();
    });
}

/** Compose, reply or forward: a plain form a keyboard can drive (Ctrl/⌘+Enter sends). */
export function ComposeForm({ sendApi, from, to, cc, subject, original, doneHref }: Props) {
  const router = useRouter();
  const [state, setState] = useState<{ busy: boolean; problem?: Problem; sent?: boolean }>({ busy: false });
  const formRef = useRef<HTMLFormElement>(null);
  // A reconnect (consent to send) leaves the page: the draft waits in this tab's sessionStorage.
  const draftKey = `mailbridge.draft:${sendApi}:${original ? `${original.kind}:${original.mailbox}:${original.uid}` : 'new'}`;

  useEffect(() => {
    const saved = window.sessionStorage.getItem(draftKey);
    const form = formRef.current;
    if (!saved || !form) return;
    window.sessionStorage.removeItem(draftKey);
    try {
      const draft = JSON.parse(saved) as Record<string, unknown>;
      for (const name of DRAFT_FIELDS) {
        const field = form.elements.namedItem(name);
        if ((field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) && typeof draft[name] === 'string') field.value = draft[name];
      }
    } catch {
      // A damaged draft is dropped.
    }
  }, [draftKey]);

  function keepDraft() {
    const form = formRef.current;
    if (!form) return;
    const data = new FormData(form);
    window.sessionStorage.setItem(draftKey, JSON.stringify(Object.fromEntries(DRAFT_FIELDS.map((name) => [name, String(data.get(name) ?? '')]))));
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const field = (name: string) => String(data.get(name) ?? '');
    const body = {
      to: parseRecipients(field('to')),
      ...(field('cc').trim() ? { cc: parseRecipients(field('cc')) } : {}),
      ...(field('bcc').trim() ? { bcc: parseRecipients(field('bcc')) } : {}),
      subject: field('subject'),
      text: field('text'),
      ...(original ? { [original.kind === 'reply' ? 'replyTo' : 'forward']: { mailbox: original.mailbox, uid: original.uid } } : {}),
    };
    setState({ busy: true });
    const response = await fetch(sendApi, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch(() => null);
    if (!response) return setState({ busy: false, problem: { message: 'The server could not be reached. Your message was not sent; try again.' } });
    if (response.status === 202) {
      setState({ busy: false, sent: true });
      router.push(doneHref);
      return;
    }
    const answer = (await response.json().catch(() => null)) as { error?: { message?: string; reconnectUrl?: string } } | null;
    setState({
      busy: false,
      problem: {
        message: answer?.error?.message ?? 'The message was not sent. Try again.',
        ...(answer?.error?.reconnectUrl ? { reconnectUrl: answer.error.reconnectUrl } : {}),
      },
    });
  }

  return (
    <form
      ref={formRef}
      className="grid compose-form"
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          event.currentTarget.requestSubmit();
        }
      }}
      aria-label={original?.kind === 'reply' ? 'Reply' : original?.kind === 'forward' ? 'Forward' : 'New message'}
    >
      <p className="muted" style={{ gridColumn: '1 / -1' }}>
        From {from}
      </p>
      <label>
        To
        <input name="to" type="text" defaultValue={to} required autoComplete="email" autoFocus={to === ''} placeholder="name@example.com, …" />
      </label>
      <label>
        Cc
        <input name="cc" type="text" defaultValue={cc ?? ''} autoComplete="email" />
      </label>
      <label>
        Bcc
        <input name="bcc" type="text" autoComplete="email" />
      </label>
      <label>
        Subject
        <input name="subject" type="text" defaultValue={subject} maxLength={998} />
      </label>
      <label style={{ gridColumn: '1 / -1' }}>
        Message
        <textarea name="text" rows={12} autoFocus={to !== ''} />
      </label>
      {original ? (
        <p className="muted" style={{ gridColumn: '1 / -1' }}>
          {original.kind === 'reply' ? 'The original message is quoted below your text.' : 'The original message and its attachments are included below your text.'}
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="button primary" disabled={state.busy || state.sent} aria-busy={state.busy}>
          {state.busy ? 'Sending…' : 'Send'}
        </button>
        <span className="muted">Ctrl+Enter sends</span>
      </div>
      {state.sent ? (
        <p className="alert ok" role="status" style={{ gridColumn: '1 / -1' }}>
          Message sent.
        </p>
      ) : null}
      {state.problem ? (
        <div className="alert error" role="alert" style={{ gridColumn: '1 / -1' }}>
          <p>{state.problem.message}</p>
          {state.problem.reconnectUrl ? (
            <a className="button primary" href={state.problem.reconnectUrl} onClick={keepDraft}>
              Reconnect to allow sending
            </a>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}

'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';

type Status = { kind: 'idle' } | { kind: 'busy' } | { kind: 'error'; message: string } | { kind: 'added'; email: string };

/** Adds a password IMAP mailbox; the server checks the login before saving anything. */
export function AddImapForm() {
  const router = useRouter();
  const [status, setStatus] = useState<Status>({ kind: 'idle' });

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const email = String(data.get('email') ?? '').trim();
    const smtpHost = String(data.get('smtpHost') ?? '').trim();
    const body = {
      email,
      host: String(data.get('host') ?? '').trim(),
      port: Number(data.get('port')),
      secure: data.get('secure') === 'on',
      username: String(data.get('username') ?? '').trim() || email,
      password: String(data.get('password') ?? ''),
      // The outgoing server: optional (without it the mailbox can read but not send).
      ...(smtpHost
        ? {
            smtp: {
              host: smtpHost,
              port: Number(data.get('smtpPort')),
              secure: data.get('smtpSecure') === 'on',
              ...(String(data.get('smtpUsername') ?? '').trim() ? { username: String(data.get('smtpUsername')).trim() } : {}),
              ...(String(data.get('smtpPassword') ?? '') ? { password: String(data.get('smtpPassword')) } : {}),
            },
          }
        : {}),
    };
    setStatus({ kind: 'busy' });
    try {
      const response = await fetch('/api/mail/accounts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (response.status === 201) {
        form.reset();
        setStatus({ kind: 'added', email });
        router.refresh();
        return;
      }
      const problem = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
      setStatus({ kind: 'error', message: explain(response.status, problem?.error?.message) });
    } catch {
      setStatus({ kind: 'error', message: 'The server could not be reached. Check your connection and try again.' });
    }
  }

  return (
    <form className="grid" onSubmit={submit} aria-describedby="imap-status">
      <label>
        Email address
        <input name="email" type="email" required autoComplete="email" />
      </label>
      <label>
        IMAP server
        <input name="host" type="text" required placeholder="imap.example.com" autoComplete="off" spellCheck={false} />
      </label>
      <label>
        Port
        <input name="port" type="number" required min={1} max={65535} defaultValue={993} />
      </label>
      <label>
        User name <span className="muted">(if not the email address)</span>
        <input name="username" type="text" autoComplete="username" spellCheck={false} />
      </label>
      <label>
        Password
        <input name="password" type="password" required autoComplete="current-password" />
      </label>
      <label className="inline">
        <input name="secure" type="checkbox" defaultChecked /> Use TLS (recommended)
      </label>
      <fieldset className="grid" style={{ gridColumn: '1 / -1' }}>
        <legend>Sending (SMTP) — optional; needed to send, reply and forward</legend>
        <label>
          SMTP server
          <input name="smtpHost" type="text" placeholder="smtp.example.com" autoComplete="off" spellCheck={false} />
        </label>
        <label>
          SMTP port
          <input name="smtpPort" type="number" min={1} max={65535} defaultValue={587} />
        </label>
        <label>
          SMTP user name <span className="muted">(if not the IMAP one)</span>
          <input name="smtpUsername" type="text" autoComplete="off" spellCheck={false} />
        </label>
        <label>
          SMTP password <span className="muted">(if not the IMAP one)</span>
          <input name="smtpPassword" type="password" autoComplete="off" />
        </label>
        <label className="inline">
          <input name="smtpSecure" type="checkbox" /> TLS from the start (port 465); otherwise STARTTLS is required
        </label>
      </fieldset>
      <div className="actions">
        <button type="submit" className="button primary" disabled={status.kind === 'busy'} aria-busy={status.kind === 'busy'}>
          {status.kind === 'busy' ? 'Checking the login…' : 'Add IMAP mailbox'}
        </button>
        <span id="imap-status" role="status" aria-live="polite">
          {status.kind === 'added' ? <span className="badge active">Added {status.email}</span> : null}
        </span>
      </div>
      {status.kind === 'error' ? (
        <p className="alert error" role="alert" style={{ gridColumn: '1 / -1' }}>
          {status.message}
        </p>
      ) : null}
    </form>
  );
}

function explain(status: number, message: string | undefined): string {
  if (status === 401) return 'Your session has ended. Sign in again.';
  if (status === 503) return 'The mail server could not be reached. Check the server name and port, then try again.';
  if (status === 400 && message) return message;
  return 'The mailbox could not be added. Check the details and try again.';
}

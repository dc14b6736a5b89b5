'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent, type ReactNode } from 'react';

type Field = { name: string; type: 'text' | 'number' };

/**
 * A form posting its fields as JSON to one API route; on success it refreshes the page (or goes
 * to `redirectTo`), on failure it shows the API's message.
 *
 * `redirectTo` is a path template, not a function: server components render this form, and only
 * serializable props cross to the client. `{field}` is replaced by that field of the answer.
 */
export function JsonForm(props: {
  action: string;
  fields: Field[];
  submitLabel: string;
  busyLabel: string;
  children: ReactNode;
  /** e.g. `/knowledge/{id}`: `{id}` becomes the answer's `id`, URL-encoded. */
  redirectTo?: string;
}) {
  const router = useRouter();
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const body: Record<string, unknown> = {};
    for (const field of props.fields) {
      const raw = String(data.get(field.name) ?? '').trim();
      if (raw !== '') body[field.name] = field.type === 'number' ? Number(raw) : raw;
    }
    setState({ busy: true });
    try {
      const response = await fetch(props.action, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const answer = (await response.json().catch(() => null)) as (Record<string, unknown> & { error?: { message?: string } }) | null;
      if (!response.ok) {
        setState({ busy: false, error: answer?.error?.message ?? 'That did not work. Check the details and try again.' });
        return;
      }
      form.reset();
      setState({ busy: false });
      if (props.redirectTo && answer) router.push(fillPath(props.redirectTo, answer));
      else router.refresh();
    } catch {
      setState({ busy: false, error: 'The server could not be reached. Try again.' });
    }
  }

  return (
    <form className="grid" onSubmit={submit}>
      {props.children}
      <div className="actions">
        <button type="submit" className="button primary" disabled={state.busy} aria-busy={state.busy}>
          {state.busy ? props.busyLabel : props.submitLabel}
        </button>
      </div>
      {state.error ? (
        <p className="alert error" role="alert" style={{ gridColumn: '1 / -1' }}>
          {state.error}
        </p>
      ) : null}
    </form>
  );
}

export function fillPath(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(String(values[key] ?? '')));
}

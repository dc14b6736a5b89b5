'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';

/** A button that calls one API route, then refreshes the page's server data. */
export function ApiButton(props: {
  method: 'POST' | 'DELETE';
  href: string;
  label: string;
  busyLabel: string;
  confirm?: string;
  variant?: 'primary' | 'danger';
}) {
  const router = useRouter();
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  return (
    <>
      <button
        type="button"
        className={`button${props.variant ? ` ${props.variant}` : ''}`}
        disabled={state.busy}
        aria-busy={state.busy}
        onClick={async () => {
          if (props.confirm && !window.confirm(props.confirm)) return;
          setState({ busy: true });
          const response = await fetch(props.href, { method: props.method }).catch(() => null);
          if (response?.ok) {
            setState({ busy: false });
            router.refresh();
            return;
          }
          const body = (await response?.json().catch(() => null)) as { error?: { message?: string } } | null;
          setState({ busy: false, error: body?.error?.message ?? 'That did not work. Try again.' });
        }}
      >
        {state.busy ? props.busyLabel : props.label}
      </button>
      {state.error ? (
        <span role="alert" className="muted">
          {state.error}
        </span>
      ) : null}
    </>
  );
}

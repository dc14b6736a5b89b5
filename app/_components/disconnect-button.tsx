'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';

export function DisconnectButton({ accountId, email }: { accountId: string; email: string }) {
  const router = useRouter();
  const [state, setState] = useState<'idle' | 'busy' | 'failed'>('idle');
  return (
    <>
      <button
        type="button"
        className="button danger"
        disabled={state === 'busy'}
        aria-busy={state === 'busy'}
        onClick={async () => {
          if (!window.confirm(`Disconnect ${email}? Mailbridge forgets its stored sign-in; your mail stays where it is.`)) return;
          setState('busy');
          const response = await fetch(`/api/mail/accounts/${encodeURIComponent(accountId)}`, { method: 'DELETE' }).catch(() => null);
          if (response?.ok) {
            setState('idle');
            router.refresh();
          } else setState('failed');
        }}
      >
        {state === 'busy' ? 'Disconnecting…' : 'Disconnect'}
      </button>
      {state === 'failed' ? (
        <span role="alert" className="muted">
          Could not disconnect. Try again.
        </span>
      ) : null}
    </>
  );
}

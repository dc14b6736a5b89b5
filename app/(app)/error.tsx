'use client';

import { useEffect } from 'react';

export default function SignedInError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    document.title = 'Something went wrong · Mailbridge';
  }, []);
  return (
    <div className="card stack" role="alert">
      <h1>Something went wrong</h1>
      <p>This page could not be loaded. It may be a temporary problem with the mail server or with Microsoft.</p>
      <div className="actions">
        <button type="button" className="button primary" onClick={reset}>
          Try again
        </button>
        <a className="button" href="/accounts">
          Go to your mailboxes
        </a>
      </div>
      {error.digest ? <p className="fine-print">Reference: {error.digest}</p> : null}
    </div>
  );
}

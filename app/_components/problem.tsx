import Link from 'next/link';
import { AppError } from '@/lib/errors';

/**
 * Expected failures rendered as a state a person can act on. (Thrown errors reach error.tsx
 * without their message in production, so pages catch AppErrors and render this instead.)
 */
export function Problem({ error, accountId, retryHref }: { error: unknown; accountId?: string; retryHref?: string }) {
  const code = error instanceof AppError ? error.code : 'internal';
  if (code === 'needs_reauth') {
    return (
      <div className="alert warning" role="alert">
        <p>
          <strong>This mailbox needs to be reconnected.</strong> Microsoft no longer accepts its sign-in (for example after a
          password change, or because access was revoked).
        </p>
        {accountId ? (
          <a className="button primary" href={`/api/mail/connect?account=${encodeURIComponent(accountId)}`}>
            Reconnect mailbox
          </a>
        ) : null}
      </div>
    );
  }
  if (code === 'upstream_unavailable') {
    return (
      <div className="alert warning" role="alert">
        <p>
          <strong>The mail server is not answering right now.</strong> This is usually temporary — try again in a minute.
        </p>
        {retryHref ? <Link href={retryHref}>Try again</Link> : null}
      </div>
    );
  }
  if (code === 'invalid_request' && error instanceof AppError) {
    return (
      <div className="alert error" role="alert">
        <p>{error.message}</p>
      </div>
    );
  }
  return (
    <div className="alert error" role="alert">
      <p>Something went wrong while loading this. Try again; if it keeps happening, the server log has details.</p>
      {retryHref ? <Link href={retryHref}>Try again</Link> : null}
    </div>
  );
}

/** Runs a loader; an AppError other than not_found becomes a value to render, not a crash. */
export async function attempt<T>(load: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await load() };
  } catch (error) {
    if (error instanceof AppError && error.code !== 'not_found' && error.code !== 'internal') return { ok: false, error };
    throw error;
  }
}

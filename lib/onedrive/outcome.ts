// How a run ends, for the link row: what status, what the user sees as the error, and when the
// link is due again. Messages are written here, never copied from upstream (they could echo a URL).
import { AppError } from '../errors';
import { DeadlineReachedError, GraphError, LeaseLostError } from './errors';

export type SyncOutcome = 'synced' | 'partial' | 'busy' | 'paused' | 'not_found' | 'needs_reauth' | 'error' | 'lease_lost';

export interface FailureVerdict {
  outcome: 'partial' | 'needs_reauth' | 'error' | 'lease_lost';
  /** Stable short code for logs and the cron summary. */
  code: string;
  /** Shown to the user (SPEC §4 `onedrive.error`). */
  message: string | null;
  /** The upstream asked us to wait at least this long. */
  retryAfterMs?: number;
}

export const REAUTH_MESSAGE = 'Reconnect the Microsoft account to resume syncing this folder.';

export function judgeFailure(error: unknown): FailureVerdict {
  if (error instanceof DeadlineReachedError) return { outcome: 'partial', code: 'deadline', message: null };
  if (error instanceof LeaseLostError) return { outcome: 'lease_lost', code: 'lease_lost', message: null };
  if (error instanceof AppError) {
    if (error.code === 'needs_reauth') return { outcome: 'needs_reauth', code: 'needs_reauth', message: REAUTH_MESSAGE };
    if (error.code === 'upstream_unavailable') {
      const verdict: FailureVerdict = { outcome: 'error', code: 'token_unavailable', message: 'Microsoft sign-in is temporarily unavailable; the sync will retry.' };
      if (error.retryAfter !== undefined) verdict.retryAfterMs = error.retryAfter * 1000;
      return verdict;
    }
  }
  if (error instanceof GraphError) {
    if (error.status === 404) return { outcome: 'error', code: 'folder_not_found', message: 'The linked OneDrive folder no longer exists or is no longer shared with this account.' };
    if (error.status === 403) return { outcome: 'error', code: 'access_denied', message: 'OneDrive denied access to the linked folder.' };
    if (error.status === 401) return { outcome: 'error', code: 'graph_unauthorized', message: 'OneDrive rejected the account’s access token; the sync will retry.' };
    if (error.transient) {
      const verdict: FailureVerdict = { outcome: 'error', code: 'upstream_unavailable', message: 'OneDrive is temporarily unavailable or throttling requests; the sync will retry.' };
      if (error.retryAfterMs !== undefined) verdict.retryAfterMs = error.retryAfterMs;
      return verdict;
    }
    return { outcome: 'error', code: `graph_${error.code}`, message: 'OneDrive returned an unexpected error; the sync will retry.' };
  }
  return { outcome: 'error', code: 'internal', message: 'The sync failed unexpectedly; it will retry.' };
}

/** Delay before a failed link is due again: doubling from a minute, capped by its interval and an hour. */
export function failureBackoffMs(failureCount: number, intervalMinutes: number, retryAfterMs = 0): number {
  const backoff = Math.min(2 ** Math.max(0, failureCount - 1), 60, Math.max(1, intervalMinutes)) * 60_000;
  return Math.max(backoff, retryAfterMs);
}

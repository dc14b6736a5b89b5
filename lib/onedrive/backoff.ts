// Waiting politely: Retry-After (seconds or an HTTP date) when Graph gives one, exponential
// backoff otherwise, and jitter on top so that workers released by the same window do not all
// hit Graph again in the same instant.
const MAX_BACKOFF_MS = 30_000;

/** Milliseconds from a Retry-After header value; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function backoffMs(attempt: number, random: () => number): number {
  const cap = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt);
  return cap / 2 + random() * (cap / 2);
}

/** Jitter added after a Retry-After window: up to a quarter of it, at most one second. */
export function jitterMs(waitMs: number, random: () => number): number {
  return Math.round(random() * Math.min(1000, 100 + waitMs / 4));
}

// Expiry and backoff arithmetic. Pure: the clock and randomness come in as arguments.

/** An access token is usable when it outlives the refresh skew. */
export function isFresh(expiresAt: number, now: number, skewMs: number): boolean {
  return expiresAt - skewMs > now;
}

/** Redis keeps a token only while it is fresh, so a cache hit never needs an expiry check twice. */
export function cacheTtlMs(expiresAt: number, now: number, skewMs: number): number {
  return Math.max(0, expiresAt - skewMs - now);
}

/** Full-jitter exponential backoff (AWS architecture blog), floored by the server's Retry-After. */
export function backoffDelayMs(input: {
  attempt: number;
  baseMs: number;
  maxMs: number;
  retryAfterSeconds?: number;
  random?: () => number;
}): number {
  const random = input.random ?? Math.random;
  const ceiling = Math.min(input.maxMs, input.baseMs * 2 ** input.attempt);
  const jittered = Math.floor(random() * ceiling);
  const floor = input.retryAfterSeconds === undefined ? 0 : input.retryAfterSeconds * 1000;
  return Math.max(jittered, floor);
}

const MINUTE = 60_000;

/**
 * When a credential may be tried again after `failureCount` consecutive failures, so a broken
 * credential cannot cause a refresh storm. Loop detection (AADSTS50196) waits much longer.
 */
export function nextRetryAt(input: {
  now: number;
  failureCount: number;
  kind: 'transient' | 'loop' | 'app';
  retryAfterSeconds?: number;
  random?: () => number;
}): number {
  const random = input.random ?? Math.random;
  const base = input.kind === 'loop' ? 15 * MINUTE : 30_000;
  const cap = input.kind === 'loop' ? 6 * 60 * MINUTE : 60 * MINUTE;
  const exponential = Math.min(cap, base * 2 ** Math.max(0, input.failureCount - 1));
  // Half fixed, half jitter: spread retries without ever retrying immediately.
  const delay = exponential / 2 + random() * (exponential / 2);
  const floor = input.retryAfterSeconds === undefined ? 0 : input.retryAfterSeconds * 1000;
  return input.now + Math.max(delay, floor);
}

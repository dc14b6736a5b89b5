// When a failed delivery is tried again: exponential from 30 s, capped at 6 h, with full jitter
// on the upper half (so a receiver that comes back is not hit by every event at once), and never
// sooner than the receiver's Retry-After. Pure.

export interface RetryDelayInput {
  /** Attempts made so far, including the one that just failed (≥ 1). */
  attempts: number;
  /** Seconds from the receiver's Retry-After header, when it sent one. */
  retryAfterSeconds?: number;
  random?: () => number;
  baseMs?: number;
  maxMs?: number;
}

export function retryDelayMs(input: RetryDelayInput): number {
  const base = input.baseMs ?? 30_000;
  const max = input.maxMs ?? 6 * 3_600_000;
  const random = input.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, input.attempts - 1));
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  const retryAfter = input.retryAfterSeconds !== undefined ? Math.min(input.retryAfterSeconds, 86_400) * 1000 : 0;
  return Math.max(jittered, retryAfter);
}

/** Retry-After as seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

// Callers often derive a TTL from an expiry time, so a value at or below zero is an ordinary
// outcome ("already expired"), not a bug worth throwing over: both caches treat it as such.

/** Whole milliseconds for PX (which rejects fractions), or 0 when the entry is already expired. */
export function normalizeTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) return 0;
  return Math.ceil(ttlMs);
}

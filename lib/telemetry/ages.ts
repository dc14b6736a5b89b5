// Refresh-token age buckets: how long since each active OAuth mailbox's refresh token was last
// exercised (Microsoft's inactivity cliff is 90 days). Pure; the query is in credential-counts.ts.

export const AGE_BUCKETS = ['0-30d', '30-60d', '60-80d', '80-90d', '90d+'] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

/** Lower bound of each bucket, in days (the last bucket has no upper bound). */
export const AGE_BUCKET_START_DAYS: Record<AgeBucket, number> = { '0-30d': 0, '30-60d': 30, '60-80d': 60, '80-90d': 80, '90d+': 90 };

const DAY_MS = 86_400_000;

export function ageBucket(ageMs: number): AgeBucket {
  const days = Math.max(0, ageMs) / DAY_MS;
  let found: AgeBucket = '0-30d';
  for (const bucket of AGE_BUCKETS) if (days >= AGE_BUCKET_START_DAYS[bucket]) found = bucket;
  return found;
}

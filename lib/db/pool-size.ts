// How many PostgreSQL connections a process keeps (pure). The cron is what runs many queries at
// once: each refresh in flight holds a connection only for its two statements (a few ms each),
// not while the token endpoint answers (≥ 100 ms), so a connection serves about four refreshes
// in flight. Requests of the same process need a few of their own. Bounded so that several
// instances stay well inside PostgreSQL's default max_connections (100).

export const MIN_POOL_SIZE = 10;
export const MAX_POOL_SIZE = 32;
/** Refreshes in flight one connection serves. */
const REFRESHES_PER_CONNECTION = 4;

export function poolSizeFor(input: { cronMaxConcurrency: number }): number {
  const forCron = Math.ceil(Math.max(0, input.cronMaxConcurrency) / REFRESHES_PER_CONNECTION);
  return Math.min(MAX_POOL_SIZE, Math.max(MIN_POOL_SIZE, forCron));
}

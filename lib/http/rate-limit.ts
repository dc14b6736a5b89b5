// Per-user abuse limits: a fixed window counted in the cache. The cache has no INCR, so a request
// claims the next free numbered slot of its window with SET NX; a claim is atomic, so concurrent
// requests never share a slot and the count is exact across instances. A hint key remembers
// where the free slots start, so a request usually costs three cache calls.
// Redis is an accelerator, never a dependency (SPEC §5.3): while it is down every claim is
// refused, which is told apart from a full window by reading a claimed slot back. Then the limit
// fails open. The in-process cache counts per instance, as it caches per instance.
import { getCache, type Cache } from '../cache';
import { AppError } from '../errors';
import { childLogger } from '../log';

const log = childLogger('rate-limit');

export interface RateLimitRule {
  /** Names the limit in cache keys and logs. */
  name: string;
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
}

export const RATE_LIMITS = {
  /** POST /api/mail/accounts: each attempt is a password login against a host the user names. */
  passwordLogin: { name: 'password-login', limit: 10, windowSeconds: 600 },
  /** POST /api/mail/accounts/{id}/send: each submits a message over SMTP. */
  mailSend: { name: 'mail-send', limit: 60, windowSeconds: 600 },
  /** GET /api/mail/connect: each records a pending flow and sends the browser to Microsoft. */
  mailConnect: { name: 'mail-connect', limit: 20, windowSeconds: 600 },
  /** POST /api/knowledge */
  knowledgeCreate: { name: 'knowledge-create', limit: 30, windowSeconds: 600 },
  /** POST /api/knowledge/{id}/sync: each starts a Graph sync. */
  knowledgeSync: { name: 'knowledge-sync', limit: 30, windowSeconds: 600 },
} as const satisfies Record<string, RateLimitRule>;

export interface FixedWindow {
  /** Which window `now` falls in (windows start at multiples of the length since the epoch). */
  index: number;
  /** Milliseconds until it ends (> 0). */
  msLeft: number;
  /** Whole seconds until it ends, at least 1: the Retry-After of a refusal. */
  retryAfterSeconds: number;
}

/** Pure: the fixed window that `now` (ms since the epoch) falls in. */
export function fixedWindow(now: number, windowSeconds: number): FixedWindow {
  const length = windowSeconds * 1000;
  const index = Math.floor(now / length);
  const msLeft = (index + 1) * length - now;
  return { index, msLeft, retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)) };
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface TakeOptions {
  cache: Cache;
  rule: RateLimitRule;
  /** Whose allowance: a user id. */
  subject: string;
  now?: number;
}

/** Counts one request of `subject` against `rule`; refuses it when the window is full. */
export async function takeRateLimit(options: TakeOptions): Promise<RateDecision> {
  const { cache, rule } = options;
  const window = fixedWindow(options.now ?? Date.now(), rule.windowSeconds);
  const base = `rl:${rule.name}:${encodeURIComponent(options.subject)}:${window.index}`;
  const slot = (n: number) => `${base}:${n}`;
  // Slots live to the end of their window (and a little past it: only garbage collection).
  const ttlMs = window.msLeft + 1000;
  const hint = Number.parseInt((await cache.get(`${base}:next`)) ?? '0', 10);
  for (let n = Number.isSafeInteger(hint) ? Math.min(Math.max(hint, 0), rule.limit) : 0; n < rule.limit; n++) {
    if (await cache.setIfAbsent(slot(n), '1', ttlMs)) {
      await cache.set(`${base}:next`, String(n + 1), ttlMs);
      return { allowed: true };
    }
  }
  // Every slot refused: a full window reads back its last slot; a cache that is down (or lost
  // its keys) does not, and the request passes.
  if ((await cache.get(slot(rule.limit - 1))) === null) return { allowed: true };
  return { allowed: false, retryAfterSeconds: window.retryAfterSeconds };
}

export interface EnforceOptions {
  rule: RateLimitRule;
  userId: string;
  cache?: Cache;
  now?: number;
}

/** Throws a 400 with Retry-After (SPEC §4 has no 429) when the user is over the limit. */
export async function enforceRateLimit(options: EnforceOptions): Promise<void> {
  const decision = await takeRateLimit({
    cache: options.cache ?? getCache(),
    rule: options.rule,
    subject: options.userId,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  if (decision.allowed) return;
  log.info({ limit: options.rule.name, userId: options.userId, retryAfter: decision.retryAfterSeconds }, 'rate limit reached');
  throw new AppError('invalid_request', `Too many requests; try again in ${decision.retryAfterSeconds} seconds`, {
    retryAfter: decision.retryAfterSeconds,
  });
}

// ensureFreshToken: Redis → database → refresh → commit → Redis (SPEC §5.1–5.5).
//
// One refresh at a time: callers in this process share one promise per credential and resource;
// processes share a lease on the credential row (owner-checked release, re-read after acquiring).
// The lease is per credential, not per resource, because every refresh rotates the same
// refresh token. The rotated refresh token is committed (compare-and-set on tokenVersion) before
// any caller sees the new access token. Redis is only ever an accelerator.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { Cache } from '../cache/types';
import type { IdentityClient } from '../microsoft/identity-client';
import { TokenRequestError } from '../microsoft/identity-client';
import type { Classification } from '../microsoft/classify';
import { AccessTokenCache } from './access-token-cache';
import { backoffDelayMs, isFresh, nextRetryAt } from './freshness';
import { SingleFlight } from './single-flight';
import { UsageStamps } from './usage-stamps';
import { CredentialTokenStore, type CredentialTokenState } from './credential-token-store';
import type { EnsureFreshTokenOptions, FreshToken, TokenResource } from './types';
import type { SecretBox } from '../crypto';
import type { TokenDb } from './db-types';

export interface TokenServiceDeps {
  db: TokenDb;
  cache: Cache;
  secrets: SecretBox;
  identity: IdentityClient;
  logger: Logger;
  skewSeconds: number;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** How long a refresh may hold the credential's lease. */
  leaseMs?: number;
  /** How long a caller waits for another process's refresh before giving up with a 503. */
  waitTimeoutMs?: number;
  /** How often (at most) a credential's use is stamped in the database, per process. */
  usageStampIntervalMs?: number;
  /** Attempts and total time for transient failures within one call. */
  retry?: { attempts: number; baseMs: number; maxMs: number; budgetMs: number };
}

/** Raised for refresh failures; `kind` tells the cron route to stop on app misconfiguration. */
export class RefreshFailedError extends AppError {
  constructor(readonly classification: Classification, retryAfter?: number) {
    super(
      classification.kind === 'reauth' ? 'needs_reauth' : 'upstream_unavailable',
      classification.kind === 'reauth'
        ? 'The mailbox must be reconnected by its owner'
        : 'Microsoft is temporarily unavailable; try again shortly',
      retryAfter === undefined ? {} : { retryAfter },
    );
    this.name = 'RefreshFailedError';
  }
}

/** An access token still usable (if not fresh) when refreshing fails transiently. */
const USABLE_MARGIN_MS = 30_000;

interface Want {
  rejected: string | undefined;
  /** The token must outlive this (at least the refresh skew). */
  validityMs: number;
  refreshedSince: number | undefined;
  strict: boolean;
}
const POLL_MS = 40;
const APP_FAILURE_PAUSE_MS = 60_000;

export interface TokenService {
  ensureFreshToken(credentialId: string, resource: TokenResource, options?: EnsureFreshTokenOptions): Promise<FreshToken>;
  /** Drop cached access tokens (disconnect, reconnect). */
  forgetAccessTokens(credentialId: string): Promise<void>;
}

export function createTokenService(deps: TokenServiceDeps): TokenService {
  const clock = deps.clock ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = deps.random ?? Math.random;
  const skewMs = deps.skewSeconds * 1000;
  const leaseMs = deps.leaseMs ?? 30_000;
  const waitTimeoutMs = deps.waitTimeoutMs ?? 20_000;
  const retry = deps.retry ?? { attempts: 3, baseMs: 250, maxMs: 4_000, budgetMs: 8_000 };
  const log = deps.logger;
  const store = new CredentialTokenStore(deps.db, deps.secrets);
  const cached = new AccessTokenCache(deps.cache, deps.secrets, log, clock);
  const flights = new SingleFlight<FreshToken>();
  const usage = new UsageStamps({
    clock,
    intervalMs: deps.usageStampIntervalMs ?? 10 * 60_000,
    write: (credentialId, at) => store.recordAccess(credentialId, at),
    onError: (credentialId) => log.debug({ credentialId }, 'could not record mailbox use'),
  });
  const owner = `${process.pid}:${randomUUID()}`;
  // Process-wide pause after an app-level failure: the app's own secret is broken, so every
  // credential would fail the same way; don't hammer the identity platform meanwhile.
  let appPausedUntil = 0;
  const reportedAppFailures = new Set<string>();

  async function ensureFreshToken(
    credentialId: string,
    resource: TokenResource,
    options: EnsureFreshTokenOptions = {},
  ): Promise<FreshToken> {
    const want: Want = {
      rejected: options.rejectedToken,
      validityMs: Math.max(skewMs, (options.minValiditySeconds ?? 0) * 1000),
      refreshedSince: options.refreshedSince,
      strict: options.strict ?? false,
    };
    if (!options.background) usage.touch(credentialId);
    const hit = await cached.get(credentialId, resource);
    // The cache cannot tell when the credential was last refreshed; such callers ask the database.
    if (hit && want.refreshedSince === undefined && tokenSatisfies(hit, want)) return hit;
    if (hit && want.rejected !== undefined && hit.accessToken === want.rejected) await cached.delete(credentialId, resource);
    const flightKey = [credentialId, resource, want.rejected ?? '', want.validityMs, want.refreshedSince ?? '', want.strict].join(':');
    return flights.run(flightKey, () => loadOrRefresh(credentialId, resource, want));
  }

  /** Whether a stored token answers the caller, or a refresh is needed. */
  function tokenSatisfies(token: FreshToken | null, want: Want): token is FreshToken {
    return token !== null && token.accessToken !== want.rejected && isFresh(token.expiresAt, clock(), want.validityMs);
  }

  function stateSatisfies(state: CredentialTokenState, want: Want): boolean {
    if (want.refreshedSince !== undefined && (state.lastRefreshAt ?? 0) < want.refreshedSince) return false;
    return tokenSatisfies(state.accessToken, want);
  }

  async function loadOrRefresh(credentialId: string, resource: TokenResource, want: Want): Promise<FreshToken> {
    const deadline = clock() + waitTimeoutMs;
    for (;;) {
      const state = await store.read(credentialId, resource);
      assertRefreshable(state);
      if (stateSatisfies(state, want) && state.accessToken) {
        await cached.set(credentialId, resource, state.accessToken, skewMs);
        return state.accessToken;
      }
      if (state.nextRetryAt !== null && state.nextRetryAt > clock()) {
        return usableOrThrow(state, want, {
          kind: 'transient',
          code: 'backoff',
          retryAfterSeconds: Math.ceil((state.nextRetryAt - clock()) / 1000),
        });
      }
      if (appPausedUntil > clock()) {
        return usableOrThrow(state, want, { kind: 'app', code: 'app_paused' });
      }
      if (await store.acquireLease(credentialId, owner, clock(), leaseMs)) {
        try {
          return await refreshHoldingLease(credentialId, resource, want);
        } finally {
          await store.releaseLease(credentialId, owner).catch((error: unknown) => {
            log.warn({ credentialId, err: errorName(error) }, 'refresh lease release failed; it will expire');
          });
        }
      }
      if (clock() > deadline) {
        log.warn({ credentialId, resource, outcome: 'lock_timeout' }, 'gave up waiting for another refresh');
        throw new AppError('upstream_unavailable', 'Token refresh is taking too long; try again shortly', { retryAfter: 5 });
      }
      await sleep(POLL_MS + Math.floor(random() * POLL_MS));
    }
  }

  async function refreshHoldingLease(credentialId: string, resource: TokenResource, want: Want): Promise<FreshToken> {
    // Re-read under the lease: another process may have finished a refresh just before.
    const state = await store.read(credentialId, resource);
    assertRefreshable(state);
    if (stateSatisfies(state, want) && state.accessToken) {
      await cached.set(credentialId, resource, state.accessToken, skewMs);
      return state.accessToken;
    }
    let refreshToken: string;
    try {
      refreshToken = store.openRefreshToken(state);
    } catch {
      // Sealed under a retired key or not bound to this row: unusable, only the owner can fix it.
      await store.markNeedsReauth({ state, code: 'undecryptable' });
      await cached.deleteAll(credentialId);
      log.error({ credentialId, resource, outcome: 'needs_reauth', code: 'undecryptable' }, 'stored refresh token cannot be opened');
      throw new RefreshFailedError({ kind: 'reauth', code: 'undecryptable' });
    }
    const started = clock();
    let attempt = 0;
    for (;;) {
      try {
        const tokens = await deps.identity.refresh({ refreshToken, resource });
        const fresh: FreshToken = { accessToken: tokens.accessToken, expiresAt: tokens.expiresAt };
        const committed = await store.commitRefresh({
          state,
          resource,
          accessToken: fresh,
          ...(tokens.refreshToken ? { rotatedRefreshToken: tokens.refreshToken } : {}),
          now: clock(),
        });
        if (!committed) {
          // Someone holding a newer version wrote first (our lease had expired): theirs wins.
          log.warn({ credentialId, resource, outcome: 'superseded' }, 'refresh result superseded by a newer one');
          const latest = await store.read(credentialId, resource);
          if (latest.accessToken && isFresh(latest.accessToken.expiresAt, clock(), skewMs)) return latest.accessToken;
          return fresh;
        }
        await cached.set(credentialId, resource, fresh, skewMs);
        log.info(
          { credentialId, resource, outcome: 'refreshed', rotated: Boolean(tokens.refreshToken), attempts: attempt + 1, durationMs: clock() - started },
          'access token refreshed',
        );
        return fresh;
      } catch (error) {
        if (!(error instanceof TokenRequestError)) throw error;
        const c = error.classification;
        if (c.kind === 'reauth') {
          await store.markNeedsReauth({ state, code: c.code });
          await cached.deleteAll(credentialId);
          log.warn({ credentialId, resource, outcome: 'needs_reauth', code: c.code }, 'grant is gone; credential needs re-authorization');
          throw new RefreshFailedError(c);
        }
        if (c.kind === 'app') {
          appPausedUntil = clock() + APP_FAILURE_PAUSE_MS;
          if (!reportedAppFailures.has(c.code)) {
            reportedAppFailures.add(c.code);
            log.error(
              { credentialId, resource, outcome: 'app_misconfigured', code: c.code, alert: 'operator' },
              'Microsoft rejected the app registration itself (client id/secret); refreshes paused',
            );
          }
          return usableOrThrow(state, want, c);
        }
        attempt += 1;
        const delay = backoffDelayMs({
          attempt,
          baseMs: retry.baseMs,
          maxMs: retry.maxMs,
          ...(c.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: c.retryAfterSeconds }),
          random,
        });
        const outOfBudget = clock() + delay - started > retry.budgetMs;
        if (c.kind === 'loop' || attempt >= retry.attempts || outOfBudget) {
          const failures = state.failureCount + 1;
          const retryAt = nextRetryAt({
            now: clock(),
            failureCount: failures,
            kind: c.kind,
            ...(c.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: c.retryAfterSeconds }),
            random,
          });
          await store.recordTransientFailure({ state, code: c.code, nextRetryAt: retryAt });
          log.warn(
            { credentialId, resource, outcome: 'failed', kind: c.kind, code: c.code, attempts: attempt, failureCount: failures },
            'token refresh failed; will retry later',
          );
          return usableOrThrow(state, want, { ...c, retryAfterSeconds: Math.ceil((retryAt - clock()) / 1000) });
        }
        await sleep(delay);
      }
    }
  }

  function assertRefreshable(state: CredentialTokenState): void {
    if (state.status === 'needs_reauth' || !state.hasRefreshToken) {
      throw new RefreshFailedError({ kind: 'reauth', code: state.lastError ?? 'needs_reauth' });
    }
  }

  /** A failing refresh still serves a token that has not actually expired (unless strict). */
  function usableOrThrow(state: CredentialTokenState, want: Want, c: Classification): FreshToken {
    const current = state.accessToken;
    if (!want.strict && current && current.accessToken !== want.rejected && current.expiresAt - USABLE_MARGIN_MS > clock()) return current;
    throw new RefreshFailedError(c, c.retryAfterSeconds);
  }

  return {
    ensureFreshToken,
    forgetAccessTokens: (credentialId) => cached.deleteAll(credentialId),
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}

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
import { TokenRequestError, type TokenSet } from '../microsoft/identity-client';
import type { Classification } from '../microsoft/classify';
import { AccessTokenCache, followInvalidations } from './access-token-cache';
import { L1_DEFAULTS, L1TokenCache, type L1Options, type L1Ticket } from './l1-cache';
import { backoffDelayMs, isFresh, nextRetryAt } from './freshness';
import { SingleFlight } from './single-flight';
import { UsageStamps } from './usage-stamps';
import { CredentialTokenStore, type CredentialTokenState } from './credential-token-store';
import type { EnsureFreshTokenOptions, FreshToken, TokenResource } from './types';
import type { SecretBox } from '../crypto';
import type { TokenDb } from './db-types';
import { appMisconfiguredEvent, type EventOutbox } from '../webhooks';
import { ATTR, telemetry } from '../telemetry';

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
  /** How long a caller without a usable token waits for another refresh before a 503. */
  waitTimeoutMs?: number;
  /** How often (at most) a credential's use is stamped in the database, per process. */
  usageStampIntervalMs?: number;
  /** Operator events (webhooks): written with the changes that cause them; absent: none. */
  outbox?: EventOutbox;
  /** Attempts and total time for transient failures within one call. */
  retry?: { attempts: number; baseMs: number; maxMs: number; budgetMs: number };
  /**
   * The in-process cache of opened access tokens in front of Redis (bounds and the lifetime
   * while invalidations may be missed); `false` turns it off. On by default.
   */
  l1?: Partial<Omit<L1Options, 'clock'>> | false;
}

/**
 * What a failure held back besides the call that met it: every credential (the app's own client
 * credential is broken), one tenant's credentials (the app cannot act in that tenant), or only
 * this credential.
 */
export type PauseScope =
  | { scope: 'all' }
  | { scope: 'tenant'; tenantId: string }
  | { scope: 'credential'; credentialId: string };

/** Raised for refresh failures; `classification.kind` and `paused` tell the cron what broke. */
export class RefreshFailedError extends AppError {
  static override readonly brand: string = 'mailbridge.RefreshFailedError';
  constructor(
    readonly classification: Classification,
    retryAfter?: number,
    /** Set for app, tenant and credential failures: what is paused because of it. */
    readonly paused?: PauseScope,
  ) {
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
const COMMIT_FAILURE_BACKOFF_MS = 30_000;
/** A refresh lease this process took: a commit hands it back in the same statement. */
interface HeldLease {
  owner: string;
  released: boolean;
}
/** The lease was lost or the result superseded: read the state again. */
const RETRY = Symbol('retry');

/** Why a refresh is held back without asking Microsoft, and what is paused. */
interface Blocked {
  c: Classification;
  paused?: PauseScope;
}
/** How long an app-level or tenant-level failure holds back refreshes in this process. */
const APP_FAILURE_PAUSE_MS = 60_000;

interface Pause {
  until: number;
  /** The failure that caused it: every call held back reports it. */
  code: string;
}

export interface TokenService {
  ensureFreshToken(credentialId: string, resource: TokenResource, options?: EnsureFreshTokenOptions): Promise<FreshToken>;
  /** Drop cached access tokens (disconnect, reconnect). */
  forgetAccessTokens(credentialId: string): Promise<void>;
  /**
   * Shutdown, step 1: no new refresh starts in this process (callers that would need one get a
   * 503 with Retry-After); tokens already stored are still served.
   */
  beginShutdown(): void;
  /** Shutdown, step 2: resolves true once no refresh holds a lease, false after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean>;
  /**
   * Shutdown, step 3: releases (owner-checked) every refresh lease this process still holds, so
   * other instances need not wait out the lease. Returns how many were released.
   */
  releaseHeldLeases(): Promise<number>;
}

/** Raised instead of starting a refresh once the process is shutting down. */
export class ShuttingDownError extends AppError {
  static override readonly brand: string = 'mailbridge.ShuttingDownError';
  constructor() {
    super('upstream_unavailable', 'The server is restarting; try again shortly', { retryAfter: 5 });
    this.name = 'ShuttingDownError';
  }
}

export function createTokenService(deps: TokenServiceDeps): TokenService {
  const clock = deps.clock ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = deps.random ?? Math.random;
  const skewMs = deps.skewSeconds * 1000;
  const leaseMs = deps.leaseMs ?? 30_000;
  // Waiting at least one lease length means a crashed holder is replaced rather than reported.
  const waitTimeoutMs = deps.waitTimeoutMs ?? leaseMs + 5_000;
  const retry = deps.retry ?? { attempts: 3, baseMs: 250, maxMs: 4_000, budgetMs: 8_000 };
  const log = deps.logger;
  const store = new CredentialTokenStore(deps.db, deps.secrets, deps.outbox);
  const l1 = deps.l1 === false ? undefined : new L1TokenCache({ ...L1_DEFAULTS, ...deps.l1, clock });
  // Subscribed for the life of the process (the service is a process-wide singleton).
  if (l1) followInvalidations(deps.cache, l1);
  const cached = new AccessTokenCache(deps.cache, deps.secrets, log, clock, {
    ...(l1 ? { l1 } : {}),
    skewMs,
    openedMax: deps.l1 === false ? L1_DEFAULTS.max : (deps.l1?.max ?? L1_DEFAULTS.max),
  });
  const flights = new SingleFlight<FreshToken>();
  const usage = new UsageStamps({
    clock,
    intervalMs: deps.usageStampIntervalMs ?? 10 * 60_000,
    write: (credentialId, at) => store.recordAccess(credentialId, at),
    onError: (credentialId) => log.debug({ credentialId }, 'could not record mailbox use'),
  });
  const ownerPrefix = `${process.pid}:${randomUUID().slice(0, 8)}`;
  // Pauses are scoped to what is broken. The app's own client credential (secret invalid or
  // expired): every credential would fail the same way, so all refreshes pause. The app not
  // installed (or disabled) in one tenant: that tenant's credentials pause, no other. A user's
  // condition pauses nobody else. Calls held back report the failure that paused them, so
  // whoever logs first (the cron's operator alert) names the real cause.
  let appPause: Pause = { until: 0, code: '' };
  const tenantPauses = new Map<string, Pause>();
  // Reported once (per code, per tenant) until a refresh shows it fixed.
  const reportedAppFailures = new Set<string>();
  const reportedTenantFailures = new Map<string, Set<string>>();
  // Shutdown: leases held by refreshes of this process (owner → credential), and who waits for
  // them to be handed back.
  let closing = false;
  const heldLeases = new Map<string, string>();
  let drained: Array<() => void> = [];
  function leaseReturned(owner: string): void {
    heldLeases.delete(owner);
    if (heldLeases.size === 0) {
      const waiting = drained;
      drained = [];
      for (const wake of waiting) wake();
    }
  }

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
    const flightKey = [credentialId, resource, want.rejected ?? '', want.validityMs, want.refreshedSince ?? '', want.strict].join(':');
    // The caller just read in the database that this one is due (the cron's claim): neither the
    // cache nor a first read can answer it, so it goes straight for the lease.
    if (options.due) return flights.run(flightKey, () => loadOrRefresh(credentialId, resource, want, true));
    const found = await cached.lookup(credentialId, resource);
    const hit = found?.token ?? null;
    // The cache cannot tell when the credential was last refreshed; such callers ask the database.
    if (hit && want.refreshedSince === undefined && tokenSatisfies(hit, want)) {
      telemetry.tokenServed(found?.layer === 'l1' ? 'l1' : deps.cache.kind);
      return hit;
    }
    // A rejected token may still sit in Redis or in other instances' L1 even when this one no
    // longer has it; only a different (newer) token here says it was already replaced.
    if (want.rejected !== undefined && (!hit || hit.accessToken === want.rejected)) await cached.delete(credentialId, resource);
    return flights.run(flightKey, () => loadOrRefresh(credentialId, resource, want, false));
  }

  /** Whether a stored token answers the caller, or a refresh is needed. */
  function tokenSatisfies(token: FreshToken | null, want: Want): token is FreshToken {
    return token !== null && token.accessToken !== want.rejected && isFresh(token.expiresAt, clock(), want.validityMs);
  }

  function stateSatisfies(state: CredentialTokenState, want: Want): boolean {
    if (want.refreshedSince !== undefined && (state.lastRefreshAt ?? 0) < want.refreshedSince) return false;
    return tokenSatisfies(state.accessToken, want);
  }

  async function loadOrRefresh(credentialId: string, resource: TokenResource, want: Want, due: boolean): Promise<FreshToken> {
    const deadline = clock() + waitTimeoutMs;
    // A due caller tries the lease before reading; if it is taken (or the row changed), it
    // falls back to reading like everyone else.
    let leaseFirst = due;
    for (;;) {
      let state: CredentialTokenState | null = null;
      if (!leaseFirst) {
        const ticket = cached.ticket();
        state = await store.read(credentialId, resource);
        const answer = await answerFromState(state, resource, want, ticket);
        if (answer) return answer;
      }
      const leaseFree = state === null || state.leaseUntil === null || state.leaseUntil < clock();
      if (leaseFree) {
        if (closing) throw new ShuttingDownError();
        // A fresh owner per acquisition: a late release can never free someone else's lease.
        const lease: HeldLease = { owner: `${ownerPrefix}:${randomUUID()}`, released: false };
        heldLeases.set(lease.owner, credentialId);
        let leased: CredentialTokenState | null;
        const leaseTicket = cached.ticket();
        try {
          // Taking the lease returns the state as of taking it: the re-read under the lease.
          leased = await store.acquireLeaseAndRead(credentialId, resource, lease.owner, leaseMs);
        } catch (error) {
          leaseReturned(lease.owner);
          throw error;
        }
        if (!leased) leaseReturned(lease.owner);
        if (leased) {
          try {
            const result = await refreshHoldingLease(leased, resource, want, lease, leaseTicket);
            if (result !== RETRY) return result;
            leaseFirst = false;
            continue;
          } finally {
            // A commit hands the lease back in its own statement; anything else releases it here.
            if (lease.released) leaseReturned(lease.owner);
            else {
              await store
                .releaseLease(credentialId, lease.owner)
                .catch((error: unknown) => {
                  log.warn({ credentialId, err: errorName(error) }, 'refresh lease release failed; it will expire');
                })
                .finally(() => leaseReturned(lease.owner));
            }
          }
        }
        if (leaseFirst) {
          // Not taken: read at once to learn why (someone refreshing, reconnected, disconnected).
          leaseFirst = false;
          continue;
        }
      } else if (!want.strict && usable(state!, want)) {
        // Someone else is refreshing; the current token still works, so nobody needs to wait.
        return state!.accessToken!;
      }
      if (clock() > deadline) {
        log.warn({ credentialId, resource, outcome: 'lock_timeout' }, 'gave up waiting for another refresh');
        throw new AppError('upstream_unavailable', 'Token refresh is taking too long; try again shortly', { retryAfter: 5 });
      }
      await sleep(POLL_MS + Math.floor(random() * POLL_MS));
    }
  }

  /**
   * What the stored state answers without a refresh: its token when it satisfies the caller (and
   * back into the cache with it), a usable token or an error while refreshes are held back, or
   * null when a refresh is needed. Throws when the credential needs re-authorization.
   */
  async function answerFromState(state: CredentialTokenState, resource: TokenResource, want: Want, ticket: L1Ticket): Promise<FreshToken | null> {
    assertRefreshable(state);
    if (stateSatisfies(state, want) && state.accessToken) {
      telemetry.tokenServed('db');
      await cached.refill(state.credentialId, resource, state.accessToken, skewMs, ticket);
      return state.accessToken;
    }
    const blocked = blockedBy(state);
    return blocked ? usableOrThrow(state, want, blocked.c, blocked.paused) : null;
  }

  /** The credential's backoff, the app pause and its tenant's pause each hold its refresh back. */
  function blockedBy(state: CredentialTokenState): Blocked | null {
    const now = clock();
    if (state.nextRetryAt !== null && state.nextRetryAt > now) {
      return { c: { kind: 'transient', code: 'backoff', retryAfterSeconds: Math.ceil((state.nextRetryAt - now) / 1000) } };
    }
    if (appPause.until > now) {
      return { c: { kind: 'app', code: appPause.code, retryAfterSeconds: Math.ceil((appPause.until - now) / 1000) }, paused: { scope: 'all' } };
    }
    const tenantPause = state.tenantId === null ? undefined : tenantPauses.get(state.tenantId);
    if (tenantPause && tenantPause.until > now) {
      return {
        c: { kind: 'tenant', code: tenantPause.code, retryAfterSeconds: Math.ceil((tenantPause.until - now) / 1000) },
        paused: { scope: 'tenant', tenantId: state.tenantId! },
      };
    }
    return null;
  }

  async function refreshHoldingLease(
    state: CredentialTokenState,
    resource: TokenResource,
    want: Want,
    lease: HeldLease,
    ticket: L1Ticket,
  ): Promise<FreshToken | typeof RETRY> {
    const { credentialId } = state;
    const owner = lease.owner;
    // `state` was read as the lease was taken: another process may have just refreshed, or failed.
    const answer = await answerFromState(state, resource, want, ticket);
    if (answer) return answer;
    let refreshToken: string;
    try {
      refreshToken = store.openRefreshToken(state);
    } catch {
      // Sealed under a retired key or not bound to this row: unusable, only the owner can fix it.
      await store.markNeedsReauth({ state, code: 'undecryptable' });
      await cached.deleteAll(credentialId);
      log.error({ credentialId, resource, outcome: 'needs_reauth', code: 'undecryptable' }, 'stored refresh token cannot be opened');
      telemetry.refresh({ outcome: 'needs_reauth', klass: 'reauth', resource });
      throw new RefreshFailedError({ kind: 'reauth', code: 'undecryptable' });
    }
    const started = clock();
    let attempt = 0;
    for (;;) {
      // A retry must still hold the lease, or another process may be refreshing by now.
      if (attempt > 0 && !(await store.renewLease(credentialId, owner, leaseMs))) return RETRY;
      let tokens: TokenSet;
      try {
        tokens = await telemetry.tokenCall({ credentialId, resource }, () => deps.identity.refresh({ refreshToken, resource }));
      } catch (error) {
        if (!(error instanceof TokenRequestError)) throw error;
        const c = error.classification;
        if (c.kind === 'reauth' && c.grantOrConsent && resource !== 'imap') {
          return probeGrant(state, want, resource, c, { refreshToken, started, attempts: attempt + 1 }, lease);
        }
        if (c.kind === 'reauth') return failReauth(state, resource, c);
        if (c.kind === 'app') return await failApp(state, want, resource, c);
        if (c.kind === 'tenant') return failTenant(state, want, resource, c, attempt + 1);
        if (c.kind === 'credential') return failTransient(state, want, resource, c, attempt + 1);
        attempt += 1;
        const delay = backoffDelayMs({
          attempt,
          baseMs: retry.baseMs,
          maxMs: retry.maxMs,
          ...(c.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: c.retryAfterSeconds }),
          random,
        });
        const outOfBudget = clock() + delay - started > retry.budgetMs;
        if (c.kind === 'loop' || attempt >= retry.attempts || outOfBudget) return failTransient(state, want, resource, c, attempt);
        await sleep(delay);
        continue;
      }
      return commit(state, resource, tokens, { attempts: attempt + 1, started }, lease);
    }
  }

  async function commit(
    state: CredentialTokenState,
    resource: TokenResource,
    tokens: TokenSet,
    info: { attempts: number; started: number },
    lease: HeldLease,
  ): Promise<FreshToken | typeof RETRY> {
    const credentialId = state.credentialId;
    const fresh: FreshToken = { accessToken: tokens.accessToken, expiresAt: tokens.expiresAt };
    let committed: boolean;
    try {
      committed = await store.commitRefresh({
        state,
        resource,
        accessToken: fresh,
        ...(tokens.refreshToken ? { rotatedRefreshToken: tokens.refreshToken } : {}),
        now: clock(),
        leaseOwner: lease.owner,
      });
    } catch (error) {
      // Microsoft rotated, the database did not take it: the new tokens are dropped unused (the
      // old refresh token stays valid at Microsoft). Back off briefly so a failing database does
      // not turn every request into another refresh.
      log.error({ credentialId, resource, outcome: 'commit_failed', err: errorName(error) }, 'refreshed tokens could not be stored');
      await store
        .recordTransientFailure({ state, code: 'commit_failed', nextRetryAt: clock() + COMMIT_FAILURE_BACKOFF_MS })
        .catch(() => undefined);
      throw new AppError('upstream_unavailable', 'The token could not be stored; try again shortly', {
        retryAfter: COMMIT_FAILURE_BACKOFF_MS / 1000,
      });
    }
    if (!committed) {
      // A newer version was written meanwhile (a reconnect, a disconnect, or a refresh after our
      // lease expired). Its refresh token wins; ours is never used. Read again.
      log.warn({ credentialId, resource, outcome: 'superseded' }, 'refresh result superseded by a newer one');
      return RETRY;
    }
    lease.released = true;
    await cached.replace(credentialId, resource, fresh, skewMs);
    // A refresh went through: the client credential works, and so does the app in this tenant.
    reportedAppFailures.clear();
    if (state.tenantId !== null) {
      reportedTenantFailures.delete(state.tenantId);
      tenantPauses.delete(state.tenantId);
    }
    telemetry.refresh({ outcome: 'refreshed', klass: 'ok', resource });
    log.info(
      { credentialId, resource, outcome: 'refreshed', rotated: Boolean(tokens.refreshToken), attempts: info.attempts, durationMs: clock() - info.started },
      'access token refreshed',
    );
    return fresh;
  }

  async function failReauth(state: CredentialTokenState, resource: TokenResource, c: Classification): Promise<never> {
    const credentialId = state.credentialId;
    // Consent missing for a resource other than mail (Files.Read.All for OneDrive) says nothing
    // about the mailbox: only the feature that needs that resource must ask for consent.
    if (c.consent && resource !== 'imap') {
      log.warn({ credentialId, resource, outcome: 'consent_required', code: c.code }, 'no consent for this resource; the mailbox is unaffected');
      telemetry.refresh({ outcome: 'consent_required', klass: c.kind, resource });
      throw new RefreshFailedError(c);
    }
    await store.markNeedsReauth({ state, code: c.code });
    await cached.deleteAll(credentialId);
    log.warn({ credentialId, resource, outcome: 'needs_reauth', code: c.code }, 'grant is gone; credential needs re-authorization');
    telemetry.refresh({ outcome: 'needs_reauth', klass: c.kind, resource });
    throw new RefreshFailedError(c);
  }

  async function failApp(state: CredentialTokenState, want: Want, resource: TokenResource, c: Classification): Promise<FreshToken> {
    appPause = { until: clock() + APP_FAILURE_PAUSE_MS, code: c.code };
    telemetry.refresh({ outcome: 'app', klass: c.kind, resource });
    if (!reportedAppFailures.has(c.code)) {
      reportedAppFailures.add(c.code);
      log.error(
        { credentialId: state.credentialId, resource, outcome: 'app_misconfigured', code: c.code, alert: 'operator', scope: 'all' },
        'Microsoft rejected the app registration itself (client id/secret); all refreshes paused',
      );
      // The alert itself is the change: its event is keyed by code and day, so every process
      // meeting the same failure adds it once between them.
      if (deps.outbox) {
        await deps.outbox.record(deps.db, appMisconfiguredEvent({ code: c.code, now: clock() })).catch((error: unknown) => {
          reportedAppFailures.delete(c.code);
          log.warn({ code: c.code, err: errorName(error) }, 'could not record the app.misconfigured event; retried at the next failure');
        });
      }
    }
    return usableOrThrow(state, want, c, { scope: 'all' });
  }

  /**
   * The app cannot act in this credential's tenant (not installed, disabled, the resource missing
   * there): that tenant's credentials pause, reported once per tenant. A credential stored
   * without a tenant id cannot be grouped: it alone backs off.
   */
  async function failTenant(state: CredentialTokenState, want: Want, resource: TokenResource, c: Classification, attempts: number): Promise<FreshToken> {
    const tenantId = state.tenantId;
    if (tenantId === null) return failTransient(state, want, resource, c, attempts);
    tenantPauses.set(tenantId, { until: clock() + APP_FAILURE_PAUSE_MS, code: c.code });
    telemetry.refresh({ outcome: 'tenant', klass: c.kind, resource });
    let reported = reportedTenantFailures.get(tenantId);
    if (!reported) reportedTenantFailures.set(tenantId, (reported = new Set()));
    if (!reported.has(c.code)) {
      reported.add(c.code);
      log.error(
        { credentialId: state.credentialId, tenantId, resource, outcome: 'tenant_unavailable', code: c.code, alert: 'operator', scope: 'tenant' },
        'Microsoft refused the app in this tenant (not installed or disabled there); refreshes of this tenant paused',
      );
    }
    return usableOrThrow(state, want, c, { scope: 'tenant', tenantId });
  }

  /**
   * AADSTS70000 for a resource other than mail: Microsoft sends the same body when the refresh
   * token is no longer valid and when that resource's scope was never granted. Asking the same
   * grant for mail tells them apart: if it still mints mail, the grant is alive (its rotation is
   * committed like any refresh) and only the feature needing the resource must ask for consent;
   * if it does not, that answer decides.
   */
  async function probeGrant(
    state: CredentialTokenState,
    want: Want,
    resource: TokenResource,
    original: Classification,
    info: { refreshToken: string; started: number; attempts: number },
    lease: HeldLease,
  ): Promise<FreshToken | typeof RETRY> {
    let tokens: TokenSet;
    try {
      tokens = await telemetry.tokenCall({ credentialId: state.credentialId, resource: 'imap' }, () => deps.identity.refresh({ refreshToken: info.refreshToken, resource: 'imap' }));
    } catch (error) {
      if (!(error instanceof TokenRequestError)) throw error;
      const c = error.classification;
      if (c.kind === 'reauth') return failReauth(state, resource, { kind: 'reauth', code: c.code });
      if (c.kind === 'app') return await failApp(state, want, resource, c);
      if (c.kind === 'tenant') return failTenant(state, want, resource, c, info.attempts + 1);
      // Undecided (Microsoft failing meanwhile): back off and ask again later, marking nothing.
      return failTransient(state, want, resource, c, info.attempts + 1);
    }
    const committed = await commit(state, 'imap', tokens, { attempts: info.attempts + 1, started: info.started }, lease);
    if (committed === RETRY) return RETRY;
    return failReauth(state, resource, { kind: 'reauth', code: original.code, consent: true });
  }

  async function failTransient(
    state: CredentialTokenState,
    want: Want,
    resource: TokenResource,
    c: Classification,
    attempts: number,
  ): Promise<FreshToken> {
    const failures = state.failureCount + 1;
    const retryAt = nextRetryAt({
      now: clock(),
      failureCount: failures,
      // Loop detection and conditions that retrying soon will not fix wait long.
      kind: c.kind === 'transient' ? 'transient' : 'loop',
      ...(c.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: c.retryAfterSeconds }),
      random,
    });
    await store.recordTransientFailure({ state, code: c.code, nextRetryAt: retryAt });
    telemetry.refresh({ outcome: c.kind === 'transient' || c.kind === 'loop' ? 'transient' : 'credential', klass: c.kind, resource });
    // A condition of this credential that is not transient (or a tenant failure of a credential
    // without a tenant id) pauses this credential only: it is reported as such.
    const paused: PauseScope | undefined = c.kind === 'transient' || c.kind === 'loop' ? undefined : { scope: 'credential', credentialId: state.credentialId };
    log.warn(
      { credentialId: state.credentialId, resource, outcome: 'failed', kind: c.kind, code: c.code, attempts, failureCount: failures, ...(paused ? { scope: 'credential' } : {}) },
      'token refresh failed; will retry later',
    );
    return usableOrThrow(state, want, { ...c, retryAfterSeconds: Math.ceil((retryAt - clock()) / 1000) }, paused);
  }

  function assertRefreshable(state: CredentialTokenState): void {
    if (state.status === 'needs_reauth' || !state.hasRefreshToken) {
      throw new RefreshFailedError({ kind: 'reauth', code: state.lastError ?? 'needs_reauth' });
    }
  }

  /** A token that has not actually expired, though it may be inside the refresh skew. */
  function usable(state: CredentialTokenState, want: Want): boolean {
    const current = state.accessToken;
    return current !== null && current.accessToken !== want.rejected && current.expiresAt - USABLE_MARGIN_MS > clock();
  }

  /** A failing refresh still serves a usable token (unless strict). */
  function usableOrThrow(state: CredentialTokenState, want: Want, c: Classification, paused?: PauseScope): FreshToken {
    if (!want.strict && usable(state, want)) return state.accessToken!;
    throw new RefreshFailedError(c, c.retryAfterSeconds, paused);
  }

  function drain(timeoutMs: number): Promise<boolean> {
    if (heldLeases.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        drained = drained.filter((wake) => wake !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      drained.push(done);
    });
  }

  async function releaseHeldLeases(): Promise<number> {
    let released = 0;
    await Promise.all(
      [...heldLeases].map(async ([owner, credentialId]) => {
        try {
          await store.releaseLease(credentialId, owner);
          released += 1;
          log.info({ credentialId }, 'refresh lease released at shutdown');
        } catch (error) {
          log.warn({ credentialId, err: errorName(error) }, 'refresh lease release failed at shutdown; it will expire');
        }
      }),
    );
    return released;
  }

  return {
    ensureFreshToken: (credentialId, resource, options) =>
      telemetry.traced('mailbridge.token.ensure_fresh', { [ATTR.credentialId]: credentialId, [ATTR.resource]: resource }, () => ensureFreshToken(credentialId, resource, options)),
    forgetAccessTokens: (credentialId) => cached.deleteAll(credentialId),
    beginShutdown: () => {
      closing = true;
    },
    drain,
    releaseHeldLeases,
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}

// The cron's refresh half on PostgreSQL and the Microsoft emulator: claiming, exactly-once under
// concurrent runs, the time budget, failure classes, backoff, idle keep-alive and warming.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { claimDueCredentials } from '@/lib/cron';
import type { TokenService } from '@/lib/tokens';
import { createCronWorld, DAY_MS, type CronWorld } from './support';

let w: CronWorld;

beforeAll(async () => {
  w = await createCronWorld();
});
afterEach(async () => {
  await w.reset();
});
afterAll(async () => {
  await w?.close();
});

const db = () => w.f.database.db;
const credential = (id: string) => db().mailCredential.findUniqueOrThrow({ where: { id } });

async function seedIdle(n: number, days = 85): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await w.seed()).credentialId);
  await w.makeIdle(ids, days);
  return ids;
}

async function leasesHeld(): Promise<number> {
  return db().mailCredential.count({ where: { cronLeaseOwner: { not: null } } });
}

/** Records which credentials a token service was asked about. */
function recording(tokens: TokenService, calls: string[]): TokenService {
  return {
    ...tokens,
    ensureFreshToken: (id, resource, options) => {
      calls.push(id);
      return tokens.ensureFreshToken(id, resource, options);
    },
  };
}

describe('claiming due credentials', () => {
  it('hands each due credential to exactly one of many concurrent claimers', async () => {
    const ids = await seedIdle(50);
    const now = Date.now();
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        claimDueCredentials({ db: db(), owner: `claimer-${i}`, now, limit: 10, leaseMs: 60_000, warmBefore: now, activeSince: now - 4 * 3_600_000, idleBefore: now - 30 * DAY_MS }),
      ),
    );
    const claimed = claims.flat().map((c) => c.id);
    expect(claimed).toHaveLength(50);
    expect(new Set(claimed)).toEqual(new Set(ids));
    // Leased: nothing is due again until the leases expire.
    expect(await claimDueCredentials({ db: db(), owner: 'late', now, limit: 100, leaseMs: 60_000, warmBefore: now, activeSince: now - 4 * 3_600_000, idleBefore: now - 30 * DAY_MS })).toEqual([]);
    const later = now + 61_000;
    const again = await claimDueCredentials({ db: db(), owner: 'later', now: later, limit: 100, leaseMs: 60_000, warmBefore: later, activeSince: later - 4 * 3_600_000, idleBefore: later - 30 * DAY_MS });
    expect(again).toHaveLength(50);
    expect(again[0]).toMatchObject({ idle: true, warm: [] });
  });
});

describe('runCron: refreshes', () => {
  it('two concurrent runs over the same due credentials refresh each exactly once', async () => {
    const ids = await seedIdle(40);
    w.f.emulator.setLatency(50);
    const before = w.refreshRequests();
    const calls: string[] = [];
    // Two token services: two processes, each with its own single-flight and pause state.
    const [a, b] = await Promise.all([
      w.run({ tokens: recording(w.service(), calls), concurrency: 8 }),
      w.run({ tokens: recording(w.service(), calls), concurrency: 8 }),
    ]);
    expect(w.refreshRequests() - before).toBe(40);
    expect(a.refreshed + b.refreshed).toBe(40);
    expect(a.refreshed).toBeGreaterThan(0);
    expect(b.refreshed).toBeGreaterThan(0);
    // Not merely deduplicated by the token layer: no credential was even worked on twice.
    expect(calls).toHaveLength(40);
    expect(new Set(calls)).toEqual(new Set(ids));
    for (const id of ids) expect((await credential(id)).tokenVersion).toBe(2);
    expect(a).toMatchObject({ failed: 0, needsReauth: 0, more: false, stoppedBy: null });
    expect(b).toMatchObject({ failed: 0, needsReauth: 0, more: false, stoppedBy: null });
    expect(await leasesHeld()).toBe(0);
  });

  it('stops starting work at the budget with more: true, and the next run finishes the rest', async () => {
    const ids = await seedIdle(12);
    // 12 refreshes of 400 ms, two at a time, cannot fit a 1 s budget, however fast the machine.
    w.f.emulator.setLatency(400);
    const before = w.refreshRequests();
    const first = await w.run({ budgetMs: 1_000, drainMs: 5_000, concurrency: 2 });
    expect(first.more).toBe(true);
    expect(first.refreshed).toBeGreaterThan(0);
    expect(first.refreshed).toBeLessThan(12);
    expect(first.durationMs).toBeLessThan(5_000);
    // What was claimed but not started went back at once, not after the lease.
    expect(await leasesHeld()).toBe(0);

    const second = await w.run({ concurrency: 4 });
    expect(second).toMatchObject({ refreshed: 12 - first.refreshed, failed: 0, more: false });
    expect(w.refreshRequests() - before).toBe(12);
    for (const id of ids) expect((await credential(id)).tokenVersion).toBe(2);
  });

  it('counts a revoked grant as needsReauth, marks the credential, and never asks for it again', async () => {
    const [revoked, fine] = await Promise.all([w.seed(), w.seed()]);
    await w.makeIdle([revoked.credentialId, fine.credentialId], 85);
    w.f.emulator.revokeGrants(revoked.email);

    const first = await w.run();
    expect(first).toMatchObject({ refreshed: 1, needsReauth: 1, failed: 0, more: false });
    expect(await credential(revoked.credentialId)).toMatchObject({ status: 'needs_reauth', cronLeaseOwner: null });

    const before = w.refreshRequests();
    const second = await w.run();
    expect(second).toMatchObject({ refreshed: 0, needsReauth: 0, failed: 0, more: false });
    expect(w.refreshRequests()).toBe(before);
  });

  it('counts a transient failure as failed, keeps the credential active and respects its backoff', async () => {
    const { credentialId } = await w.seed();
    await w.makeIdle([credentialId], 85);
    w.f.emulator.failTokenRequests({ status: 503, error: 'temporarily_unavailable', times: 5 });
    const tokens = w.service({ retry: { attempts: 1, baseMs: 1, maxMs: 1, budgetMs: 1 } });

    const first = await w.run({ tokens });
    expect(first).toMatchObject({ refreshed: 0, failed: 1, needsReauth: 0 });
    const row = await credential(credentialId);
    expect(row.status).toBe('active');
    expect(row.failureCount).toBe(1);
    expect(row.nextRetryAt!.getTime()).toBeGreaterThan(Date.now());
    // Still unrefreshed at 85 days: reported as near the cliff, in the summary and the log.
    expect(first.nearExpiry.count).toBe(1);
    expect(first.nearExpiry.credentials[0]).toMatchObject({ id: credentialId, idleDays: 85 });
    expect(w.logs.some((l) => l.credentialId === credentialId && l.nearExpiry === true)).toBe(true);

    w.f.emulator.clearTokenFailures();
    const before = w.refreshRequests();
    const second = await w.run({ tokens });
    expect(second).toMatchObject({ refreshed: 0, failed: 0, needsReauth: 0, more: false });
    expect(w.refreshRequests()).toBe(before);

    // Once the backoff has passed, the credential is due again and refreshes.
    await db().mailCredential.update({ where: { id: credentialId }, data: { nextRetryAt: new Date(Date.now() - 1000) } });
    const third = await w.run({ tokens });
    expect(third).toMatchObject({ refreshed: 1, failed: 0 });
    expect(third.nearExpiry.count).toBe(0);
  });

  it('counts a failed warm-up as failed even while the old token is still usable', async () => {
    const { credentialId } = await w.seed();
    await w.giveToken(credentialId, 'imap', 300);
    w.f.emulator.failTokenRequests({ status: 503, error: 'temporarily_unavailable', times: 5 });
    const summary = await w.run({ tokens: w.service({ retry: { attempts: 1, baseMs: 1, maxMs: 1, budgetMs: 1 } }) });
    expect(summary).toMatchObject({ refreshed: 0, failed: 1 });
  });

  it('stops the whole run on an app-level failure and reports it once for the operator', async () => {
    const ids = await seedIdle(10);
    w.f.emulator.failTokenRequests({ status: 401, error: 'invalid_client', aadsts: [7000215], times: 100 });
    const before = w.refreshRequests();
    const tokens = w.service();

    const summary = await w.run({ tokens, concurrency: 3 });
    expect(summary).toMatchObject({ stoppedBy: 'app_failure', more: true, refreshed: 0, failed: 0, needsReauth: 0 });
    // Only what was already in flight reached Microsoft; the rest was handed back untouched.
    expect(w.refreshRequests() - before).toBeLessThanOrEqual(3);
    const cronAlerts = w.logs.filter((l) => l.alert === 'operator' && l.module === 'cron');
    expect(cronAlerts).toHaveLength(1);
    expect(cronAlerts[0]).toMatchObject({ level: 50, scope: 'all', code: 'AADSTS7000215' });
    expect(w.logs.filter((l) => l.alert === 'operator' && l.module === 'tokens').length).toBeLessThanOrEqual(1);
    const rows = await db().mailCredential.findMany({ where: { id: { in: ids } } });
    // Not the users' fault: nobody is marked or put in backoff.
    expect(rows.every((r) => r.status === 'active' && r.nextRetryAt === null && r.cronLeaseOwner === null)).toBe(true);

    // The next run in this process finds the app still paused: it stops again without a request.
    const again = await w.run({ tokens, concurrency: 3 });
    expect(again).toMatchObject({ stoppedBy: 'app_failure', more: true, refreshed: 0 });
    expect(w.refreshRequests() - before).toBeLessThanOrEqual(3);
  });

  it('one tenant refusing the app pauses that tenant only: the run goes on, the tenant is reported once', async () => {
    const FABRIKAM = '0d4f6a1b-8e2c-4b7a-9f35-6c1e2d8a4b90';
    const paused = await Promise.all(Array.from({ length: 3 }, () => w.seed({ tenantId: FABRIKAM })));
    const others = await Promise.all(Array.from({ length: 3 }, () => w.seed()));
    // The refused tenant's credentials are the most overdue, so they are claimed first.
    await w.makeIdle(paused.map((c) => c.credentialId), 86);
    await w.makeIdle(others.map((c) => c.credentialId), 85);
    w.f.emulator.failTokenRequests({ status: 400, error: 'unauthorized_client', aadsts: [700016], tenantId: FABRIKAM, times: 100 });
    w.f.emulator.resetStats();

    // One at a time (claims of two): the first refusal is known before anything else starts.
    const summary = await w.run({ tokens: w.service(), concurrency: 1 });
    // The first claim held two of the tenant's credentials: one met the refusal, the other was
    // held back by the tenant's pause without a request. Later claims skip the tenant, so its
    // third credential is left for a later run, and the other tenant refreshes.
    expect(summary).toMatchObject({ stoppedBy: null, more: false, refreshed: 3, failed: 2, needsReauth: 0 });
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(['refreshed', 'failed', 'needsReauth', 'syncs', 'durationMs', 'more']));
    expect(w.f.emulator.tokenRequestLog.filter((e) => e.injected)).toHaveLength(1);
    expect(w.refreshRequests()).toBe(4);
    const cronAlerts = w.logs.filter((l) => l.alert === 'operator' && l.module === 'cron');
    expect(cronAlerts).toHaveLength(1);
    expect(cronAlerts[0]).toMatchObject({ level: 50, scope: 'tenant', tenantId: FABRIKAM, code: 'AADSTS700016' });
    expect(w.logs.filter((l) => l.alert === 'operator' && l.module === 'tokens')).toHaveLength(1);
    // Not the users' fault: nobody is marked or put in backoff.
    const rows = await db().mailCredential.findMany({ where: { id: { in: paused.map((c) => c.credentialId) } } });
    expect(rows.every((r) => r.status === 'active' && r.nextRetryAt === null && r.cronLeaseOwner === null)).toBe(true);
    const refreshedOthers = await db().mailCredential.findMany({ where: { id: { in: others.map((c) => c.credentialId) } } });
    expect(refreshedOthers.every((r) => r.lastRefreshAt!.getTime() > Date.now() - 60_000)).toBe(true);
  });

  it('a credential’s own condition is reported by credential and stops nothing', async () => {
    const [blocked, fine] = await Promise.all([w.seed(), w.seed()]);
    await w.makeIdle([blocked.credentialId], 85);
    await w.makeIdle([fine.credentialId], 84);
    // Least recently refreshed first: `blocked` meets the one injected refusal.
    w.f.emulator.failTokenRequests({ status: 400, error: 'invalid_grant', aadsts: [53003], suberror: 'protection_policy_required', times: 1 });
    const summary = await w.run({ tokens: w.service(), concurrency: 1 });
    expect(summary).toMatchObject({ stoppedBy: null, refreshed: 1, failed: 1, needsReauth: 0 });
    const cronAlerts = w.logs.filter((l) => l.alert === 'operator' && l.module === 'cron');
    expect(cronAlerts).toEqual([expect.objectContaining({ scope: 'credential', credentialId: blocked.credentialId, code: 'invalid_grant:protection_policy_required' })]);
    expect(await credential(blocked.credentialId)).toMatchObject({ status: 'active' });
  });

  it('exercises an idle refresh token and leaves recently refreshed credentials alone', async () => {
    const [idle, lessIdle, fresh, withToken] = await Promise.all([w.seed(), w.seed(), w.seed(), w.seed()]);
    await w.makeIdle([idle.credentialId], 85);
    await w.makeIdle([lessIdle.credentialId], 20);
    await w.giveToken(withToken.credentialId, 'imap', 3000);
    const versions = new Map(await Promise.all([lessIdle, fresh, withToken].map(async (c) => [c.credentialId, (await credential(c.credentialId)).tokenVersion] as const)));
    const before = w.refreshRequests();

    const summary = await w.run();
    expect(summary).toMatchObject({ refreshed: 1, failed: 0, needsReauth: 0, more: false });
    expect(w.refreshRequests() - before).toBe(1);
    const row = await credential(idle.credentialId);
    expect(row.lastRefreshAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(row.tokenVersion).toBe(2);
    for (const [id, version] of versions) expect((await credential(id)).tokenVersion).toBe(version);
  });

  it('refreshes a credential once per run even when its new token is due again at once', async () => {
    const { credentialId } = await w.seed();
    await w.giveToken(credentialId, 'imap', 300);
    await seedIdle(6);
    // Tokens shorter-lived than the warm window: due again as soon as they are refreshed, while
    // the run is still claiming the others.
    w.f.emulator.setAccessTokenTtl(600);
    w.f.emulator.setLatency(50);
    try {
      const before = w.refreshRequests();
      const summary = await w.run({ budgetMs: 15_000, concurrency: 1 });
      expect(summary).toMatchObject({ refreshed: 7, failed: 0, more: false });
      expect(w.refreshRequests() - before).toBe(7);
    } finally {
      w.f.emulator.setAccessTokenTtl(3600);
    }
  });

  it('warms access tokens that expire within the window, per resource', async () => {
    const [soon, later] = await Promise.all([w.seed({ graph: true }), w.seed()]);
    await w.giveToken(soon.credentialId, 'imap', 300);
    await w.giveToken(soon.credentialId, 'graph', 120);
    await w.giveToken(later.credentialId, 'imap', 3000);
    const laterVersion = (await credential(later.credentialId)).tokenVersion;
    const before = w.f.emulator.stats().token.byResource;

    const summary = await w.run();
    expect(summary).toMatchObject({ refreshed: 1, failed: 0, more: false });
    const after = w.f.emulator.stats().token.byResource;
    expect(after.imap - before.imap).toBe(1);
    expect(after.graph - before.graph).toBe(1);
    const tokens = await db().accessToken.findMany({ where: { credentialId: soon.credentialId } });
    for (const t of tokens) expect(t.expiresAt.getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect((await credential(later.credentialId)).tokenVersion).toBe(laterVersion);
  });

  it('leaves tokens of a mailbox nobody opened lately to be refreshed on demand', async () => {
    const { credentialId } = await w.seed();
    await w.giveToken(credentialId, 'imap', 300);
    await db().mailCredential.update({ where: { id: credentialId }, data: { lastAccessedAt: new Date(Date.now() - 5 * 3_600_000) } });
    const version = (await credential(credentialId)).tokenVersion;
    const before = w.refreshRequests();
    const summary = await w.run();
    expect(summary).toMatchObject({ refreshed: 0, failed: 0 });
    expect(w.refreshRequests()).toBe(before);
    expect((await credential(credentialId)).tokenVersion).toBe(version);
  });
});

import { appendFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTokenFixture, type TokenFixture } from '../support/tokens';
import { waitFor } from '../support/net';
import type { IdentityClient } from '@/lib/microsoft';

let f: TokenFixture;

beforeAll(async () => {
  f = await createTokenFixture();
});
afterEach(() => {
  f.emulator.clearTokenFailures();
  f.emulator.setLatency(0);
  f.emulator.setStrictRotation(false);
});
afterAll(async () => {
  await f?.close();
});

const refreshCount = () => f.emulator.stats().token.refresh_token;

async function credentialRow(id: string) {
  return f.database.db.mailCredential.findUniqueOrThrow({ where: { id } });
}

describe('ensureFreshToken', () => {
  it('reads Redis first, then the database, and refreshes only when neither is fresh', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service();
    const before = refreshCount();

    const first = await tokens.ensureFreshToken(credentialId, 'imap');
    expect(refreshCount()).toBe(before + 1);

    // Cache hit: no database, no refresh.
    expect(await tokens.ensureFreshToken(credentialId, 'imap')).toEqual(first);
    // Cache emptied: the database still has it.
    await f.cache.del(`at:${credentialId}:imap`);
    expect(await f.service().ensureFreshToken(credentialId, 'imap')).toEqual(first);
    expect(refreshCount()).toBe(before + 1);

    const row = await credentialRow(credentialId);
    expect(row.tokenVersion).toBe(2);
    expect(row.lastRefreshAt).not.toBeNull();
  });

  it('collapses 200 concurrent callers in one process into one refresh', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service();
    f.emulator.setLatency(150);
    const before = refreshCount();
    try {
      const results = await Promise.all(Array.from({ length: 200 }, () => tokens.ensureFreshToken(credentialId, 'imap')));
      expect(refreshCount()).toBe(before + 1);
      expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    } finally {
      f.emulator.setLatency(0);
    }
  });

  it('keeps working through 20 strict rotations in a row', async () => {
    const { credentialId } = await f.seedCredential();
    f.emulator.setStrictRotation(true);
    try {
      let now = Date.now();
      const tokens = f.service({ clock: () => now });
      const seen = new Set<string>();
      const sealedRefreshTokens = new Set<string | null>();
      for (let i = 0; i < 20; i++) {
        const t = await tokens.ensureFreshToken(credentialId, 'imap');
        seen.add(t.accessToken);
        sealedRefreshTokens.add((await credentialRow(credentialId)).refreshTokenSealed);
        now += 2 * 60 * 60 * 1000; // the cached token is now past its expiry
      }
      expect(seen.size).toBe(20);
      expect(sealedRefreshTokens.size).toBe(20);
      const row = await credentialRow(credentialId);
      expect(row.status).toBe('active');
      expect(row.tokenVersion).toBe(21);
    } finally {
      f.emulator.setStrictRotation(false);
    }
  });

  it('never lets a writer holding an older version overwrite the newer refresh token', async () => {
    const { credentialId } = await f.seedCredential();
    // Writer A stalls inside its refresh long enough for its lease to expire; writer B then
    // refreshes and commits. When A's response finally arrives it must not win.
    let releaseA!: () => void;
    const gate = new Promise<void>((r) => (releaseA = r));
    let aStarted!: () => void;
    const started = new Promise<void>((r) => (aStarted = r));
    const slowIdentity: IdentityClient = {
      ...f.identity,
      refresh: async (input) => {
        aStarted();
        await gate;
        return f.identity.refresh(input);
      },
    };
    const rotatedByB: string[] = [];
    const recordingIdentity: IdentityClient = {
      ...f.identity,
      refresh: async (input) => {
        const result = await f.identity.refresh(input);
        if (result.refreshToken) rotatedByB.push(result.refreshToken);
        return result;
      },
    };
    const a = f.service({ identity: slowIdentity, leaseMs: 100 });
    const b = f.service({ identity: recordingIdentity });

    const aResult = a.ensureFreshToken(credentialId, 'imap');
    await started;
    await new Promise((r) => setTimeout(r, 150)); // A's lease has expired
    const bResult = await b.ensureFreshToken(credentialId, 'imap');
    const afterB = await credentialRow(credentialId);
    releaseA();
    const aToken = await aResult;

    const final = await credentialRow(credentialId);
    expect(final.tokenVersion).toBe(afterB.tokenVersion);
    expect(final.refreshTokenSealed).toBe(afterB.refreshTokenSealed);
    expect(f.secrets.open(final.refreshTokenSealed!, `MailCredential:${credentialId}:refreshToken`)).toBe(rotatedByB[0]);
    // A's own result was never committed, so A never hands it out: it answers with B's.
    expect(aToken.accessToken).toBe(bResult.accessToken);
  });

  it('serves a still-valid token at once while another process refreshes it', async () => {
    const { credentialId } = await f.seedCredential();
    f.emulator.setAccessTokenTtl(200); // inside the 300 s skew: stale, but still valid
    const old = await f.service().ensureFreshToken(credentialId, 'imap');
    f.emulator.setAccessTokenTtl(3600);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const refreshing = new Promise<void>((r) => (started = r));
    const slow = f.service({
      identity: { ...f.identity, refresh: async (input) => (started(), await gate, f.identity.refresh(input)) },
    });
    const pending = slow.ensureFreshToken(credentialId, 'imap');
    await refreshing;
    const t0 = performance.now();
    const meanwhile = await f.service().ensureFreshToken(credentialId, 'imap');
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(meanwhile.accessToken).toBe(old.accessToken);
    release();
    expect((await pending).accessToken).not.toBe(old.accessToken);
  });

  it('answers 503 and backs off when the database cannot store a refresh, handing out nothing', async () => {
    const { credentialId } = await f.seedCredential();
    const broken = new Proxy(f.database.db, {
      get(target, prop, receiver) {
        // The commit is one statement (credential, access token, lease): that one fails.
        if (prop === '$queryRaw') {
          return (sql: TemplateStringsArray, ...values: unknown[]) =>
            sql.join('').includes('INSERT INTO "AccessToken"') ? Promise.reject(new Error('database unavailable')) : target.$queryRaw(sql, ...values);
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const before = refreshCount();
    await expect(f.service({ db: broken }).ensureFreshToken(credentialId, 'imap')).rejects.toMatchObject({
      code: 'upstream_unavailable',
    });
    expect(refreshCount()).toBe(before + 1);
    const row = await credentialRow(credentialId);
    expect(row.status).toBe('active');
    expect(row.nextRetryAt!.getTime()).toBeGreaterThan(Date.now());
    expect(await f.database.db.accessToken.count({ where: { credentialId } })).toBe(0);
    // Inside the backoff no second refresh is attempted.
    await expect(f.service().ensureFreshToken(credentialId, 'imap')).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(refreshCount()).toBe(before + 1);
  });

  it('answers a rejected token with one refresh, however many callers report it', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service();
    const original = await tokens.ensureFreshToken(credentialId, 'imap');
    const before = refreshCount();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => tokens.ensureFreshToken(credentialId, 'imap', { rejectedToken: original.accessToken })),
    );
    expect(refreshCount()).toBe(before + 1);
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    expect(results[0]!.accessToken).not.toBe(original.accessToken);
    // A caller still holding the old rejected token gets the new one without another refresh.
    await tokens.ensureFreshToken(credentialId, 'imap', { rejectedToken: original.accessToken });
    expect(refreshCount()).toBe(before + 1);
  });

  it('warms a token that expires within the asked validity, once for racing callers', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service();
    f.emulator.setAccessTokenTtl(20 * 60);
    const first = await tokens.ensureFreshToken(credentialId, 'imap');
    f.emulator.setAccessTokenTtl(3600);
    const before = refreshCount();
    // Valid for 20 minutes: fine for a request or a 10-minute window, not for a 30-minute one.
    expect(await tokens.ensureFreshToken(credentialId, 'imap', { minValiditySeconds: 600 })).toEqual(first);
    // Strict, as the cron asks: a non-strict caller that finds the other one's refresh under way
    // is served the still-usable token at once (by design), so which token each racer gets would
    // depend on timing (an L1 hit makes one racer reach the lease first).
    const [a, b] = await Promise.all([
      tokens.ensureFreshToken(credentialId, 'imap', { minValiditySeconds: 1800, strict: true }),
      f.service().ensureFreshToken(credentialId, 'imap', { minValiditySeconds: 1800, strict: true }),
    ]);
    expect(refreshCount()).toBe(before + 1);
    expect(a.accessToken).toBe(b.accessToken);
  });

  it('exercises an idle refresh token once, however many runs ask', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service();
    await tokens.ensureFreshToken(credentialId, 'imap');
    const before = refreshCount();
    const since = Date.now();
    const rowBefore = await credentialRow(credentialId);
    await Promise.all([
      tokens.ensureFreshToken(credentialId, 'imap', { refreshedSince: since }),
      f.service().ensureFreshToken(credentialId, 'imap', { refreshedSince: since }),
    ]);
    expect(refreshCount()).toBe(before + 1);
    const row = await credentialRow(credentialId);
    expect(row.lastRefreshAt!.getTime()).toBeGreaterThanOrEqual(since);
    expect(row.refreshTokenSealed).not.toBe(rowBefore.refreshTokenSealed);
  });

  it('stamps a person’s use of the mailbox, throttled, and not a background job’s', async () => {
    const { credentialId } = await f.seedCredential();
    const background = f.service();
    await background.ensureFreshToken(credentialId, 'imap', { background: true });
    await new Promise((r) => setTimeout(r, 100));
    expect((await credentialRow(credentialId)).lastAccessedAt).toBeNull();

    let writes = 0;
    const db = new Proxy(f.database.db, {
      get(target, prop, receiver) {
        if (prop !== 'mailCredential') return Reflect.get(target, prop, receiver) as unknown;
        return new Proxy(target.mailCredential, {
          get(inner, p, r) {
            if (p === 'updateMany') {
              return (args: { data: Record<string, unknown> }) => {
                if ('lastAccessedAt' in args.data) writes += 1;
                return inner.updateMany(args as never);
              };
            }
            return Reflect.get(inner, p, r) as unknown;
          },
        });
      },
    });
    const person = f.service({ db });
    for (let i = 0; i < 20; i++) await person.ensureFreshToken(credentialId, 'imap');
    const stamped = await waitFor(async () => (await credentialRow(credentialId)).lastAccessedAt ?? undefined, { what: "the use stamp" });
    expect(stamped.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(writes).toBe(1);
  });

  it('mints Graph tokens from the same refresh token, cached per resource', async () => {
    const { credentialId, email } = await f.seedCredential();
    // Consent for Files.Read.All is granted (incremental consent) before Graph is asked.
    const graphGrant = f.emulator.issueRefreshToken({
      email,
      scopes: ['offline_access', 'https://outlook.office.com/IMAP.AccessAsUser.All', 'https://graph.microsoft.com/Files.Read.All'],
    });
    const row = await credentialRow(credentialId);
    await f.database.db.mailCredential.update({
      where: { id: credentialId },
      data: { refreshTokenSealed: f.secrets.seal(graphGrant, `MailCredential:${credentialId}:refreshToken`), tokenVersion: row.tokenVersion + 1 },
    });
    const tokens = f.service();
    const imap = await tokens.ensureFreshToken(credentialId, 'imap');
    const graph = await tokens.ensureFreshToken(credentialId, 'graph');
    expect(imap.accessToken).not.toBe(graph.accessToken);
    const stored = await f.database.db.accessToken.findMany({ where: { credentialId } });
    expect(stored.map((s) => s.resource).sort()).toEqual(['graph', 'imap']);
  });
});

describe('failures', () => {
  it('marks a revoked grant needs_reauth and never asks Microsoft for it again', async () => {
    const { credentialId, email } = await f.seedCredential();
    f.emulator.revokeGrants(email);
    const tokens = f.service();
    await expect(tokens.ensureFreshToken(credentialId, 'imap')).rejects.toMatchObject({ code: 'needs_reauth', status: 409 });
    const row = await credentialRow(credentialId);
    expect(row.status).toBe('needs_reauth');
    expect(row.lastError).toMatch(/^AADSTS|invalid_grant/);

    const before = f.emulator.stats().token.total;
    await expect(tokens.ensureFreshToken(credentialId, 'imap')).rejects.toMatchObject({ code: 'needs_reauth' });
    await expect(f.service().ensureFreshToken(credentialId, 'graph')).rejects.toMatchObject({ code: 'needs_reauth' });
    expect(f.emulator.stats().token.total).toBe(before);
  });

  it('a missing OneDrive consent concerns Graph only: the mailbox stays connected', async () => {
    const { credentialId } = await f.seedCredential(); // consented to IMAP, not Files.Read.All
    const tokens = f.service();
    await expect(tokens.ensureFreshToken(credentialId, 'graph')).rejects.toMatchObject({
      code: 'needs_reauth',
      classification: { consent: true },
    });
    const row = await credentialRow(credentialId);
    expect(row.status).toBe('active');
    await expect(tokens.ensureFreshToken(credentialId, 'imap')).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('retries a 503 after its Retry-After and leaves the credential active', async () => {
    const { credentialId } = await f.seedCredential();
    const waits: number[] = [];
    const tokens = f.service({ sleep: async (ms) => void waits.push(ms) });
    f.emulator.failTokenRequests({ times: 1, status: 503, error: 'temporarily_unavailable', retryAfterSeconds: 2 });
    const before = refreshCount();
    const t = await tokens.ensureFreshToken(credentialId, 'imap');
    expect(t.accessToken).toBeTruthy();
    expect(refreshCount()).toBe(before + 2);
    expect(waits.some((w) => w >= 2000)).toBe(true);
    const row = await credentialRow(credentialId);
    expect(row.status).toBe('active');
    expect(row.failureCount).toBe(0);
  });

  it('retries dropped connections', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service({ sleep: async () => {} });
    f.emulator.failTokenRequests({ times: 2, status: 500, dropConnection: true });
    await expect(tokens.ensureFreshToken(credentialId, 'imap')).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('gives up on a persistent outage with a 503, backs off, and never marks the credential', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service({ sleep: async () => {} });
    f.emulator.failTokenRequests({ times: 10, status: 500 });
    const before = f.emulator.stats().token.total;
    const error = await tokens.ensureFreshToken(credentialId, 'imap').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'upstream_unavailable', status: 503 });
    expect((error as { retryAfter?: number }).retryAfter).toBeGreaterThan(0);
    const attempts = f.emulator.stats().token.total - before;
    expect(attempts).toBe(3);

    const row = await credentialRow(credentialId);
    expect(row.status).toBe('active');
    expect(row.failureCount).toBe(1);
    expect(row.nextRetryAt!.getTime()).toBeGreaterThan(Date.now());

    // Inside the backoff window nobody hammers Microsoft.
    await expect(tokens.ensureFreshToken(credentialId, 'imap')).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(f.emulator.stats().token.total - before).toBe(3);
  });

  it('does not overwrite a disconnect that happened while a refresh was failing', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service({
      sleep: async () => {},
      identity: {
        ...f.identity,
        refresh: async (input) => {
          // The owner disconnects the mailbox while Microsoft is failing.
          await f.database.db.mailCredential.update({
            where: { id: credentialId },
            data: { refreshTokenSealed: null, status: 'needs_reauth', lastError: 'disconnected', tokenVersion: { increment: 1 } },
          });
          return f.identity.refresh(input);
        },
      },
    });
    f.emulator.failTokenRequests({ times: 5, status: 503 });
    await expect(tokens.ensureFreshToken(credentialId, 'imap')).rejects.toMatchObject({ code: 'upstream_unavailable' });
    const row = await credentialRow(credentialId);
    expect(row.lastError).toBe('disconnected');
    expect(row.nextRetryAt).toBeNull();
  });

  it('backs off hard on loop detection (AADSTS50196) without retrying in the call', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service({ sleep: async () => {} });
    f.emulator.failTokenRequests({ times: 1, status: 400, error: 'invalid_grant', aadsts: [50196] });
    const before = f.emulator.stats().token.total;
    await expect(tokens.ensureFreshToken(credentialId, 'imap')).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(f.emulator.stats().token.total - before).toBe(1);
    const row = await credentialRow(credentialId);
    expect(row.status).toBe('active');
    expect(row.nextRetryAt!.getTime() - Date.now()).toBeGreaterThan(5 * 60 * 1000);
  });

  it('treats a broken app secret as the operator’s problem, not the user’s', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service({ sleep: async () => {} });
    f.emulator.failTokenRequests({ times: 1, status: 401, error: 'invalid_client', aadsts: [7000215] });
    await expect(tokens.ensureFreshToken(credentialId, 'imap')).rejects.toMatchObject({ code: 'upstream_unavailable' });
    const row = await credentialRow(credentialId);
    expect(row.status).toBe('active');
    expect(row.failureCount).toBe(0);
    // The process pauses refreshes instead of sending every credential into the same wall, and
    // every call held back names the failure that paused them.
    const before = f.emulator.stats().token.total;
    await expect(tokens.ensureFreshToken(credentialId, 'imap')).rejects.toMatchObject({
      code: 'upstream_unavailable',
      classification: { kind: 'app', code: 'AADSTS7000215' },
    });
    expect(f.emulator.stats().token.total).toBe(before);
  });
});

describe('secrets at rest', () => {
  it('stores no token in clear in the database or Redis', async () => {
    const { credentialId, email } = await f.seedCredential();
    const seeded = f.emulator.issueRefreshToken({ email, scopes: ['offline_access', 'https://outlook.office.com/IMAP.AccessAsUser.All'] });
    const row = await credentialRow(credentialId);
    await f.database.db.mailCredential.update({
      where: { id: credentialId },
      data: { refreshTokenSealed: f.secrets.seal(seeded, `MailCredential:${credentialId}:refreshToken`), tokenVersion: row.tokenVersion + 1 },
    });
    const t = await f.service().ensureFreshToken(credentialId, 'imap');
    const dump = JSON.stringify(
      await f.database.db.$queryRawUnsafe(
        `SELECT (SELECT json_agg(c) FROM "MailCredential" c) AS creds, (SELECT json_agg(a) FROM "AccessToken" a) AS ats`,
      ),
    );
    expect(dump.length).toBeGreaterThan(100);
    expect(dump).not.toContain(t.accessToken);
    expect(dump).not.toContain(seeded);
    const redis = await f.rawRedisValues();
    expect(redis.length).toBeGreaterThan(0);
    for (const value of redis) expect(value).not.toContain(t.accessToken);
  });

  it('refuses a sealed refresh token moved from another row, without calling Microsoft', async () => {
    const a = await f.seedCredential();
    const b = await f.seedCredential();
    const rowA = await credentialRow(a.credentialId);
    const rowB = await credentialRow(b.credentialId);
    await f.database.db.mailCredential.update({
      where: { id: b.credentialId },
      data: { refreshTokenSealed: rowA.refreshTokenSealed, tokenVersion: rowB.tokenVersion + 1 },
    });
    const before = f.emulator.stats().token.total;
    await expect(f.service().ensureFreshToken(b.credentialId, 'imap')).rejects.toMatchObject({ code: 'needs_reauth' });
    expect(f.emulator.stats().token.total).toBe(before);
    expect((await credentialRow(b.credentialId)).lastError).toBe('undecryptable');
  });
});

describe('pauses scoped to what is broken', () => {
  const FABRIKAM = '6b0e4f0a-2c57-4d0b-9a61-3e1d7c25b8f4';
  /** A token service whose log lines are kept (and appended to the suite log for its secret scan). */
  function loggedService(overrides: Parameters<TokenFixture['service']>[0] = {}) {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
        if (process.env.LOG_FILE) appendFileSync(process.env.LOG_FILE, line);
      },
    });
    return { tokens: f.service({ logger, sleep: async () => {}, ...overrides }), lines, alerts: () => lines.filter((l) => l.alert === 'operator') };
  }

  it('one tenant refusing the app pauses that tenant’s credentials, reported once; the other tenant keeps refreshing', async () => {
    const a1 = await f.seedCredential(undefined, { tenantId: FABRIKAM });
    const a2 = await f.seedCredential(undefined, { tenantId: FABRIKAM });
    const b = await f.seedCredential();
    expect(a1.tenantId).toBe(FABRIKAM);
    expect(b.tenantId).not.toBe(FABRIKAM);
    const { tokens, alerts } = loggedService();
    f.emulator.failTokenRequests({ times: 100, status: 400, error: 'unauthorized_client', aadsts: [700016], tenantId: FABRIKAM });
    const before = f.emulator.stats().token.total;

    await expect(tokens.ensureFreshToken(a1.credentialId, 'imap')).rejects.toMatchObject({
      code: 'upstream_unavailable',
      classification: { kind: 'tenant', code: 'AADSTS700016' },
      paused: { scope: 'tenant', tenantId: FABRIKAM },
    });
    expect(f.emulator.stats().token.total - before).toBe(1);
    // The tenant's other credential is held back without a request, naming the cause.
    await expect(tokens.ensureFreshToken(a2.credentialId, 'imap')).rejects.toMatchObject({
      classification: { kind: 'tenant', code: 'AADSTS700016' },
      paused: { scope: 'tenant', tenantId: FABRIKAM },
    });
    expect(f.emulator.stats().token.total - before).toBe(1);
    // The other tenant is not paused.
    await expect(tokens.ensureFreshToken(b.credentialId, 'imap')).resolves.toMatchObject({ accessToken: expect.any(String) });
    expect(f.emulator.stats().token.total - before).toBe(2);

    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]).toMatchObject({ scope: 'tenant', tenantId: FABRIKAM, code: 'AADSTS700016', credentialId: a1.credentialId });
    // Not the users' fault: nobody is marked or put in backoff.
    for (const id of [a1.credentialId, a2.credentialId]) {
      expect(await credentialRow(id)).toMatchObject({ status: 'active', nextRetryAt: null, failureCount: 0 });
    }
  });

  it('a broken client secret still pauses every tenant', async () => {
    const a = await f.seedCredential(undefined, { tenantId: FABRIKAM });
    const b = await f.seedCredential();
    const { tokens, alerts } = loggedService();
    f.emulator.failTokenRequests({ times: 1, status: 401, error: 'invalid_client', aadsts: [7000222] });
    await expect(tokens.ensureFreshToken(a.credentialId, 'imap')).rejects.toMatchObject({ classification: { kind: 'app' }, paused: { scope: 'all' } });
    const before = f.emulator.stats().token.total;
    await expect(tokens.ensureFreshToken(b.credentialId, 'imap')).rejects.toMatchObject({
      classification: { kind: 'app', code: 'AADSTS7000222' },
      paused: { scope: 'all' },
    });
    expect(f.emulator.stats().token.total).toBe(before);
    expect(alerts()).toEqual([expect.objectContaining({ scope: 'all', code: 'AADSTS7000222' })]);
  });

  it('a user’s own condition pauses nobody else, not even in the same tenant', async () => {
    const x = await f.seedCredential(undefined, { tenantId: FABRIKAM });
    const y = await f.seedCredential(undefined, { tenantId: FABRIKAM });
    const { tokens, alerts } = loggedService();
    // MSAL's non-UI suberror: not the user's to fix by signing in, so the mailbox is not marked.
    f.emulator.failTokenRequests({ times: 1, status: 400, error: 'invalid_grant', aadsts: [70000], suberror: 'client_mismatch' });
    await expect(tokens.ensureFreshToken(x.credentialId, 'imap')).rejects.toMatchObject({
      code: 'upstream_unavailable',
      classification: { kind: 'credential', code: 'invalid_grant:client_mismatch' },
      paused: { scope: 'credential', credentialId: x.credentialId },
    });
    const row = await credentialRow(x.credentialId);
    expect(row.status).toBe('active');
    expect(row.nextRetryAt!.getTime()).toBeGreaterThan(Date.now() + 60_000);
    // login_required (MSAL: interaction required) marks that user only.
    f.emulator.failTokenRequests({ times: 1, status: 400, error: 'login_required', aadsts: [50058] });
    const z = await f.seedCredential(undefined, { tenantId: FABRIKAM });
    await expect(tokens.ensureFreshToken(z.credentialId, 'imap')).rejects.toMatchObject({ code: 'needs_reauth' });
    expect((await credentialRow(z.credentialId)).status).toBe('needs_reauth');

    await expect(tokens.ensureFreshToken(y.credentialId, 'imap')).resolves.toMatchObject({ accessToken: expect.any(String) });
    expect(alerts()).toHaveLength(0);
  });

  it('AADSTS70000 for Graph from a grant that still mints mail is a missing consent: the mailbox stays connected', async () => {
    const { credentialId } = await f.seedCredential();
    const { tokens } = loggedService();
    // As Microsoft sends it for a scope never granted: invalid_grant, 70000, no suberror.
    f.emulator.failTokenRequests({ times: 1, status: 400, error: 'invalid_grant', aadsts: [70000], resource: 'graph' });
    const imapBefore = f.emulator.stats().token.byResource.imap;
    await expect(tokens.ensureFreshToken(credentialId, 'graph')).rejects.toMatchObject({
      code: 'needs_reauth',
      classification: { kind: 'reauth', code: 'AADSTS70000', consent: true },
    });
    const row = await credentialRow(credentialId);
    expect(row.status).toBe('active');
    // The grant was asked for mail once, and what that rotated was kept.
    expect(f.emulator.stats().token.byResource.imap - imapBefore).toBe(1);
    expect(row.tokenVersion).toBe(2);
    const total = f.emulator.stats().token.total;
    await expect(tokens.ensureFreshToken(credentialId, 'imap')).resolves.toMatchObject({ accessToken: expect.any(String) });
    expect(f.emulator.stats().token.total).toBe(total);
  });

  it('AADSTS70000 from a refresh token reused under strict rotation marks the credential, for Graph too', async () => {
    const { credentialId, email } = await f.seedCredential();
    const seeded = f.emulator.issueRefreshToken({ email, scopes: ['offline_access', 'https://outlook.office.com/IMAP.AccessAsUser.All', 'https://graph.microsoft.com/Files.Read.All'] });
    const row = await credentialRow(credentialId);
    await f.database.db.mailCredential.update({
      where: { id: credentialId },
      data: { refreshTokenSealed: f.secrets.seal(seeded, `MailCredential:${credentialId}:refreshToken`), tokenVersion: row.tokenVersion + 1 },
    });
    f.emulator.setStrictRotation(true);
    // Someone else used this refresh token: Microsoft rejects its reuse with invalid_grant 70000.
    await f.identity.refresh({ refreshToken: seeded, resource: 'imap' });
    const { tokens } = loggedService();
    await expect(tokens.ensureFreshToken(credentialId, 'graph')).rejects.toMatchObject({
      code: 'needs_reauth',
      classification: { kind: 'reauth', code: 'AADSTS70000' },
    });
    const after = await credentialRow(credentialId);
    expect(after.status).toBe('needs_reauth');
    expect(after.lastError).toBe('AADSTS70000');
  });
});

// The cron at scale: 10,000 due credentials (half idle for 85 days, half with an access token
// about to expire), a token endpoint answering in 100 ms, cron runs back to back with the
// route's real budget until nothing is left. Reported: wall time, number of runs, token requests
// and database statements per credential, against a baseline measured in the same run — the
// same refreshes done one by one in a plain loop over a sample, as the systems this replaces do.
// Statements are counted at the driver (every SQL statement Prisma sends, BEGIN/COMMIT included).
// Rows: the cron at its defaults (concurrency chosen per run, up to CRON_MAX_CONCURRENCY's 64),
// and at the old fixed default of 16 for comparison; BENCH_CRON_CONCURRENCY=auto,16,64 picks them.
import { randomBytes, randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { Redis } from 'ioredis';
import pino from 'pino';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '../emulator';
import { createRedisCache, type Cache } from '../lib/cache';
import { cronBudget, runCron } from '../lib/cron';
import { accessTokenAad, createSecretBox, keyringFromKeys, refreshTokenAad, type SecretBox } from '../lib/crypto';
import type { Prisma } from '../lib/db';
import { migrate } from '../lib/db/migrate';
import { poolSizeFor } from '../lib/db/pool-size';
import { DEFAULT_MAX_CONCURRENCY } from '../lib/cron/run-cron';
// The bench builds its own client to count statements at the driver.
import { PrismaClient } from '../lib/db/generated/client';
import { createIdentityClient } from '../lib/microsoft';
import { IMAP_SCOPE } from '../lib/microsoft/scopes';
import { createTokenService, type TokenService } from '../lib/tokens';
import { createEmptyPostgresDatabase } from '../tests/support/db';
import { fmt, heading, ratio } from './stats';

const CREDENTIALS = Number(process.env.BENCH_CRON_CREDENTIALS ?? 10_000);
const SAMPLE = 100;
const LATENCY_MS = 100;
/** The production route's settings: maxDuration 60 s, CRON_BUDGET_SECONDS 40, the pool getDb() opens. */
const MAX_DURATION_SECONDS = 60;
const BUDGET_SECONDS = 40;
const POOL_SIZE = poolSizeFor({ cronMaxConcurrency: DEFAULT_MAX_CONCURRENCY });
const CONCURRENCIES: ('auto' | number)[] = (process.env.BENCH_CRON_CONCURRENCY ?? 'auto,16')
  .split(',')
  .map((c) => (c.trim() === 'auto' ? 'auto' : Number(c)));
const DAY_MS = 86_400_000;
/** BENCH_CRON_LOG=debug shows the runs' own lines (concurrency chosen, progress) on stderr. */
const runLogger = pino({ level: process.env.BENCH_CRON_LOG ?? 'silent' }, pino.destination(2));
const SCOPES = ['openid', 'offline_access', IMAP_SCOPE];

interface World {
  emulator: MicrosoftEmulator;
  db: PrismaClient;
  cache: Cache;
  secrets: SecretBox;
  statements: () => number;
  tokens: () => TokenService;
  redisPrefix: string;
  close(): Promise<void>;
}

export async function benchCronRefresh(): Promise<void> {
  const world = await openWorld();
  try {
    let t = performance.now();
    const ids = await seed(world, CREDENTIALS);
    const sample = await seed(world, SAMPLE);
    console.log(`seeded ${CREDENTIALS + SAMPLE} credentials in ${fmt(performance.now() - t)}`);
    world.emulator.setLatency(LATENCY_MS);

    // Baseline: one by one, in a plain loop, straight through the token layer (no claims).
    await makeDue(world, sample);
    const tokens = world.tokens();
    const baseRequests = world.emulator.stats().token.refresh_token;
    const baseStatements = world.statements();
    t = performance.now();
    for (const id of sample) await tokens.ensureFreshToken(id, 'imap', { minValiditySeconds: 900, refreshedSince: Date.now() - 30 * DAY_MS });
    const baseMs = performance.now() - t;
    const basePerCredential = {
      ms: baseMs / SAMPLE,
      statements: (world.statements() - baseStatements) / SAMPLE,
      requests: (world.emulator.stats().token.refresh_token - baseRequests) / SAMPLE,
    };
    heading(`cron refresh: ${CREDENTIALS.toLocaleString('en')} due credentials, ${LATENCY_MS} ms token endpoint, pool of ${POOL_SIZE}`);
    console.log(
      `baseline (sequential loop, ${SAMPLE} sampled)  ${fmt(basePerCredential.ms)}/credential  → ${fmt(basePerCredential.ms * CREDENTIALS)} for all (extrapolated)` +
        `  ${basePerCredential.statements.toFixed(1)} statements/credential`,
    );

    const { budgetMs, drainMs } = cronBudget({ maxDurationSeconds: MAX_DURATION_SECONDS, budgetSeconds: BUDGET_SECONDS });
    for (const concurrency of CONCURRENCIES) {
      await makeDue(world, ids);
      const requestsBefore = world.emulator.stats().token.refresh_token;
      const statementsBefore = world.statements();
      const cpuBefore = process.cpuUsage();
      let runs = 0;
      let refreshed = 0;
      let failed = 0;
      const runMs: number[] = [];
      t = performance.now();
      for (;;) {
        const summary = await runCron({
          db: world.db,
          tokens: world.tokens(),
          cache: world.cache,
          logger: runLogger,
          budgetMs,
          drainMs,
          ...(concurrency === 'auto' ? {} : { concurrency }),
          warmWindowSeconds: 900,
          warmActiveHours: 4,
          idleDays: 30,
          nearExpiryDays: 80,
        });
        runs += 1;
        refreshed += summary.refreshed;
        failed += summary.failed + summary.needsReauth;
        runMs.push(summary.durationMs);
        if (!summary.more || runs > 50) break;
      }
      const wallMs = performance.now() - t;
      const cpu = process.cpuUsage(cpuBefore);
      const requests = world.emulator.stats().token.refresh_token - requestsBefore;
      const statements = (world.statements() - statementsBefore) / Math.max(1, refreshed);
      const seqMs = basePerCredential.ms * CREDENTIALS;
      console.log(
        `cron, concurrency ${concurrency === 'auto' ? 'auto (defaults)' : `${concurrency} (fixed)`}: ${runs} run(s) of ≤ ${(budgetMs / 1000).toFixed(0)} s budget [${runMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s]` +
          `  wall ${fmt(wallMs)}  ${(refreshed / (wallMs / 1000)).toFixed(0)} credentials/s`,
      );
      console.log(
        `   refreshed ${refreshed}, failed ${failed}, token requests ${requests} (${(requests / CREDENTIALS).toFixed(3)}/credential)` +
          `  statements ${statements.toFixed(1)}/credential (baseline ${basePerCredential.statements.toFixed(1)}, ratio ${ratio(statements, basePerCredential.statements)})` +
          `  process CPU ${((cpu.user + cpu.system) / 1000 / wallMs * 100).toFixed(0)}% (emulator included)`,
      );
      console.log(`   wall vs sequential loop: ${ratio(wallMs, seqMs)} (speed-up ${(seqMs / wallMs).toFixed(1)}×)`);
      if (refreshed !== CREDENTIALS || requests !== CREDENTIALS) process.exitCode = 1;
    }
  } finally {
    await world.close();
  }
}

async function openWorld(): Promise<World> {
  const emulator = await startMicrosoftEmulator();
  const { url, drop } = await createEmptyPostgresDatabase();
  await migrate({ url });
  let statements = 0;
  const adapter = new PrismaPg(
    { connectionString: url, max: POOL_SIZE },
    {
      // Called for every statement the adapter sends: a free counter at the driver.
      statementNameGenerator: () => {
        statements += 1;
        return undefined as unknown as string;
      },
    },
  );
  const db = new PrismaClient({ adapter });
  const redisPrefix = `mbbench:${randomBytes(6).toString('hex')}:`;
  const logger = pino({ level: 'silent' });
  const cache = createRedisCache({ url: 'redis://127.0.0.1:6379', keyPrefix: redisPrefix, logger });
  const secrets = createSecretBox(keyringFromKeys(randomBytes(32)));
  const identity = createIdentityClient({ authorityHost: emulator.url, tenant: 'common', clientId: emulator.clientId, clientSecret: emulator.clientSecret });
  return {
    emulator,
    db,
    cache,
    secrets,
    redisPrefix,
    statements: () => statements,
    tokens: () => createTokenService({ db, cache, secrets, identity, logger, skewSeconds: 300 }),
    async close() {
      await flushPrefix(redisPrefix);
      await cache.close();
      await db.$disconnect();
      await drop();
      await emulator.close();
    },
  };
}

/** Users and credentials with real emulator refresh tokens, written with createMany. */
async function seed(world: World, n: number): Promise<string[]> {
  const users: { id: string; email: string }[] = [];
  const credentials: Prisma.MailCredentialCreateManyInput[] = [];
  for (let i = 0; i < n; i++) {
    const email = `bench-${randomUUID()}@contoso.example`;
    const emulatorUser = world.emulator.addUser({ email });
    const refreshToken = world.emulator.issueRefreshToken({ email, scopes: SCOPES });
    const userId = randomUUID();
    const id = randomUUID();
    users.push({ id: userId, email });
    credentials.push({
      id,
      userId,
      email,
      authType: 'oauth2',
      providerAccountId: emulatorUser.oid,
      tenantId: emulatorUser.tid,
      grantedScopes: SCOPES.join(' '),
      refreshTokenSealed: world.secrets.seal(refreshToken, refreshTokenAad(id)),
      tokenVersion: 1,
    });
  }
  for (let i = 0; i < n; i += 2_000) {
    await world.db.user.createMany({ data: users.slice(i, i + 2_000) });
    await world.db.mailCredential.createMany({ data: credentials.slice(i, i + 2_000) });
  }
  return credentials.map((c) => c.id!);
}

/**
 * Even ids: idle for 85 days, no access token. Odd ids: refreshed 50 minutes ago, with an IMAP
 * access token expiring in 5 minutes. Redis is emptied so only the database says what is due.
 */
async function makeDue(world: World, ids: string[]): Promise<void> {
  const now = Date.now();
  const idle = ids.filter((_, i) => i % 2 === 0);
  const warm = ids.filter((_, i) => i % 2 === 1);
  const longAgo = new Date(now - 85 * DAY_MS);
  await world.db.accessToken.deleteMany({ where: { credentialId: { in: ids } } });
  await world.db.mailCredential.updateMany({ where: { id: { in: idle } }, data: { lastRefreshAt: longAgo, refreshTokenIssuedAt: longAgo } });
  // Opened by a person lately: the cron warms only mailboxes in use.
  await world.db.mailCredential.updateMany({ where: { id: { in: warm } }, data: { lastRefreshAt: new Date(now - 50 * 60_000), lastAccessedAt: new Date(now - 60_000) } });
  for (let i = 0; i < warm.length; i += 2_000) {
    await world.db.accessToken.createMany({
      data: warm.slice(i, i + 2_000).map((credentialId) => ({
        credentialId,
        resource: 'imap',
        tokenSealed: world.secrets.seal(`stale-${credentialId}`, accessTokenAad(credentialId, 'imap')),
        expiresAt: new Date(now + 5 * 60_000),
        tokenVersion: 1,
      })),
    });
  }
  await flushPrefix(world.redisPrefix);
}

async function flushPrefix(prefix: string): Promise<void> {
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

// The in-process (L1) token cache across instances: two real OS processes (tests/support/
// l1-worker.ts) on one PostgreSQL database and one Redis. Each path that changes a credential's
// tokens on one instance (rotation, rejected token, disconnect, reconnect) must drop the other
// instance's L1 entry through Redis pub/sub; with Redis down, or its subscriber cut off, entries
// fall back to a short lifetime. A worker reports how many access-token reads reached Redis for
// a call: 0 means the answer came from its L1.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryCache, type Cache } from '@/lib/cache';
import { forgetCachedAccessTokens, storeGrant } from '@/lib/tokens';
import { IMAP_SCOPE } from '@/lib/microsoft/scopes';
import { logger } from '@/lib/log';
import { waitFor } from '../support/net';
import { startRedis, type PrivateRedis } from '../support/redis';
import { createTokenFixture, SHARED_REDIS_URL, type TokenFixture } from '../support/tokens';

interface Got {
  accessToken: string;
  redisReads: number;
}

class Worker {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly started: Promise<unknown>;

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.started = new Promise((resolve, reject) => this.waiting.set(0, { resolve, reject }));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      let answer: { id: number; result?: unknown; error?: string };
      try {
        answer = JSON.parse(line) as typeof answer;
      } catch {
        return; // a log line
      }
      const waiter = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      if (answer.error !== undefined) waiter?.reject(new Error(answer.error));
      else waiter?.resolve(answer.result);
    });
    child.once('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`worker exited (${code})`));
    });
  }

  call<T>(request: Record<string, unknown>): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(`${JSON.stringify({ id, ...request })}\n`);
    });
  }

  get(credentialId: string, extra: Record<string, unknown> = {}): Promise<Got> {
    return this.call<Got>({ op: 'get', credentialId, ...extra });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}

let f: TokenFixture;
const workers: Worker[] = [];

async function startWorker(options: { redisUrl: string; redisPrefix: string; fallbackMs: number }): Promise<Worker> {
  const config = {
    databaseUrl: f.database.url,
    keyBase64: f.keyBase64,
    authorityHost: f.emulator.url,
    clientId: f.emulator.clientId,
    clientSecret: f.emulator.clientSecret,
    ...options,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/l1-worker.ts', JSON.stringify(config)], {
    env: { ...process.env, LOG_LEVEL: 'silent' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr.resume();
  const worker = new Worker(child);
  workers.push(worker);
  await worker.started;
  await waitFor(() => worker.call<boolean>({ op: 'live' }), { timeoutMs: 20_000, what: 'worker subscribed' });
  return worker;
}

/**
 * The worker answers from its L1: a repeated call reads nothing from Redis. (Repeated until it
 * does: an invalidation published by a refresh elsewhere just before may still be on its way.)
 */
async function cachedInL1(worker: Worker, credentialId: string): Promise<string> {
  const first = await worker.get(credentialId);
  const hit = await waitFor(
    async () => {
      const again = await worker.get(credentialId);
      return again.redisReads === 0 ? again : undefined;
    },
    { timeoutMs: 5_000, intervalMs: 100, what: 'an L1 hit' },
  );
  expect(hit.accessToken).toBe(first.accessToken);
  return hit.accessToken;
}

/** Until the worker's next call misses its L1 (with a long fallback, only an invalidation does that). */
async function missesL1(worker: Worker, credentialId: string, what: string): Promise<Got> {
  return waitFor(
    async () => {
      const got = await worker.get(credentialId);
      return got.redisReads > 0 ? got : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100, what },
  );
}

beforeAll(async () => {
  f = await createTokenFixture();
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
  await f?.close();
});

describe('two instances on one Redis', () => {
  // A long fallback lifetime: within these tests an entry can only go because it was invalidated.
  let a: Worker;
  let b: Worker;
  beforeAll(async () => {
    const started = await Promise.all([1, 2].map(() => startWorker({ redisUrl: SHARED_REDIS_URL, redisPrefix: f.redisPrefix, fallbackMs: 600_000 })));
    a = started[0]!;
    b = started[1]!;
  }, 60_000);

  it('a rotation on one instance replaces the other instance’s L1 token', async () => {
    const { credentialId } = await f.seedCredential();
    const t1 = await cachedInL1(a, credentialId);
    expect(await cachedInL1(b, credentialId)).toBe(t1);
    // A refreshes (the token outlives the skew but not the asked validity): a new token, committed.
    const t2 = (await a.get(credentialId, { minValiditySeconds: 7_200 })).accessToken;
    expect(t2).not.toBe(t1);
    const seen = await missesL1(b, credentialId, 'B drops its L1 token after the rotation on A');
    expect(seen.accessToken).toBe(t2);
    expect(await cachedInL1(b, credentialId)).toBe(t2);
  });

  it('a token rejected on one instance leaves the other instance’s L1, even when no new token follows', async () => {
    const { credentialId } = await f.seedCredential();
    const t1 = await cachedInL1(a, credentialId);
    await cachedInL1(b, credentialId);
    // The refresh after the rejection fails (loop detection: no retry), so only the rejection
    // itself can have told B.
    f.emulator.failTokenRequests({ times: 1, status: 400, error: 'invalid_grant', aadsts: [50196] });
    await expect(a.get(credentialId, { rejectedToken: t1 })).rejects.toThrow('upstream_unavailable');
    await missesL1(b, credentialId, 'B drops the token A saw rejected');
  });

  it('a disconnect on one instance empties the other instance’s L1 for that credential', async () => {
    const { credentialId } = await f.seedCredential();
    const other = await f.seedCredential();
    await cachedInL1(b, credentialId);
    await cachedInL1(b, other.credentialId);
    await a.call({ op: 'disconnect', credentialId });
    await missesL1(b, credentialId, 'B drops the disconnected credential');
    // Only that credential.
    expect((await b.get(other.credentialId)).redisReads).toBe(0);
  });

  it('a reconnect on one instance replaces the other instance’s L1 token', async () => {
    const seeded = await f.seedCredential();
    const t1 = await cachedInL1(b, seeded.credentialId);
    const user = f.emulator.addUser({ email: seeded.email });
    const refreshToken = f.emulator.issueRefreshToken({ email: seeded.email, scopes: ['openid', 'offline_access', IMAP_SCOPE] });
    const id = await a.call<string>({
      op: 'reconnect',
      grant: { userId: seeded.userId, email: seeded.email, providerAccountId: user.oid, tenantId: user.tid, refreshToken, grantedScopes: ['openid', 'offline_access', IMAP_SCOPE] },
    });
    expect(id).toBe(seeded.credentialId);
    const seen = await missesL1(b, seeded.credentialId, 'B drops its token after the reconnect on A');
    // The reconnect dropped the old grant's access tokens: B minted one from the new grant.
    expect(seen.accessToken).not.toBe(t1);
  });
});

describe('Redis down or the subscriber cut off (a private redis-server)', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a subscriber that was cut off drops everything when it is back, since it may have missed messages', async () => {
    const w = await startWorker({ redisUrl: redis.url, redisPrefix: 'l1:', fallbackMs: 600_000 });
    const { credentialId } = await f.seedCredential();
    await cachedInL1(w, credentialId);
    const killed = spawnSync('redis-cli', ['-p', String(redis.port), 'CLIENT', 'KILL', 'TYPE', 'pubsub'], { encoding: 'utf8' });
    expect(Number(killed.stdout.trim())).toBeGreaterThan(0);
    await missesL1(w, credentialId, 'L1 dropped after the subscriber reconnected');
    await waitFor(() => w.call<boolean>({ op: 'live' }), { what: 'subscribed again' });
    await cachedInL1(w, credentialId);
  }, 60_000);

  it('with Redis stopped, L1 entries live only the short fallback lifetime; every call still gets the token', async () => {
    const w = await startWorker({ redisUrl: redis.url, redisPrefix: 'l1b:', fallbackMs: 1_500 });
    const { credentialId } = await f.seedCredential();
    const t1 = await cachedInL1(w, credentialId);
    await redis.stop();
    try {
      await waitFor(() => w.call<boolean>({ op: 'live' }).then((live) => !live), { what: 'worker sees Redis gone' });
      // The entry held before the outage goes after the fallback lifetime, not after its hour.
      const seen = await missesL1(w, credentialId, 'L1 entry expired while Redis is down');
      expect(seen.accessToken).toBe(t1); // from the database
    } finally {
      await redis.restart();
    }
  }, 60_000);
});

describe('one instance without Redis (the in-process cache)', () => {
  it('invalidates its L1 locally', async () => {
    const memory = createMemoryCache();
    let reads = 0;
    const cache: Cache = Object.assign(Object.create(memory) as Cache, {
      get: (key: string) => {
        if (key.startsWith('at:')) reads += 1;
        return memory.get(key);
      },
    });
    const { credentialId, userId, email, tenantId } = await f.seedCredential();
    const tokens = f.service({ cache });
    const t1 = await tokens.ensureFreshToken(credentialId, 'imap');
    reads = 0;
    expect(await tokens.ensureFreshToken(credentialId, 'imap')).toEqual(t1);
    expect(reads).toBe(0);

    await forgetCachedAccessTokens(cache, credentialId); // disconnect
    await tokens.ensureFreshToken(credentialId, 'imap');
    expect(reads).toBe(1);

    // Reconnect through storeGrant on the same cache: the L1 token goes at once.
    const user = f.emulator.addUser({ email });
    await storeGrant({
      db: f.database.db, cache, secrets: f.secrets, logger: logger.child({ module: 'tokens' }), skewSeconds: 300,
      userId, email, providerAccountId: user.oid, tenantId,
      refreshToken: f.emulator.issueRefreshToken({ email, scopes: ['openid', 'offline_access', IMAP_SCOPE] }),
      grantedScopes: ['openid', 'offline_access', IMAP_SCOPE],
    });
    reads = 0;
    const t2 = await tokens.ensureFreshToken(credentialId, 'imap');
    expect(reads).toBe(1);
    expect(t2.accessToken).not.toBe(t1.accessToken);
    await memory.close();
  });
});

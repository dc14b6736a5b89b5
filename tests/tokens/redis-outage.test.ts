// SPEC §5.3: Redis is a cache, never a dependency. A private redis-server is stopped, paused and
// frozen under a running token service; every call still answers from the database in bounded
// time, without extra refreshes, and Redis is used again once it is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCache, type Cache } from '@/lib/cache';
import { startRedis, type PrivateRedis } from '../support/redis';
import { createTokenFixture, type TokenFixture } from '../support/tokens';
import { waitFor } from '../support/net';

let f: TokenFixture;
let redis: PrivateRedis;
let cache: Cache;
const BOUND_MS = 1_500; // generous for a loaded CI machine; the cache's own bound is ~300 ms

beforeAll(async () => {
  f = await createTokenFixture({ cache: 'memory' });
  redis = await startRedis();
  cache = createRedisCache({ url: redis.url, keyPrefix: 'outage:', circuitOpenMs: 500 });
});
afterAll(async () => {
  await cache?.close();
  await redis?.stop();
  await f?.close();
});

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

describe.each([
  ['stopped', () => redis.stop(), () => redis.restart()],
  ['paused (accepts connections, never answers)', () => redis.pause(4_000), async () => redis.restart()],
  ['frozen (SIGSTOP)', async () => redis.freeze(), async () => redis.thaw()],
])('Redis %s', (_name, breakRedis, healRedis) => {
  it('serves every call from the database within a bounded wait, then uses Redis again', async () => {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service({ cache });
    const first = await tokens.ensureFreshToken(credentialId, 'imap');
    expect(await cache.get(`at:${credentialId}:imap`)).not.toBeNull();
    const refreshes = f.emulator.stats().token.refresh_token;

    await breakRedis();
    for (let i = 0; i < 10; i++) {
      const { value, ms } = await timed(() => tokens.ensureFreshToken(credentialId, 'imap'));
      expect(value.accessToken).toBe(first.accessToken);
      expect(ms).toBeLessThan(BOUND_MS);
    }
    expect(f.emulator.stats().token.refresh_token).toBe(refreshes);
    expect(await cache.health()).toBe('down');

    await healRedis();
    // After the circuit's probe the service writes to and reads from Redis again.
    await waitFor(async () => (await cache.health()) === 'ok', { timeoutMs: 10_000, what: 'Redis back' });
    // A rejected token forces a refresh, whose result goes to Redis. (A plain read could be answered
    // by this process's L1, which a raw delete in Redis does not reach.)
    await cache.del(`at:${credentialId}:imap`);
    const renewed = await tokens.ensureFreshToken(credentialId, 'imap', { rejectedToken: first.accessToken });
    expect(renewed.accessToken).not.toBe(first.accessToken);
    await waitFor(async () => (await cache.get(`at:${credentialId}:imap`)) !== null, { timeoutMs: 5_000, what: 'token cached again' });
  });
});

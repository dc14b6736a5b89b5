// The token layer's costs that matter, with a realistic 2 KB access token (Microsoft's are
// 1.5–2.5 KB): the hot path on a Redis hit (L1 off) and on an in-process L1 hit, each against a
// bare ioredis GET of the same sealed value; and a herd of 1,000 callers on one stale credential.
// Ratios are measured in the same run, against baselines measured in the same run.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { TOKEN_INVALIDATION_CHANNEL, type TokenService } from '../lib/tokens';
import { createTokenFixture, type TokenFixture } from '../tests/support/tokens';
import { fmt, heading, ratio, summarize } from './stats';

const ROUNDS = 10;
const PER_ROUND = 500;
/** Calls of one side before switching to the other. */
const BLOCK = 50;
const TOKEN_BYTES = 2048;

/**
 * Alternates the two in short blocks so machine noise hits both alike, timing every call. Blocks
 * rather than single calls: an in-process hit timed right after a network round trip measures the
 * round trip's aftermath (its socket callbacks, evicted CPU caches) more than itself.
 */
async function versus(subject: () => Promise<unknown>, baseline: () => Promise<unknown>): Promise<{ s: number[]; b: number[] }> {
  const s: number[] = [];
  const b: number[] = [];
  const block = async (fn: () => Promise<unknown>, into: number[] | null) => {
    for (let i = 0; i < BLOCK; i++) {
      const t = performance.now();
      await fn();
      into?.push(performance.now() - t);
    }
  };
  // Warm-up: both paths optimised by the JIT before anything is timed.
  for (let i = 0; i < 40; i++) {
    await block(subject, null);
    await block(baseline, null);
  }
  for (let round = 0; round < ROUNDS * (PER_ROUND / BLOCK); round++) {
    await block(subject, s);
    await block(baseline, b);
  }
  return { s, b };
}

function report(title: string, name: string, samples: { s: number[]; b: number[] }, target: string): void {
  const h = summarize(samples.s);
  const b = summarize(samples.b);
  heading(title);
  console.log(`${name.padEnd(17)} p50 ${fmt(h.p50)}  p99 ${fmt(h.p99)}`);
  console.log(`${'bare ioredis GET'.padEnd(17)} p50 ${fmt(b.p50)}  p99 ${fmt(b.p99)}`);
  console.log(`${'ratio'.padEnd(17)} p50 ${ratio(h.p50, b.p50)}  p99 ${ratio(h.p99, b.p99)}   (target p50 ${target})`);
}

async function untilLive(f: TokenFixture): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = f.cache.subscribe(TOKEN_INVALIDATION_CHANNEL, {
      message: () => {},
      lost: () => {},
      live: (live) => {
        if (live) {
          queueMicrotask(() => stop());
          resolve();
        }
      },
    });
  });
}

export async function benchTokenLayer(): Promise<void> {
  const f = await createTokenFixture();
  const bare = new Redis('redis://127.0.0.1:6379', { enableOfflineQueue: true });
  try {
    const accessToken = randomBytes((TOKEN_BYTES * 3) / 4).toString('base64url');
    const { credentialId } = await f.seedCredential(undefined, {
      accessToken: { resource: 'imap', accessToken, expiresAt: Date.now() + 3_600_000 },
    });
    const sealedValue = (await f.rawRedisValues())[0]!;
    const bareKey = `${f.redisPrefix}bare`;
    await bare.set(bareKey, sealedValue, 'EX', 600);
    const get = () => bare.get(bareKey);

    const redisOnly: TokenService = f.service({ l1: false });
    if ((await redisOnly.ensureFreshToken(credentialId, 'imap')).accessToken !== accessToken) throw new Error('seeded token not served');
    report(
      `token hot path (Redis hit, L1 off), ${ROUNDS * PER_ROUND} calls each, ${accessToken.length}-byte token, value ${sealedValue.length} bytes`,
      'ensureFreshToken',
      await versus(() => redisOnly.ensureFreshToken(credentialId, 'imap'), get),
      '≤ 1.10×',
    );

    const withL1 = f.service();
    await untilLive(f); // entries get their full fresh window once invalidations arrive
    await withL1.ensureFreshToken(credentialId, 'imap');
    report(
      `token hot path (L1 hit), ${ROUNDS * PER_ROUND} calls each, same token`,
      'ensureFreshToken',
      await versus(() => withL1.ensureFreshToken(credentialId, 'imap'), get),
      '≤ 0.10×',
    );

    // Herd: 1,000 callers, one stale credential, emulator latency like a real token endpoint.
    f.emulator.setLatency(100);
    const single = await f.seedCredential();
    let t = performance.now();
    await f.service().ensureFreshToken(single.credentialId, 'imap');
    const singleMs = performance.now() - t;

    const herd = await f.seedCredential();
    const herdService = f.service();
    const before = f.emulator.stats().token.refresh_token;
    t = performance.now();
    const results = await Promise.all(Array.from({ length: 1000 }, () => herdService.ensureFreshToken(herd.credentialId, 'imap')));
    const herdMs = performance.now() - t;
    const calls = f.emulator.stats().token.refresh_token - before;
    heading('herd: 1,000 concurrent callers on one stale credential (100 ms token endpoint)');
    console.log(`token endpoint calls  ${calls} (must be 1)   distinct tokens ${new Set(results.map((r) => r.accessToken)).size}`);
    console.log(`wall time             ${fmt(herdMs)}   one caller alone ${fmt(singleMs)}   ratio ${ratio(herdMs, singleMs)}`);
    if (calls !== 1) process.exitCode = 1;
  } finally {
    bare.disconnect();
    await f.close();
  }
}

// The token layer's two costs that matter: the hot path (a Redis hit) against a bare ioredis GET
// of a value of the same size, and a herd of 1,000 callers on one stale credential.
// Ratios are measured in the same run, against baselines measured in the same run.
import { Redis } from 'ioredis';
import { createTokenFixture } from '../tests/support/tokens';
import { fmt, heading, ratio, summarize } from './stats';

const ROUNDS = 10;
const PER_ROUND = 500;

export async function benchTokenLayer(): Promise<void> {
  const f = await createTokenFixture();
  const bare = new Redis('redis://127.0.0.1:6379', { enableOfflineQueue: true });
  try {
    const { credentialId } = await f.seedCredential();
    const tokens = f.service();
    await tokens.ensureFreshToken(credentialId, 'imap'); // refresh once; from here on, Redis hits
    const sealedValue = (await f.rawRedisValues())[0]!;
    const bareKey = `${f.redisPrefix}bare`;
    await bare.set(bareKey, sealedValue, 'EX', 600);

    // Interleave the two in rounds so machine noise hits both alike.
    const hot: number[] = [];
    const base: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < PER_ROUND; i++) {
        let t = performance.now();
        await tokens.ensureFreshToken(credentialId, 'imap');
        hot.push(performance.now() - t);
        t = performance.now();
        await bare.get(bareKey);
        base.push(performance.now() - t);
      }
    }
    const h = summarize(hot);
    const b = summarize(base);
    heading(`token hot path (Redis hit), ${hot.length} calls each, value ${sealedValue.length} bytes`);
    console.log(`ensureFreshToken  p50 ${fmt(h.p50)}  p99 ${fmt(h.p99)}`);
    console.log(`bare ioredis GET  p50 ${fmt(b.p50)}  p99 ${fmt(b.p99)}`);
    console.log(`ratio             p50 ${ratio(h.p50, b.p50)}  p99 ${ratio(h.p99, b.p99)}`);

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

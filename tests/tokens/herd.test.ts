// SPEC §5.1 across processes: 2 OS processes × 100 callers ask at once for one stale credential.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTokenFixture, SHARED_REDIS_URL, type TokenFixture } from '../support/tokens';

const run = promisify(execFile);
let f: TokenFixture;

beforeAll(async () => {
  f = await createTokenFixture();
});
afterAll(async () => {
  await f?.close();
});

it('200 callers in 2 processes cause exactly one refresh and all get the same token', async () => {
  const { credentialId } = await f.seedCredential();
  f.emulator.setLatency(300);
  const before = f.emulator.stats().token.refresh_token;
  const config = {
    databaseUrl: f.database.url,
    redisUrl: SHARED_REDIS_URL,
    redisPrefix: f.redisPrefix,
    keyBase64: f.keyBase64,
    authorityHost: f.emulator.url,
    clientId: f.emulator.clientId,
    clientSecret: f.emulator.clientSecret,
    credentialId,
    callers: 100,
    startAt: Date.now() + 4_000,
  };
  const workers = await Promise.all(
    [1, 2].map(() =>
      run(process.execPath, ['--import', 'tsx', 'tests/support/herd-worker.ts', JSON.stringify(config)], {
        env: { ...process.env },
        timeout: 60_000,
      }),
    ),
  );
  const outputs = workers.map((w) => JSON.parse(w.stdout.trim().split('\n').pop()!) as { tokens: string[]; fulfilled: number; errors: string[] });
  expect(outputs.map((o) => o.errors)).toEqual([[], []]);
  expect(outputs.reduce((n, o) => n + o.fulfilled, 0)).toBe(200);
  expect(f.emulator.stats().token.refresh_token - before).toBe(1);
  const tokens = new Set(outputs.flatMap((o) => o.tokens));
  expect(tokens.size).toBe(1);
  // And the token is the one committed to the database.
  const stored = await f.database.db.accessToken.findUniqueOrThrow({ where: { credentialId_resource: { credentialId, resource: 'imap' } } });
  expect(f.secrets.open(stored.tokenSealed, `AccessToken:${credentialId}:imap`)).toBe([...tokens][0]);
}, 90_000);

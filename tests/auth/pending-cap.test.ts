// Each GET /api/mail/connect records a pending flow row: a user's open flows are capped, the
// oldest (and any expired) dropped as new ones start; other users' flows are untouched.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CONNECT_TTL_SECONDS, claimPending, MAX_OPEN_CONNECTS, recordPending, type PendingConnect } from '@/lib/auth/connect/pending';
import type { PrismaClient } from '@/lib/db';
import { createTestPglite } from '../support/db';

let db: PrismaClient;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ db, close } = await createTestPglite());
});
afterAll(() => close());

const T0 = Date.UTC(2030, 0, 1);
const flow = (userId: string, n: number, startedAt: number): PendingConnect => ({
  state: `state-${userId}-${n}`.padEnd(16, 'x'),
  verifier: 'v'.repeat(43),
  nonce: 'n'.repeat(16),
  userId,
  scopes: ['openid'],
  expiresAt: startedAt + CONNECT_TTL_SECONDS * 1000,
});
const rows = (userId: string) => db.verificationToken.count({ where: { identifier: `mail-connect:${userId}` } });

it(`keeps at most ${MAX_OPEN_CONNECTS} open flows per user, dropping the oldest`, async () => {
  await recordPending(db, flow('bob', 0, T0), T0);
  const started: PendingConnect[] = [];
  for (let n = 0; n < 12; n++) {
    const at = T0 + n * 1000;
    started.push(flow('ada', n, at));
    await recordPending(db, started[n]!, at);
    expect(await rows('ada')).toBeLessThanOrEqual(MAX_OPEN_CONNECTS);
  }
  expect(await rows('ada')).toBe(MAX_OPEN_CONNECTS);
  const now = T0 + 12_000;
  // The newest flows still complete; the dropped ones no longer do.
  expect(await claimPending(db, started[11]!, now)).toBe(true);
  expect(await claimPending(db, started[7]!, now)).toBe(true);
  expect(await claimPending(db, started[6]!, now)).toBe(false);
  expect(await claimPending(db, started[0]!, now)).toBe(false);
  expect(await rows('bob')).toBe(1);
});

it('drops expired flows when a new one starts', async () => {
  await recordPending(db, flow('cy', 0, T0), T0);
  await recordPending(db, flow('cy', 1, T0), T0);
  const later = T0 + CONNECT_TTL_SECONDS * 1000 + 1;
  await recordPending(db, flow('cy', 2, later), later);
  expect(await rows('cy')).toBe(1);
});

// The gauge query behind mailbridge.credentials and mailbridge.credentials.refresh_token_age, on
// PostgreSQL and on the embedded PGlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '@/lib/db';
import { countCredentials } from '@/lib/telemetry/credential-counts';
import { createTestDatabase, createTestPglite } from '../support/db';

const DAY_MS = 86_400_000;

describe.each([
  ['PostgreSQL', () => createTestDatabase().then((d) => ({ db: d.db, close: d.close }))],
  ['PGlite', () => createTestPglite()],
] as const)('countCredentials on %s', (_name, open) => {
  let db: PrismaClient;
  let close: () => Promise<void>;
  const now = Date.now();

  beforeAll(async () => {
    ({ db, close } = await open());
    let n = 0;
    const credential = async (data: { daysAgo: number; status?: 'active' | 'needs_reauth' | 'error'; authType?: 'oauth2' | 'password'; sealed?: boolean; lastRefresh?: boolean }) => {
      const email = `u${++n}@example.com`;
      const user = await db.user.create({ data: { email } });
      const at = new Date(now - data.daysAgo * DAY_MS);
      await db.mailCredential.create({
        data: {
          userId: user.id,
          email,
          authType: data.authType ?? 'oauth2',
          status: data.status ?? 'active',
          refreshTokenSealed: data.sealed === false ? null : 'sealed',
          refreshTokenIssuedAt: at,
          ...(data.lastRefresh === false ? {} : { lastRefreshAt: at }),
        },
      });
    };
    await credential({ daysAgo: 0 });
    await credential({ daysAgo: -0.01 }); // stamped a moment in the future (clock skew): still 0–30
    await credential({ daysAgo: 29.9 });
    await credential({ daysAgo: 30 }); // a boundary belongs to the older bucket
    await credential({ daysAgo: 59 });
    await credential({ daysAgo: 61, lastRefresh: false }); // never refreshed: its issue date counts
    await credential({ daysAgo: 85 });
    await credential({ daysAgo: 89.99 });
    await credential({ daysAgo: 120 });
    await credential({ daysAgo: 85, status: 'needs_reauth', sealed: false });
    await credential({ daysAgo: 85, status: 'error' });
    await credential({ daysAgo: 85, authType: 'password', sealed: false });
  });
  afterAll(async () => {
    await close?.();
  });

  it('counts every credential by auth type and status', async () => {
    const counts = await countCredentials({ db, now });
    expect(counts.byStatus).toEqual([
      { authType: 'oauth2', status: 'active', count: 9 },
      { authType: 'oauth2', status: 'error', count: 1 },
      { authType: 'oauth2', status: 'needs_reauth', count: 1 },
      { authType: 'password', status: 'active', count: 1 },
    ]);
  });

  it('buckets active OAuth refresh tokens by days since last exercised', async () => {
    const counts = await countCredentials({ db, now });
    expect(counts.byAge).toEqual({ '0-30d': 3, '30-60d': 2, '60-80d': 1, '80-90d': 2, '90d+': 1 });
  });
});

// The cron's raw SQL (claims, near-expiry report) on the embedded database too: PGlite runs the
// same statements as PostgreSQL (concurrency itself is tested on PostgreSQL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDueCredentials, claimDueLinks, findNearExpiry } from '@/lib/cron';
import { releaseCredentialClaims } from '@/lib/cron/release-credential-claims';
import { releaseLinkClaims } from '@/lib/cron/release-link-claims';
import type { PrismaClient } from '@/lib/db';
import { createTestPglite } from '../support/db';

const DAY_MS = 86_400_000;
let db: PrismaClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ db, close } = await createTestPglite());
});
afterAll(async () => {
  await close?.();
});

async function credential(email: string, lastRefreshDaysAgo: number) {
  const user = await db.user.create({ data: { email } });
  const at = new Date(Date.now() - lastRefreshDaysAgo * DAY_MS);
  return db.mailCredential.create({
    data: { userId: user.id, email, authType: 'oauth2', refreshTokenSealed: 'sealed', lastRefreshAt: at, refreshTokenIssuedAt: at, lastAccessedAt: new Date() },
  });
}

describe('cron SQL on PGlite', () => {
  it('claims, leases, releases and reports like on PostgreSQL', async () => {
    const idle = await credential('idle@example.com', 85);
    const warm = await credential('warm@example.com', 0);
    const fresh = await credential('fresh@example.com', 0);
    const now = Date.now();
    await db.accessToken.createMany({
      data: [
        { credentialId: warm.id, resource: 'imap', tokenSealed: 's', expiresAt: new Date(now + 120_000), tokenVersion: 1 },
        { credentialId: warm.id, resource: 'graph', tokenSealed: 's', expiresAt: new Date(now + 3_000_000), tokenVersion: 1 },
        { credentialId: fresh.id, resource: 'imap', tokenSealed: 's', expiresAt: new Date(now + 3_000_000), tokenVersion: 1 },
      ],
    });
    const claim = (owner: string, at = now) =>
      claimDueCredentials({ db, owner, now: at, limit: 10, leaseMs: 60_000, warmBefore: at + 900_000, activeSince: at - 4 * 3_600_000, idleBefore: at - 30 * DAY_MS });

    const claimed = await claim('a');
    expect(claimed).toEqual([
      { id: idle.id, idle: true, warm: [], lastUsedAt: expect.closeTo(now - 85 * DAY_MS, -4) as number },
      { id: warm.id, idle: false, warm: ['imap'], lastUsedAt: expect.any(Number) as number },
    ]);
    expect(await claim('b')).toEqual([]);
    await releaseCredentialClaims({ db, owner: 'b', ids: [idle.id] }); // not b's: no effect
    expect(await claim('b')).toEqual([]);
    await releaseCredentialClaims({ db, owner: 'a', ids: [idle.id, warm.id] });
    expect((await claim('b')).map((c) => c.id)).toEqual([idle.id, warm.id]);

    const report = await findNearExpiry({ db, now, days: 80 });
    expect(report).toEqual({ count: 1, credentials: [{ id: idle.id, idleDays: 85 }] });
  });

  it('claims due OneDrive links', async () => {
    const owner = await credential('drive@example.com', 0);
    const kb = await db.knowledgeBase.create({ data: { userId: owner.userId, name: 'kb' } });
    const link = await db.oneDriveLink.create({
      data: { knowledgeBaseId: kb.id, credentialId: owner.id, driveId: 'd', folderId: 'f', folderPath: '/f', intervalMinutes: 30, nextSyncAt: new Date(Date.now() - 1000) },
    });
    const now = Date.now();
    expect(await claimDueLinks({ db, owner: 'a', now, limit: 5, leaseMs: 60_000 })).toEqual([{ id: link.id, credentialId: owner.id }]);
    expect(await claimDueLinks({ db, owner: 'b', now, limit: 5, leaseMs: 60_000 })).toEqual([]);
    await releaseLinkClaims({ db, owner: 'a', ids: [link.id] });
    expect(await claimDueLinks({ db, owner: 'b', now, limit: 5, leaseMs: 60_000 })).toHaveLength(1);
  });
});

// Round trips per credential are a correctness property of the cron's design, not a timing: a
// run over N due credentials sends at most 4 SQL statements per credential (claims and their
// hand-back shared by a batch, then the token layer's lease-and-read and commit-and-release),
// still refreshes each exactly once, and leaves no claim or refresh lease behind. Statements are
// counted at the driver, every one Prisma sends.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@/lib/db/generated/client';
import { createCronWorld, type CronWorld } from './support';

let w: CronWorld;
let counted: PrismaClient;
let statements = 0;

beforeAll(async () => {
  w = await createCronWorld();
  const adapter = new PrismaPg(
    { connectionString: w.f.database.url, max: 5 },
    {
      // Called once for every statement the adapter sends.
      statementNameGenerator: () => {
        statements += 1;
        return undefined as unknown as string;
      },
    },
  );
  counted = new PrismaClient({ adapter });
});
afterEach(async () => {
  await w.reset();
});
afterAll(async () => {
  await counted?.$disconnect();
  await w?.close();
});

describe('cron statements per credential', () => {
  it('the counter sees every statement, a transaction’s BEGIN and COMMIT included', async () => {
    const before = statements;
    await counted.$transaction([counted.user.count(), counted.user.count()]);
    expect(statements - before).toBeGreaterThanOrEqual(4);
  });

  it('refreshes idle and warm credentials with at most 4 statements each, exactly once, leaving nothing held', async () => {
    const idle: string[] = [];
    const warm: string[] = [];
    for (let i = 0; i < 12; i++) idle.push((await w.seed()).credentialId);
    await w.makeIdle(idle, 85);
    for (let i = 0; i < 12; i++) {
      const { credentialId } = await w.seed();
      await w.giveToken(credentialId, 'imap', 120);
      warm.push(credentialId);
    }
    const n = idle.length + warm.length;
    const requestsBefore = w.refreshRequests();
    const before = statements;
    // Small batches, so claims and hand-backs repeat within the run.
    const summary = await w.run({ db: counted, tokens: w.service({ db: counted }), batchSize: 5 });
    const sent = statements - before;

    expect(summary).toMatchObject({ refreshed: n, failed: 0, needsReauth: 0, more: false });
    expect(w.refreshRequests() - requestsBefore).toBe(n);
    expect(sent).toBeLessThanOrEqual(4 * n);
    const rows = await w.f.database.db.mailCredential.findMany({ where: { id: { in: [...idle, ...warm] } } });
    expect(rows.filter((r) => r.cronLeaseOwner !== null || r.refreshLeaseOwner !== null || r.refreshLeaseUntil !== null)).toEqual([]);
    const tokens = await w.f.database.db.accessToken.findMany({ where: { credentialId: { in: warm }, resource: 'imap' } });
    expect(tokens.every((t) => t.expiresAt.getTime() > Date.now() + 900_000)).toBe(true);
  });

  it('a due refresh costs two statements: lease-and-read, then commit-and-release', async () => {
    const [a, b] = [(await w.seed()).credentialId, (await w.seed()).credentialId];
    await w.makeIdle([a, b], 85);
    const tokens = w.service({ db: counted });
    const since = Date.now() - 86_400_000;
    let before = statements;
    await tokens.ensureFreshToken(a, 'imap', { refreshedSince: since, background: true, strict: true, due: true });
    expect(statements - before).toBe(2);
    // Without `due`: the read first (Prisma's, with the access token), then the same two.
    before = statements;
    await tokens.ensureFreshToken(b, 'imap', { refreshedSince: since, background: true });
    expect(statements - before).toBeLessThanOrEqual(4);
    const rows = await w.f.database.db.mailCredential.findMany({ where: { id: { in: [a, b] } } });
    expect(rows.map((r) => [r.refreshLeaseOwner, r.refreshLeaseUntil, r.tokenVersion])).toEqual([
      [null, null, 2],
      [null, null, 2],
    ]);
  });
});

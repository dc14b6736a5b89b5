// Shutdown hands back the work this process holds (lib/shutdown/hooks.ts): a OneDrive sync's
// lease mid-sync and a cron run's credential and link claims, on PostgreSQL against the emulator.
// Another worker can take the link at once (not after the lease), resumes from the last committed
// page and ends with the whole folder: nothing is lost, nothing half-done was committed.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { runShutdownHooks, resetShutdownHooks } from '@/lib/shutdown/hooks';
import { expectMirrors, linkedFolder, populate, startSyncWorld, type SyncWorld } from '../onedrive/support/fixtures';
import { createCronWorld, type CronWorld } from '../cron/support';
import type { SyncLink } from '@/lib/cron';
import { waitFor } from '../support/net';

let world: SyncWorld;
let cron: CronWorld;

beforeAll(async () => {
  [world, cron] = await Promise.all([startSyncWorld(), createCronWorld()]);
});
afterEach(async () => {
  resetShutdownHooks();
  world.ms.drive.setLatency(0);
  await cron.reset();
});
afterAll(async () => {
  await world?.close();
  await cron?.close();
});

it('mid-sync: the lease is handed back at once with the checkpoint kept; the next worker finishes the folder', async () => {
  const kb = await linkedFolder(world, { flavor: 'personal' });
  populate(world.ms, kb.driveId, kb.folderId, 60, 3);
  world.ms.drive.setPageSize(10);
  world.ms.drive.setLatency(150);

  const running = kb.sync({ leaseMs: 5 * 60_000 });
  // Some pages are committed (a checkpoint exists) while the walk goes on.
  await waitFor(async () => (await world.db.oneDriveLink.findUniqueOrThrow({ where: { id: kb.linkId } })).nextLink !== null, {
    timeoutMs: 30_000,
    what: 'a checkpointed page',
  });
  const { ran } = await runShutdownHooks();
  expect(ran).toEqual({ onedrive_lease: 1 });
  const freed = await world.db.oneDriveLink.findUniqueOrThrow({ where: { id: kb.linkId } });
  expect(freed).toMatchObject({ leaseOwner: null, leaseUntil: null, status: 'idle' });
  expect(freed.nextLink).not.toBeNull();
  expect(freed.nextSyncAt.getTime()).toBeLessThanOrEqual(Date.now());

  // The interrupted run's later writes fail their lease check: it ends without committing more.
  const result = await running;
  expect(result.outcome).toBe('lease_lost');
  // While shutting down, this process starts no new sync.
  expect((await kb.sync()).outcome).toBe('busy');

  // Another instance takes the link over at once and completes it.
  resetShutdownHooks();
  world.ms.drive.setLatency(0);
  const next = await kb.sync();
  expect(next).toMatchObject({ outcome: 'synced', more: false });
  await expectMirrors(world, kb);
});

it('mid-cron-run: credential and link claims are released at once and the run starts nothing new', async () => {
  const seeded = await Promise.all(Array.from({ length: 6 }, () => cron.seed({ graph: true })));
  const ids = seeded.map((s) => s.credentialId);
  await cron.makeIdle(ids, 40);
  const db = cron.f.database.db;
  for (const s of seeded) {
    const kb = await db.knowledgeBase.create({ data: { userId: s.userId, name: 'Docs' } });
    await db.oneDriveLink.create({ data: { knowledgeBaseId: kb.id, credentialId: s.credentialId, driveId: 'd', folderId: 'f', folderPath: '/f', intervalMinutes: 60 } });
  }
  // Slow refreshes and syncs, so the run is mid-way when SIGTERM comes.
  cron.f.emulator.setLatency(400);
  const started: string[] = [];
  const slowSync: SyncLink = async ({ linkId }) => {
    started.push(linkId);
    await new Promise((r) => setTimeout(r, 1_500));
    return { outcome: 'synced', more: false };
  };
  const running = cron.run({ syncLink: slowSync, concurrency: 4, batchSize: 6 });
  await waitFor(async () => (await db.oneDriveLink.count({ where: { cronLeaseOwner: { not: null } } })) > 0 && started.length > 0, {
    timeoutMs: 20_000,
    what: 'the run to hold claims',
  });
  const { ran } = await runShutdownHooks();
  expect(ran.cron_claims).toBe(1);
  expect(await db.mailCredential.count({ where: { cronLeaseOwner: { not: null } } })).toBe(0);
  expect(await db.oneDriveLink.count({ where: { cronLeaseOwner: { not: null } } })).toBe(0);

  const summary = await running;
  expect(summary).toMatchObject({ stoppedBy: 'shutdown', more: true });
  // Only what was already running went on; nothing was started after the signal.
  expect(started.length).toBe(1);
  expect(summary.refreshed + summary.failed).toBeLessThan(6);
});

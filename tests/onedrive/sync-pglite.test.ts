// The embedded database (the default without DATABASE_URL) runs the same sync: the recursive
// subtree queries, JSON checkpoints and leases work on PGlite too.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '@/emulator/index';
import { createMemoryCache } from '@/lib/cache';
import { createTestPglite } from '../support/db';
import { expectMirrors, linkedFolder, populate, type SyncWorld } from './support/fixtures';

let world: SyncWorld;

beforeAll(async () => {
  const [pglite, ms]: [Awaited<ReturnType<typeof createTestPglite>>, MicrosoftEmulator] = await Promise.all([createTestPglite(), startMicrosoftEmulator()]);
  world = {
    db: pglite.db,
    ms,
    cache: createMemoryCache(),
    async close() {
      await ms.close();
      await pglite.close();
    },
  };
});
afterAll(() => world?.close());

it.each(['personal', 'business'] as const)('syncs a %s drive, follows moves and deletions, and resyncs on PGlite', async (flavor) => {
  const kb = await linkedFolder(world, { flavor });
  const drive = world.ms.drive;
  const outside = drive.addFolder(kb.driveId, drive.rootId(kb.driveId), 'Outside');
  const docs = drive.addFolder(kb.driveId, kb.folderId, 'Docs');
  const files = populate(world.ms, kb.driveId, docs, 12, 2);
  drive.setPageSize(5);
  expect((await kb.sync()).outcome).toBe('synced');
  await expectMirrors(world, kb);

  drive.move(kb.driveId, files[0]!, outside);
  drive.remove(kb.driveId, files[1]!);
  drive.rename(kb.driveId, docs, 'Papers');
  expect((await kb.sync()).outcome).toBe('synced');
  await expectMirrors(world, kb);

  drive.remove(kb.driveId, files[2]!);
  drive.invalidateDeltaLinks(kb.driveId);
  expect((await kb.sync()).outcome).toBe('synced');
  await expectMirrors(world, kb);
  expect(drive.stats().downloadsWithAuthHeader).toBe(0);
  drive.setPageSize(200);
});

// syncOneDriveLink against the Microsoft emulator's drive and a real PostgreSQL database: every
// scenario ends with the knowledge base mirroring the drive's current state, and no download ever
// carried an Authorization header. These run on a personal drive (delta on the linked folder);
// sync-business.test.ts runs the drive-root fallback of OneDrive for Business.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { getKnowledgeBase, listFiles } from '@/lib/knowledge';
import { syncOneDriveLink } from '@/lib/onedrive';
import { expectMirrors, linkedFolder, populate, startSyncWorld, type LinkedFolder, type SyncWorld } from './support/fixtures';

let world: SyncWorld;
let kb: LinkedFolder;

beforeAll(async () => {
  world = await startSyncWorld();
});
afterAll(() => world?.close());

beforeEach(async () => {
  world.ms.drive.setPageSize(200);
  world.ms.drive.clearThrottling();
  kb = await linkedFolder(world, { flavor: 'personal' });
  world.ms.drive.resetStats();
});

afterEach(() => {
  expect(world.ms.drive.stats().downloadsWithAuthHeader).toBe(0);
});

const drive = () => world.ms.drive;

describe('initial and incremental sync', () => {
  it('mirrors the folder on the first sync and reports it through the knowledge API', async () => {
    const docs = drive().addFolder(kb.driveId, kb.folderId, 'Docs');
    drive().addFile(kb.driveId, docs, 'spec.md', '# Spec');
    drive().addFile(kb.driveId, kb.folderId, 'notes.txt', 'notes');
    drive().addFile(kb.driveId, drive().rootId(kb.driveId), 'outside.txt', 'not linked');

    const result = await kb.sync();
    expect(result).toMatchObject({ outcome: 'synced', more: false, downloads: 2 });
    await expectMirrors(world, kb);

    const view = await getKnowledgeBase({ db: world.db, userId: kb.userId, knowledgeBaseId: kb.kbId });
    expect(view).toMatchObject({ id: kb.kbId, name: 'Docs', onedrive: { status: 'idle', hasStoredToken: true, error: null, fileCount: 2 } });
    expect(view.onedrive!.lastSyncAt).not.toBeNull();
    const files = await listFiles({ db: world.db, userId: kb.userId, knowledgeBaseId: kb.kbId });
    expect(files.map((f) => f.path)).toEqual(['Docs/spec.md', 'notes.txt']);
    expect(Object.keys(files[0]!).sort()).toEqual(['hash', 'itemId', 'lastModified', 'name', 'path', 'size']);

    const link = await world.db.oneDriveLink.findUniqueOrThrow({ where: { id: kb.linkId } });
    expect(link.deltaLink).toMatch(/\/delta\?/);
    expect(link).toMatchObject({ nextLink: null, pendingDeltaLink: null, leaseOwner: null });
  });

  it('applies modifications, deletions and renames, downloading only what changed', async () => {
    const docs = drive().addFolder(kb.driveId, kb.folderId, 'Docs');
    const sub = drive().addFolder(kb.driveId, docs, 'Sub');
    const a = drive().addFile(kb.driveId, sub, 'a.txt', 'a');
    const b = drive().addFile(kb.driveId, docs, 'b.txt', 'b');
    const c = drive().addFile(kb.driveId, kb.folderId, 'c.txt', 'c');
    await kb.sync();

    drive().updateFile(kb.driveId, a, 'a, edited');
    drive().remove(kb.driveId, b);
    drive().rename(kb.driveId, c, 'c-renamed.txt');
    drive().rename(kb.driveId, docs, 'Papers');
    drive().resetStats();
    const result = await kb.sync();
    expect(result.outcome).toBe('synced');
    expect(drive().stats()).toMatchObject({ deltaPages: 1, itemGets: 0, downloads: 1 });
    await expectMirrors(world, kb);
    const paths = (await listFiles({ db: world.db, userId: kb.userId, knowledgeBaseId: kb.kbId })).map((f) => f.path);
    expect(paths.sort()).toEqual(['Papers/Sub/a.txt', 'c-renamed.txt']);

    drive().remove(kb.driveId, docs);
    await kb.sync();
    await expectMirrors(world, kb);
  });

  it('removes items that move out of the folder, with their subtree', async () => {
    const outside = drive().addFolder(kb.driveId, drive().rootId(kb.driveId), 'Archive');
    const docs = drive().addFolder(kb.driveId, kb.folderId, 'Docs');
    drive().addFile(kb.driveId, docs, 'a.txt', 'a');
    const single = drive().addFile(kb.driveId, kb.folderId, 'single.txt', 's');
    drive().addFile(kb.driveId, kb.folderId, 'stays.txt', 'stays');
    await kb.sync();

    drive().move(kb.driveId, docs, outside);
    drive().move(kb.driveId, single, outside);
    await kb.sync();
    await expectMirrors(world, kb);
    expect(await world.db.knowledgeFile.count({ where: { knowledgeBaseId: kb.kbId } })).toBe(1);
  });

  it('brings a folder that moves in, with its whole subtree', async () => {
    const outside = drive().addFolder(kb.driveId, drive().rootId(kb.driveId), 'Inbox');
    const moving = drive().addFolder(kb.driveId, outside, 'Project');
    const deep = drive().addFolder(kb.driveId, moving, 'Deep');
    drive().addFile(kb.driveId, deep, 'leaf.txt', 'leaf');
    drive().addFile(kb.driveId, moving, 'top.txt', 'top');
    drive().addFile(kb.driveId, kb.folderId, 'existing.txt', 'e');
    await kb.sync();
    expect(await world.db.knowledgeFile.count({ where: { knowledgeBaseId: kb.kbId } })).toBe(1);

    drive().move(kb.driveId, moving, kb.folderId);
    const result = await kb.sync();
    expect(result.downloads).toBe(2);
    await expectMirrors(world, kb);
  });

  it('accepts the "root" alias for a link to the whole drive', async () => {
    await world.db.oneDriveLink.update({ where: { id: kb.linkId }, data: { folderId: 'root' } });
    drive().addFile(kb.driveId, kb.folderId, 'inside.txt', 'in');
    drive().addFile(kb.driveId, drive().rootId(kb.driveId), 'top.txt', 'top');
    expect((await kb.sync()).outcome).toBe('synced');
    await expectMirrors(world, { ...kb, folderId: drive().rootId(kb.driveId) });
  });

  it('never starts a sync twice at once', async () => {
    populate(world.ms, kb.driveId, kb.folderId, 20);
    const [first, second] = await Promise.all([kb.sync(), kb.sync()]);
    expect([first.outcome, second.outcome].sort()).toEqual(['busy', 'synced']);
    await expectMirrors(world, kb);
  });
});

describe('resync, throttling and tokens', () => {
  it('follows a 410 to a fresh enumeration and removes what it did not see', async () => {
    const gone = drive().addFile(kb.driveId, kb.folderId, 'gone.txt', 'gone');
    const docs = drive().addFolder(kb.driveId, kb.folderId, 'Docs');
    drive().addFile(kb.driveId, docs, 'kept.txt', 'kept');
    await kb.sync();

    drive().remove(kb.driveId, gone);
    drive().addFile(kb.driveId, docs, 'new.txt', 'new');
    drive().invalidateDeltaLinks(kb.driveId);
    drive().resetStats();
    const result = await kb.sync();
    expect(result.outcome).toBe('synced');
    expect(drive().stats().resyncs).toBe(1);
    // Unchanged content is not downloaded again after a resync.
    expect(result.downloads).toBe(1);
    await expectMirrors(world, kb);
    const link = await world.db.oneDriveLink.findUniqueOrThrow({ where: { id: kb.linkId } });
    expect(link.resyncing).toBe(false);
  });

  it.each([429, 503] as const)('waits out %i with Retry-After and completes', async (status) => {
    populate(world.ms, kb.driveId, kb.folderId, 3);
    drive().throttle({ status, retryAfterSeconds: 1, times: 1 });
    const started = Date.now();
    const result = await kb.sync();
    expect(result.outcome).toBe('synced');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(drive().stats()).toMatchObject({ throttled: 1, throttledEarly: 0 });
    await expectMirrors(world, kb);
  });

  it('gives up after repeated throttling, records the error and keeps the checkpoint', async () => {
    populate(world.ms, kb.driveId, kb.folderId, 3);
    drive().throttle({ status: 503, retryAfterSeconds: 0, times: 100 });
    const result = await kb.sync({ sleep: async () => {} });
    expect(result).toMatchObject({ outcome: 'error', error: 'upstream_unavailable' });
    const view = await getKnowledgeBase({ db: world.db, userId: kb.userId, knowledgeBaseId: kb.kbId });
    expect(view.onedrive).toMatchObject({ status: 'error' });
    expect(view.onedrive!.error).toMatch(/temporarily unavailable/);
    drive().clearThrottling();
    expect((await kb.sync()).outcome).toBe('synced');
    await expectMirrors(world, kb);
    expect((await getKnowledgeBase({ db: world.db, userId: kb.userId, knowledgeBaseId: kb.kbId })).onedrive).toMatchObject({ status: 'idle', error: null });
  });

  it('asks the token layer for a fresh token once when Graph rejects it mid-sync', async () => {
    populate(world.ms, kb.driveId, kb.folderId, 12);
    drive().setPageSize(5);
    let deltaCalls = 0;
    const result = await kb.sync({
      fetch: async (input, init) => {
        const url = String(input);
        if (url.includes('/delta') && ++deltaCalls === 2) world.ms.expireAccessTokens(kb.email);
        return fetch(input, init);
      },
    });
    expect(result.outcome).toBe('synced');
    expect(kb.tokens.refreshes).toBe(1);
    await expectMirrors(world, kb);
  });

  it('pauses the link when the token layer says the account needs re-authorization', async () => {
    populate(world.ms, kb.driveId, kb.folderId, 2);
    let calls = 0;
    const needsReauth = async () => {
      calls++;
      throw new AppError('needs_reauth', 'grant revoked');
    };
    const first = await kb.sync({ getGraphToken: needsReauth });
    expect(first.outcome).toBe('needs_reauth');
    const view = await getKnowledgeBase({ db: world.db, userId: kb.userId, knowledgeBaseId: kb.kbId });
    expect(view.onedrive).toMatchObject({ status: 'needs_reauth' });
    const again = await kb.sync({ getGraphToken: needsReauth });
    expect(again.outcome).toBe('paused');
    expect(calls).toBe(1);
  });
});

describe('interruption, size cap and cost', () => {
  it('stops at its deadline with the checkpoint kept, and the next run resumes there', async () => {
    populate(world.ms, kb.driveId, kb.folderId, 30, 2);
    drive().setPageSize(5);
    let pages = 0;
    let late = false;
    const deadline = Date.now() + 60_000;
    const partial = await kb.sync({
      deadline,
      clock: () => Date.now() + (late ? 120_000 : 0),
      fetch: async (input, init) => {
        if (String(input).includes('/delta') && ++pages === 2) late = true;
        return fetch(input, init);
      },
    });
    expect(partial).toMatchObject({ outcome: 'partial', more: true, pages: 2 });
    const link = await world.db.oneDriveLink.findUniqueOrThrow({ where: { id: kb.linkId } });
    expect(link.nextLink).not.toBeNull();
    expect(link.deltaLink).toBeNull();
    expect(link.leaseOwner).toBeNull();

    const firstRunPages = drive().stats().deltaPages;
    const rest = await kb.sync();
    expect(rest.outcome).toBe('synced');
    // 33 items (folder, 2 subfolders, 30 files) in pages of 5: 7 pages, none walked twice.
    expect(firstRunPages + rest.pages).toBe(7);
    await expectMirrors(world, kb);
  });

  it('resumes downloads an interrupted run left pending', async () => {
    populate(world.ms, kb.driveId, kb.folderId, 6);
    let downloads = 0;
    const crashed = await kb.sync({
      sleep: async () => {},
      fetch: async (input, init) => {
        if (String(input).includes('/download/') && ++downloads > 3) throw new TypeError('fetch failed');
        return fetch(input, init);
      },
      downloadConcurrency: 1,
    });
    expect(crashed.outcome).toBe('error');
    expect(await world.db.knowledgeFile.count({ where: { knowledgeBaseId: kb.kbId, downloadPending: true } })).toBe(3);
    let link = await world.db.oneDriveLink.findUniqueOrThrow({ where: { id: kb.linkId } });
    expect(link.deltaLink).toBeNull();
    expect(link.pendingDeltaLink).not.toBeNull();

    drive().resetStats();
    const resumed = await kb.sync();
    expect(resumed.outcome).toBe('synced');
    // One item request per pending file for a fresh download URL, and no delta walk at all.
    expect(drive().stats()).toMatchObject({ deltaPages: 0, itemGets: 3, downloads: 3 });
    link = await world.db.oneDriveLink.findUniqueOrThrow({ where: { id: kb.linkId } });
    expect(link.deltaLink).not.toBeNull();
    await expectMirrors(world, kb);
  });

  it('records files over the size cap as skipped, never synced, and downloads none of them', async () => {
    drive().addFile(kb.driveId, kb.folderId, 'small.txt', 'small');
    const big = drive().addFile(kb.driveId, kb.folderId, 'big.bin', Buffer.alloc(5000, 1));
    const result = await kb.sync({ maxFileBytes: 1000 });
    expect(result).toMatchObject({ outcome: 'synced', downloads: 1, skipped: 1 });
    expect(drive().stats().downloads).toBe(1);
    const files = await listFiles({ db: world.db, userId: kb.userId, knowledgeBaseId: kb.kbId });
    expect(files.map((f) => f.name)).toEqual(['small.txt']);
    const all = await listFiles({ db: world.db, userId: kb.userId, knowledgeBaseId: kb.kbId, includeSkipped: true });
    expect(all.find((f) => f.itemId === big)).toMatchObject({ state: 'skipped', skipReason: 'too_large' });
    const row = await world.db.knowledgeFile.findFirstOrThrow({ where: { knowledgeBaseId: kb.kbId, itemId: big } });
    expect(row.content).toBeNull();

    drive().updateFile(kb.driveId, big, 'now small');
    await kb.sync({ maxFileBytes: 1000 });
    await expectMirrors(world, kb);
  });

  it('refreshes an expired download URL with one item request', async () => {
    populate(world.ms, kb.driveId, kb.folderId, 3);
    const refused = new Set<string>();
    const result = await kb.sync({
      fetch: async (input, init) => {
        const url = String(input);
        // The first two URLs handed out by delta have expired by the time they are used.
        if (url.includes('/download/') && refused.size < 2 && !refused.has(url)) {
          refused.add(url);
          return fetch(`${url}-expired`, init);
        }
        return fetch(input, init);
      },
    });
    expect(result.outcome).toBe('synced');
    expect(drive().stats()).toMatchObject({ itemGets: 2, downloads: 5 });
    await expectMirrors(world, kb);
  });

  it('fetches a download URL per file when delta leaves them out', async () => {
    populate(world.ms, kb.driveId, kb.folderId, 3);
    drive().setDeltaDownloadUrls(false);
    try {
      expect((await kb.sync()).outcome).toBe('synced');
    } finally {
      drive().setDeltaDownloadUrls(true);
    }
    expect(drive().stats()).toMatchObject({ itemGets: 3, downloads: 3 });
    await expectMirrors(world, kb);
  });

  it('costs O(changes) Graph requests however large the folder: 2,000 files, 10 changes', async () => {
    const files = populate(world.ms, kb.driveId, kb.folderId, 2000, 10);
    const initial = await kb.sync();
    expect(initial.outcome).toBe('synced');
    expect(initial.downloads).toBe(2000);

    for (const id of files.slice(0, 4)) drive().updateFile(kb.driveId, id, 'edited');
    for (const id of files.slice(4, 7)) drive().remove(kb.driveId, id);
    for (const id of files.slice(7, 10)) drive().rename(kb.driveId, id, `renamed-${id}.txt`);
    drive().resetStats();
    const incremental = await kb.sync();
    const stats = drive().stats();
    expect(incremental.outcome).toBe('synced');
    expect(stats.graphRequests).toBeLessThanOrEqual(2);
    expect(stats.downloads).toBe(4);
    expect(incremental.graphRequests + stats.downloads).toBeLessThanOrEqual(10);
    await expectMirrors(world, kb);
  });
});

describe('lease during downloads', () => {
  it('a worker whose lease expired mid-download cannot overwrite the new worker’s pending row', async () => {
    const file = drive().addFile(kb.driveId, kb.folderId, 'a.txt', 'version 1');
    await kb.sync();
    drive().updateFile(kb.driveId, file, 'version 2');

    // Worker A's download of version 2 hangs until worker B is about to download version 3.
    let stalled!: () => void;
    const aStalled = new Promise<void>((resolve) => (stalled = resolve));
    let resumeA!: () => void;
    const aMayFinish = new Promise<void>((resolve) => (resumeA = resolve));
    const a = kb.sync({
      fetch: async (input, init) => {
        if (String(input).includes('/download/')) {
          stalled();
          await aMayFinish;
        }
        return fetch(input, init);
      },
    });
    await aStalled;

    // A's lease has long expired by B's clock; B claims the link and marks the row pending again.
    drive().updateFile(kb.driveId, file, 'version 3');
    let aResult: Awaited<typeof a> | undefined;
    const b = await kb.sync({
      clock: () => Date.now() + 10 * 60_000,
      fetch: async (input, init) => {
        if (String(input).includes('/download/') && aResult === undefined) {
          resumeA();
          aResult = await a;
        }
        return fetch(input, init);
      },
    });
    expect(aResult?.outcome).toBe('lease_lost');
    expect(b.outcome).toBe('synced');
    await expectMirrors(world, kb);
    expect((await kb.sync()).outcome).toBe('synced');
    await expectMirrors(world, kb);
  });

  it('renews the lease before every download attempt, through retries and Retry-After waits', async () => {
    drive().addFile(kb.driveId, kb.folderId, 'a.txt', 'alpha');
    drive().throttle({ status: 503, retryAfterSeconds: 0, times: 3, target: 'download' });
    let offset = 0;
    const clock = () => Date.now() + offset;
    const leaseHeld: boolean[] = [];
    const result = await kb.sync({
      clock,
      random: () => 0.5,
      // Each wait takes two thirds of the lease: without renewals the lease would run out.
      sleep: async () => {
        offset += 200_000;
        const link = await world.db.oneDriveLink.findUniqueOrThrow({ where: { id: kb.linkId } });
        leaseHeld.push(link.leaseUntil !== null && link.leaseUntil.getTime() > clock());
      },
    });
    expect(result.outcome).toBe('synced');
    expect(leaseHeld).toEqual([true, true, true]);
    await expectMirrors(world, kb);
  });
});

describe('ownership', () => {
  it('one user cannot sync into, read or list another user’s knowledge base', async () => {
    const other = await linkedFolder(world, { flavor: 'personal' });
    await expect(getKnowledgeBase({ db: world.db, userId: other.userId, knowledgeBaseId: kb.kbId })).rejects.toMatchObject({ code: 'not_found' });
    await expect(listFiles({ db: world.db, userId: other.userId, knowledgeBaseId: kb.kbId })).rejects.toMatchObject({ code: 'not_found' });
    expect((await syncOneDriveLink({ db: world.db, linkId: 'nope', getGraphToken: kb.tokens.getGraphToken, cache: world.cache, graphUrl: world.ms.graphUrl })).outcome).toBe('not_found');
  });
});

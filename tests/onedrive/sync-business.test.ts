// syncOneDriveLink on a OneDrive for Business drive, where Graph answers delta only on the drive
// root: the first folder delta is refused (501 notSupported), the link switches for good to the
// root's delta filtered to the linked folder, and every scenario ends with the knowledge base
// mirroring the folder as the emulator's drive holds it, with nothing outside ever downloaded.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
  kb = await linkedFolder(world, { flavor: 'business' });
  world.ms.drive.resetStats();
});

afterEach(() => {
  expect(world.ms.drive.stats().downloadsWithAuthHeader).toBe(0);
});

const drive = () => world.ms.drive;
const driveRoot = () => drive().rootId(kb.driveId);
const rowCount = () => world.db.knowledgeFile.count({ where: { knowledgeBaseId: kb.kbId } });
const linkRow = () => world.db.oneDriveLink.findUniqueOrThrow({ where: { id: kb.linkId } });

describe('falling back to the drive root’s delta', () => {
  it('mirrors the folder on the first sync after one refused folder delta, and keeps to the root from then on', async () => {
    const docs = drive().addFolder(kb.driveId, kb.folderId, 'Docs');
    drive().addFile(kb.driveId, docs, 'spec.md', '# Spec');
    drive().addFile(kb.driveId, kb.folderId, 'notes.txt', 'notes');
    const outside = drive().addFolder(kb.driveId, driveRoot(), 'Elsewhere');
    drive().addFile(kb.driveId, outside, 'private.txt', 'not linked');
    drive().addFile(kb.driveId, driveRoot(), 'top.txt', 'not linked either');

    const result = await kb.sync();
    expect(result).toMatchObject({ outcome: 'synced', more: false, downloads: 2 });
    expect(drive().stats()).toMatchObject({ deltaRefused: 1, downloads: 2, childrenGets: 0 });
    await expectMirrors(world, kb);
    const link = await linkRow();
    expect(link).toMatchObject({ deltaScope: 'root', resyncing: false, nextLink: null, pendingDeltaLink: null, pendingItems: null });
    expect(link.deltaLink).toContain(`/items/${driveRoot()}/delta?`);

    drive().addFile(kb.driveId, docs, 'later.md', 'later');
    drive().resetStats();
    expect((await kb.sync()).outcome).toBe('synced');
    expect(drive().stats()).toMatchObject({ deltaRefused: 0, deltaPages: 1, downloads: 1 });
    await expectMirrors(world, kb);
  });

  it('leaves a personal drive on the folder’s own delta', async () => {
    const personal = await linkedFolder(world, { flavor: 'personal' });
    drive().addFile(personal.driveId, personal.folderId, 'a.txt', 'a');
    expect((await personal.sync()).outcome).toBe('synced');
    expect(drive().stats().deltaRefused).toBe(0);
    expect(await world.db.oneDriveLink.findUniqueOrThrow({ where: { id: personal.linkId } })).toMatchObject({ deltaScope: 'folder' });
    await expectMirrors(world, personal);
  });

  it('uses folder delta when the link is the drive root itself', async () => {
    await world.db.oneDriveLink.update({ where: { id: kb.linkId }, data: { folderId: 'root' } });
    drive().addFile(kb.driveId, kb.folderId, 'inside.txt', 'in');
    drive().addFile(kb.driveId, driveRoot(), 'top.txt', 'top');
    expect((await kb.sync()).outcome).toBe('synced');
    expect(drive().stats().deltaRefused).toBe(0);
    expect(await linkRow()).toMatchObject({ deltaScope: 'folder' });
    await expectMirrors(world, { ...kb, folderId: driveRoot() });
  });
});

describe('incremental changes through the drive root’s delta', () => {
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
    expect(drive().stats()).toMatchObject({ deltaRefused: 0, deltaPages: 1, itemGets: 0, childrenGets: 0, downloads: 1 });
    await expectMirrors(world, kb);
    const paths = (await world.db.knowledgeFile.findMany({ where: { knowledgeBaseId: kb.kbId, isFolder: false } })).map((f) => f.path);
    expect(paths.sort()).toEqual(['Papers/Sub/a.txt', 'c-renamed.txt']);

    drive().remove(kb.driveId, docs);
    await kb.sync();
    await expectMirrors(world, kb);
    expect(await rowCount()).toBe(1);
  });

  it('removes items that move out of the folder, with their subtree', async () => {
    const outside = drive().addFolder(kb.driveId, driveRoot(), 'Archive');
    const docs = drive().addFolder(kb.driveId, kb.folderId, 'Docs');
    const deep = drive().addFolder(kb.driveId, docs, 'Deep');
    drive().addFile(kb.driveId, deep, 'a.txt', 'a');
    drive().addFile(kb.driveId, docs, 'b.txt', 'b');
    const single = drive().addFile(kb.driveId, kb.folderId, 'single.txt', 's');
    drive().addFile(kb.driveId, kb.folderId, 'stays.txt', 'stays');
    await kb.sync();
    expect(await rowCount()).toBe(6);

    drive().move(kb.driveId, docs, outside);
    drive().move(kb.driveId, single, outside);
    drive().resetStats();
    const result = await kb.sync();
    expect(result).toMatchObject({ outcome: 'synced', downloads: 0 });
    expect(drive().stats()).toMatchObject({ childrenGets: 0, downloads: 0 });
    await expectMirrors(world, kb);
    expect(await rowCount()).toBe(1);
  });

  it('brings a folder that moves in with its whole subtree, listed page by page', async () => {
    const outside = drive().addFolder(kb.driveId, driveRoot(), 'Inbox');
    const moving = drive().addFolder(kb.driveId, outside, 'Project');
    const deep = drive().addFolder(kb.driveId, moving, 'Deep');
    drive().addFile(kb.driveId, deep, 'leaf.txt', 'leaf');
    const deeper = drive().addFolder(kb.driveId, deep, 'Deeper');
    for (let i = 0; i < 5; i++) drive().addFile(kb.driveId, deeper, `d${i}.txt`, `deeper ${i}`);
    drive().addFolder(kb.driveId, moving, 'Empty');
    drive().addFile(kb.driveId, moving, 'top.txt', 'top');
    drive().addFile(kb.driveId, kb.folderId, 'existing.txt', 'e');
    await kb.sync();
    expect(await rowCount()).toBe(1);

    drive().move(kb.driveId, moving, kb.folderId);
    drive().setPageSize(2);
    drive().resetStats();
    const result = await kb.sync();
    expect(result).toMatchObject({ outcome: 'synced', downloads: 7 });
    // Project (3 children: 2 pages), Deep (2: 1 page), Deeper (5: 3 pages); Empty costs nothing.
    expect(drive().stats()).toMatchObject({ childrenGets: 6, downloads: 7, deltaRefused: 0 });
    await expectMirrors(world, kb);
    const paths = (await world.db.knowledgeFile.findMany({ where: { knowledgeBaseId: kb.kbId } })).map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['Project/Empty', 'Project/top.txt', 'Project/Deep/leaf.txt', 'Project/Deep/Deeper/d4.txt']));

    // Its children are stored now: later changes inside it are ordinary deltas.
    drive().rename(kb.driveId, deep, 'Shallow');
    drive().resetStats();
    expect((await kb.sync()).outcome).toBe('synced');
    expect(drive().stats()).toMatchObject({ childrenGets: 0, downloads: 0 });
    await expectMirrors(world, kb);
  });

  it('combines a move in with changes inside the moved folder and files moved into it from the linked folder', async () => {
    const outside = drive().addFolder(kb.driveId, driveRoot(), 'Inbox');
    const moving = drive().addFolder(kb.driveId, outside, 'Project');
    const edited = drive().addFile(kb.driveId, moving, 'edited.txt', 'v1');
    const kept = drive().addFile(kb.driveId, kb.folderId, 'kept.txt', 'kept');
    await kb.sync();

    drive().updateFile(kb.driveId, edited, 'v2');
    drive().move(kb.driveId, moving, kb.folderId);
    drive().move(kb.driveId, kept, moving);
    drive().addFile(kb.driveId, moving, 'new.txt', 'new');
    drive().resetStats();
    const result = await kb.sync();
    expect(result.outcome).toBe('synced');
    // kept.txt moved with its content unchanged: not downloaded again.
    expect(result.downloads).toBe(2);
    await expectMirrors(world, kb);
  });

  it('ignores changes elsewhere in the drive: nothing written, listed or downloaded', async () => {
    drive().addFile(kb.driveId, kb.folderId, 'mine.txt', 'mine');
    const outside = drive().addFolder(kb.driveId, driveRoot(), 'Elsewhere');
    const other = drive().addFile(kb.driveId, outside, 'other.txt', 'other');
    const gone = drive().addFile(kb.driveId, driveRoot(), 'gone.txt', 'gone');
    await kb.sync();
    const before = await world.db.knowledgeFile.findMany({ where: { knowledgeBaseId: kb.kbId }, orderBy: { itemId: 'asc' } });

    drive().updateFile(kb.driveId, other, 'other, edited');
    drive().remove(kb.driveId, gone);
    const newFolder = drive().addFolder(kb.driveId, outside, 'New');
    drive().addFile(kb.driveId, newFolder, 'n.txt', 'n');
    drive().move(kb.driveId, other, driveRoot());
    drive().resetStats();
    const result = await kb.sync();
    expect(result).toMatchObject({ outcome: 'synced', downloads: 0, written: 0, removed: 0 });
    expect(drive().stats()).toMatchObject({ deltaPages: 1, childrenGets: 0, itemGets: 0, downloads: 0 });
    expect(await world.db.knowledgeFile.findMany({ where: { knowledgeBaseId: kb.kbId }, orderBy: { itemId: 'asc' } })).toEqual(before);
    expect((await linkRow()).pendingItems).toBeNull();
    await expectMirrors(world, kb);
  });

  it('follows the linked folder when it moves elsewhere in the drive', async () => {
    const parent = drive().addFolder(kb.driveId, driveRoot(), 'Team');
    drive().addFile(kb.driveId, kb.folderId, 'a.txt', 'a');
    await kb.sync();
    drive().move(kb.driveId, kb.folderId, parent);
    drive().addFile(kb.driveId, kb.folderId, 'b.txt', 'b');
    expect((await kb.sync()).outcome).toBe('synced');
    await expectMirrors(world, kb);
  });

  it('reports the linked folder’s deletion as a missing folder', async () => {
    drive().addFile(kb.driveId, kb.folderId, 'a.txt', 'a');
    await kb.sync();
    drive().remove(kb.driveId, kb.folderId);
    expect(await kb.sync()).toMatchObject({ outcome: 'error', error: 'folder_not_found' });
  });
});

describe('resync, interruption and cost on the drive root’s delta', () => {
  it('follows a 410 to a fresh enumeration of the drive and removes what it did not see', async () => {
    const gone = drive().addFile(kb.driveId, kb.folderId, 'gone.txt', 'gone');
    const docs = drive().addFolder(kb.driveId, kb.folderId, 'Docs');
    drive().addFile(kb.driveId, docs, 'kept.txt', 'kept');
    const outside = drive().addFolder(kb.driveId, driveRoot(), 'Elsewhere');
    drive().addFile(kb.driveId, outside, 'other.txt', 'other');
    const leaving = drive().addFile(kb.driveId, docs, 'leaving.txt', 'leaving');
    await kb.sync();

    drive().remove(kb.driveId, gone);
    drive().move(kb.driveId, leaving, outside);
    drive().addFile(kb.driveId, docs, 'new.txt', 'new');
    drive().addFile(kb.driveId, outside, 'other-new.txt', 'outside');
    drive().invalidateDeltaLinks(kb.driveId);
    drive().resetStats();
    const result = await kb.sync();
    expect(result.outcome).toBe('synced');
    expect(drive().stats()).toMatchObject({ resyncs: 1, deltaRefused: 0, childrenGets: 0 });
    // Unchanged content is not downloaded again, nor anything outside the folder.
    expect(result.downloads).toBe(1);
    await expectMirrors(world, kb);
    const link = await linkRow();
    expect(link).toMatchObject({ resyncing: false, deltaScope: 'root' });
    expect(link.deltaLink).toContain(`/items/${driveRoot()}/delta?`);
  });

  it('stops at its deadline mid-walk and the next run resumes from the checkpoint on the root’s delta', async () => {
    populate(world.ms, kb.driveId, kb.folderId, 20, 2);
    const outside = drive().addFolder(kb.driveId, driveRoot(), 'Elsewhere');
    for (let i = 0; i < 10; i++) drive().addFile(kb.driveId, outside, `o${i}.txt`, `outside ${i}`);
    drive().setPageSize(5);
    let pages = 0;
    let late = false;
    const partial = await kb.sync({
      deadline: Date.now() + 60_000,
      clock: () => Date.now() + (late ? 120_000 : 0),
      fetch: async (input, init) => {
        if (String(input).includes('/delta') && !String(input).includes(`/items/${kb.folderId}/`) && ++pages === 2) late = true;
        return fetch(input, init);
      },
    });
    expect(partial).toMatchObject({ outcome: 'partial', more: true, pages: 2 });
    const link = await linkRow();
    // The drive root and the folder outside were dropped, not carried to the next page.
    expect(link).toMatchObject({ deltaScope: 'root', deltaLink: null, pendingItems: null });
    expect(link.nextLink).toContain(`/items/${driveRoot()}/delta?`);

    drive().resetStats();
    const rest = await kb.sync();
    expect(rest.outcome).toBe('synced');
    expect(drive().stats().deltaRefused).toBe(0);
    // Root, Knowledge, Elsewhere, 2 subfolders, 20 + 10 files = 35 items in pages of 5.
    expect(rest.pages + 2).toBe(7);
    await expectMirrors(world, kb);
  });

  it('stops at its deadline while listing a moved-in subtree and applies it whole on the next run', async () => {
    const outside = drive().addFolder(kb.driveId, driveRoot(), 'Inbox');
    const moving = drive().addFolder(kb.driveId, outside, 'Project');
    const sub = drive().addFolder(kb.driveId, moving, 'Sub');
    for (let i = 0; i < 4; i++) drive().addFile(kb.driveId, sub, `s${i}.txt`, `s${i}`);
    await kb.sync();
    drive().move(kb.driveId, moving, kb.folderId);
    drive().setPageSize(2);
    let listed = 0;
    let late = false;
    const partial = await kb.sync({
      deadline: Date.now() + 60_000,
      clock: () => Date.now() + (late ? 120_000 : 0),
      fetch: async (input, init) => {
        if (String(input).includes('/children') && ++listed === 2) late = true;
        return fetch(input, init);
      },
    });
    expect(partial).toMatchObject({ outcome: 'partial', more: true });
    // Nothing of the page was applied: the cursor still covers the move.
    expect(await rowCount()).toBe(0);
    const rest = await kb.sync();
    expect(rest).toMatchObject({ outcome: 'synced', downloads: 4 });
    await expectMirrors(world, kb);
  });

  it('costs O(changes) however large the drive: 1,000 files inside, 1,000 outside, 10 changes inside and 10 outside', async () => {
    const inside = populate(world.ms, kb.driveId, kb.folderId, 1000, 5);
    const elsewhere = drive().addFolder(kb.driveId, driveRoot(), 'Elsewhere');
    const outside = populate(world.ms, kb.driveId, elsewhere, 1000, 5);
    const initial = await kb.sync();
    expect(initial).toMatchObject({ outcome: 'synced', downloads: 1000 });

    for (const id of inside.slice(0, 4)) drive().updateFile(kb.driveId, id, 'edited');
    for (const id of inside.slice(4, 7)) drive().remove(kb.driveId, id);
    for (const id of inside.slice(7, 10)) drive().rename(kb.driveId, id, `renamed-${id}.txt`);
    for (const id of outside.slice(0, 5)) drive().updateFile(kb.driveId, id, 'edited');
    for (const id of outside.slice(5, 10)) drive().remove(kb.driveId, id);
    drive().resetStats();
    const incremental = await kb.sync();
    const stats = drive().stats();
    expect(incremental.outcome).toBe('synced');
    expect(stats.graphRequests).toBeLessThanOrEqual(2);
    expect(stats.downloads).toBe(4);
    expect(stats.childrenGets).toBe(0);
    await expectMirrors(world, kb);
  });
});

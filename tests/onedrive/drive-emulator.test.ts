// The emulator's Graph drive surface behaves like Graph where the sync engine depends on it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { quickXorHash } from '@/emulator/drive/quick-xor-hash';
import { startDriveServer, type DriveServer } from './support/drive-server';

type Json = Record<string, any>;

let server: DriveServer;
let token: string;
let driveId: string;
let root: string;

beforeAll(async () => {
  server = await startDriveServer();
});
afterAll(() => server.close());

/** A fresh drive (and a token for its owner) as the current one. */
function useDrive(flavor: 'business' | 'personal'): void {
  const email = `u${Math.random().toString(36).slice(2)}@example.com`;
  driveId = server.drive.createDrive(email, { flavor });
  root = server.drive.rootId(driveId);
  token = server.issueToken(email);
}

beforeEach(() => {
  useDrive('business');
  server.drive.setPageSize(200);
  server.drive.clearThrottling();
  server.drive.resetStats();
});

async function get(url: string, bearer: string | null = token, headers: Record<string, string> = {}) {
  const res = await fetch(url.startsWith('http') ? url : `${server.graphUrl}${url}`, {
    headers: { ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}), ...headers },
    redirect: 'manual',
  });
  const text = await res.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    body = { text };
  }
  return { status: res.status, headers: res.headers, body };
}

/** Follows nextLinks to the end; returns every item and the deltaLink. */
async function walk(url: string) {
  const items: Json[] = [];
  let pages = 0;
  for (let next: string | undefined = url; ; ) {
    const page = await get(next);
    expect(page.status).toBe(200);
    pages++;
    items.push(...(page.body.value as Json[]));
    next = page.body['@odata.nextLink'];
    if (!next) return { items, pages, deltaLink: page.body['@odata.deltaLink'] as string };
  }
}

describe('quickXorHash', () => {
  it('matches published vectors, including wrap-around past 160 bits', () => {
    const vectors: [string, string][] = [
      ['', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='],
      ['Sg==', 'SgAAAAAAAAAAAAAAAQAAAAAAAAA='],
      ['0pZP', '0rDEEwAAAAAAAAAAAwAAAAAAAAA='],
      ['2fuxhBJXtpWFe8dOfdGeHw==', 'O9tHLAghgSvYohKFyMMxnNCHaHg='],
      ['NbYXsp5/K6mR+NmHwExjvWeWDJFnXTKWVlzYHoesp2E=', 'wjuAuWDiq04qDt1R8hHWDDcwVoQ='],
    ];
    for (const [input, hash] of vectors) expect(quickXorHash(Buffer.from(input, 'base64'))).toBe(hash);
  });
});

describe('authorization', () => {
  it('401 without a token, 403 without a Files scope or for another user’s drive', async () => {
    const none = await get(`/drives/${driveId}/root`, null);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('InvalidAuthenticationToken');

    const mailOnly = server.issueToken('someone@example.com', ['IMAP.AccessAsUser.All']);
    const denied = await get(`/drives/${driveId}/root`, mailOnly);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('accessDenied');

    const other = server.issueToken('other@example.com');
    expect((await get(`/drives/${driveId}/root`, other)).status).toBe(403);
    expect((await get(`/me/drive`)).body.id).toBe(driveId);
  });
});

describe('items and children', () => {
  it('serves items with parentReference.path and hashes, and pages children', async () => {
    const docs = server.drive.addFolder(driveId, root, 'Docs');
    const sub = server.drive.addFolder(driveId, docs, 'Sub');
    const file = server.drive.addFile(driveId, sub, 'a.txt', 'hello');
    const item = (await get(`/drives/${driveId}/items/${file}`)).body;
    expect(item.parentReference).toMatchObject({ driveId, id: sub, path: '/drive/root:/Docs/Sub' });
    expect(item.file.hashes.quickXorHash).toBe(quickXorHash(Buffer.from('hello')));
    expect(item.size).toBe(5);
    expect(item['@microsoft.graph.downloadUrl']).toMatch(/\/download\//);
    expect((await get(`/drives/${driveId}/root:/Docs/Sub:`)).body.id).toBe(sub);
    expect((await get(`/drives/${driveId}/items/${docs}`)).body.folder.childCount).toBe(1);

    for (let i = 0; i < 5; i++) server.drive.addFile(driveId, docs, `f${i}.txt`, `${i}`);
    const first = await get(`/drives/${driveId}/items/${docs}/children?$top=4`);
    expect(first.body.value).toHaveLength(4);
    const second = await get(first.body['@odata.nextLink']);
    expect(second.body.value).toHaveLength(2);
    expect(second.body['@odata.nextLink']).toBeUndefined();
  });

  it('respects $select', async () => {
    const file = server.drive.addFile(driveId, root, 'a.txt', 'x');
    const item = (await get(`/drives/${driveId}/items/${file}?$select=name,size`)).body;
    expect(Object.keys(item).sort()).toEqual(['id', 'name', 'size']);
  });
});

describe('drives and children for a folder picker', () => {
  it('GET /me/drive and /me/drives: the own OneDrive (business or personal), then the libraries of the user’s sites only', async () => {
    const email = `picker-${Math.random().toString(36).slice(2)}@example.com`;
    const own = server.drive.createDrive(email);
    const site = server.drive.createSite({ name: 'Engineering', members: [email.toUpperCase()] });
    const docs = server.drive.createLibrary(site, 'Documents');
    const specs = server.drive.createLibrary(site, 'Specs');
    const foreignSite = server.drive.createSite({ name: 'Finance', members: ['cfo@example.com'] });
    const foreign = server.drive.createLibrary(foreignSite, 'Ledgers');
    const bearer = server.issueToken(email);

    const me = await get('/me/drive', bearer);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: own, name: 'OneDrive', driveType: 'business' });
    expect(me.body['@odata.context']).toContain('$metadata#drives/$entity');

    const list = await get('/me/drives?$select=id,name,driveType', bearer);
    expect(list.status).toBe(200);
    expect(list.body.value).toEqual([
      { id: own, name: 'OneDrive', driveType: 'business' },
      { id: docs, name: 'Documents', driveType: 'documentLibrary' },
      { id: specs, name: 'Specs', driveType: 'documentLibrary' },
    ]);
    const paged = await get('/me/drives?$top=2', bearer);
    expect(paged.body.value).toHaveLength(2);
    expect(paged.body.value[1].owner).toEqual({ user: { displayName: 'System Account' } });
    const rest = await get(paged.body['@odata.nextLink'], bearer);
    expect(rest.body.value.map((d: Json) => d.id)).toEqual([specs]);
    expect(rest.body['@odata.nextLink']).toBeUndefined();

    // A library of a site the user is no member of is not theirs to read.
    expect((await get(`/drives/${foreign}/root/children`, bearer)).status).toBe(403);
    const libraryRoot = server.drive.rootId(docs);
    server.drive.addFolder(docs, libraryRoot, 'Designs');
    const children = await get(`/drives/${docs}/root/children?$select=id,name,folder,parentReference`, bearer);
    expect(children.status).toBe(200);
    expect(children.body.value[0]).toMatchObject({ name: 'Designs', folder: { childCount: 0 }, parentReference: { driveType: 'documentLibrary', driveId: docs, path: '/drive/root:' } });

    const consumer = `consumer-${Math.random().toString(36).slice(2)}@outlook.com`;
    const personal = server.drive.createDrive(consumer, { flavor: 'personal' });
    const consumerToken = server.issueToken(consumer);
    expect((await get('/me/drive', consumerToken)).body).toMatchObject({ id: personal, driveType: 'personal' });
    expect((await get('/me/drives', consumerToken)).body.value.map((d: Json) => d.id)).toEqual([personal]);
    expect((await get('/me/drives', null)).status).toBe(401);
    expect((await get('/me/drives', server.issueToken(consumer, ['User.Read']))).status).toBe(403);
  });

  it('pages root and folder children with $select and $top, and caps pages server-side like Graph may', async () => {
    const folder = server.drive.addFolder(driveId, root, 'Projects');
    for (let i = 0; i < 5; i++) server.drive.addFolder(driveId, folder, `P${i}`);
    server.drive.addFile(driveId, folder, 'readme.txt', 'hi');
    const top = await get(`/drives/${driveId}/root/children?$select=id,name,folder,file`);
    expect(top.body.value).toEqual([{ id: folder, name: 'Projects', folder: { childCount: 6 } }]);

    server.drive.setMaxPageSize(4);
    try {
      const first = await get(`/drives/${driveId}/items/${folder}/children?$select=id,name,folder,file&$top=100`);
      expect(first.body.value).toHaveLength(4);
      const next = first.body['@odata.nextLink'] as string;
      expect(next.startsWith(`${server.graphUrl}/drives/${driveId}/items/${folder}/children?`)).toBe(true);
      expect(new URL(next).searchParams.get('$select')).toBe('id,name,folder,file');
      const second = await get(next);
      expect(second.body.value.map((i: Json) => i.name)).toEqual(['P4', 'readme.txt']);
      expect(second.body.value[1].file).toBeDefined();
      expect(second.body['@odata.nextLink']).toBeUndefined();
    } finally {
      server.drive.setMaxPageSize(null);
    }
  });
});

describe('delta on a folder of a personal drive', () => {
  beforeEach(() => useDrive('personal'));

  it('enumerates a folder in pages, without parentReference.path, then only what changed', async () => {
    const folder = server.drive.addFolder(driveId, root, 'KB');
    const outside = server.drive.addFolder(driveId, root, 'Elsewhere');
    const files = Array.from({ length: 6 }, (_, i) => server.drive.addFile(driveId, folder, `f${i}.txt`, `content ${i}`));
    server.drive.addFile(driveId, outside, 'not-mine.txt', 'x');
    server.drive.setPageSize(3);

    const initial = await walk(`/drives/${driveId}/items/${folder}/delta?$select=id,name,parentReference,file,folder,deleted,size`);
    expect(initial.pages).toBe(3); // the folder itself + 6 files = 7 items
    const ids = initial.items.map((i) => i.id);
    expect(ids).toContain(folder);
    expect(ids).toEqual(expect.arrayContaining(files));
    expect(initial.items.every((i) => i.parentReference.path === undefined)).toBe(true);
    expect(initial.items.some((i) => i.name === 'not-mine.txt')).toBe(false);
    expect(Object.keys(initial.items[1]!).sort()).toEqual(['file', 'id', 'name', 'parentReference', 'size']);

    const quiet = await walk(initial.deltaLink);
    expect(quiet.items).toEqual([]);

    server.drive.rename(driveId, files[0]!, 'renamed.txt');
    server.drive.updateFile(driveId, files[1]!, 'changed');
    server.drive.remove(driveId, files[2]!);
    server.drive.move(driveId, files[3]!, outside);
    const changes = await walk(quiet.deltaLink);
    const byId = new Map(changes.items.map((i) => [i.id, i]));
    expect(byId.get(files[0]!)!.name).toBe('renamed.txt');
    expect(byId.get(files[1]!)!.size).toBe(7);
    expect(byId.get(files[2]!)!.deleted).toEqual({ state: 'deleted' });
    expect(byId.get(files[2]!)!.size).toBeUndefined(); // consumer OneDrive omits it
    expect(byId.get(files[3]!)!.parentReference.id).toBe(outside);
    expect(byId.has(files[4]!)).toBe(false);
    expect(byId.has(files[5]!)).toBe(false);
  });

  it('brings a moved-in folder with its whole subtree, but a rename alone reports only the folder', async () => {
    const folder = server.drive.addFolder(driveId, root, 'KB');
    const outside = server.drive.addFolder(driveId, root, 'Elsewhere');
    const moving = server.drive.addFolder(driveId, outside, 'Moving');
    const deep = server.drive.addFolder(driveId, moving, 'Deep');
    const leaf = server.drive.addFile(driveId, deep, 'leaf.txt', 'leaf');
    const inside = server.drive.addFolder(driveId, folder, 'Inside');
    server.drive.addFile(driveId, inside, 'child.txt', 'c');
    const { deltaLink } = await walk(`/drives/${driveId}/items/${folder}/delta`);

    server.drive.move(driveId, moving, folder);
    server.drive.rename(driveId, inside, 'Inside2');
    const changes = await walk(deltaLink);
    const ids = changes.items.map((i) => i.id);
    expect(ids).toEqual(expect.arrayContaining([moving, deep, leaf, inside]));
    expect(changes.items.some((i) => i.name === 'child.txt')).toBe(false);
    expect(ids.indexOf(moving)).toBeLessThan(ids.indexOf(deep));
    expect(ids.indexOf(deep)).toBeLessThan(ids.indexOf(leaf));
  });

  it('token=latest returns no items and a deltaLink', async () => {
    const folder = server.drive.addFolder(driveId, root, 'KB');
    server.drive.addFile(driveId, folder, 'a.txt', 'a');
    const latest = await get(`/drives/${driveId}/items/${folder}/delta?token=latest`);
    expect(latest.body.value).toEqual([]);
    const file = server.drive.addFile(driveId, folder, 'b.txt', 'b');
    const changes = await walk(latest.body['@odata.deltaLink']);
    expect(changes.items.map((i) => i.id)).toContain(file);
    expect(changes.items.some((i) => i.name === 'a.txt')).toBe(false);
  });

  it('answers 410 resyncRequired with a Location that starts over once links are invalidated', async () => {
    const folder = server.drive.addFolder(driveId, root, 'KB');
    server.drive.addFile(driveId, folder, 'a.txt', 'a');
    const { deltaLink } = await walk(`/drives/${driveId}/items/${folder}/delta`);
    server.drive.invalidateDeltaLinks(driveId);
    const gone = await get(deltaLink);
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('resyncRequired');
    const location = gone.headers.get('location')!;
    expect(location).toContain(`/items/${folder}/delta`);
    const again = await walk(location);
    expect(again.items.map((i) => i.name)).toContain('a.txt');
  });
});

describe('delta on a business drive', () => {
  it('refuses a folder’s delta with 501 notSupported, as OneDrive for Business does', async () => {
    const folder = server.drive.addFolder(driveId, root, 'KB');
    const refused = await get(`/drives/${driveId}/items/${folder}/delta`);
    expect(refused.status).toBe(501);
    expect(refused.body.error.code).toBe('notSupported');
    expect((await get(`/drives/${driveId}/root:/KB:/delta`)).status).toBe(501);
    expect(server.drive.stats()).toMatchObject({ deltaRefused: 2, deltaPages: 0 });
  });

  it('answers the root’s delta, by id, by alias or by path, with changes anywhere in the drive', async () => {
    const folder = server.drive.addFolder(driveId, root, 'KB');
    const outside = server.drive.addFolder(driveId, root, 'Elsewhere');
    const inside = server.drive.addFile(driveId, folder, 'in.txt', 'in');
    const other = server.drive.addFile(driveId, outside, 'out.txt', 'out');
    server.drive.setPageSize(2);

    const initial = await walk(`/drives/${driveId}/root/delta`);
    expect(initial.items.map((i) => i.id)).toEqual([root, folder, outside, inside, other]);
    expect(initial.pages).toBe(3);
    expect((await get(`/drives/${driveId}/items/${root}/delta`)).status).toBe(200);
    expect((await get(`/me/drive/root/delta`)).status).toBe(200);

    server.drive.remove(driveId, inside);
    server.drive.updateFile(driveId, other, 'changed');
    const changes = await walk(initial.deltaLink);
    const byId = new Map(changes.items.map((i) => [i.id, i]));
    expect(byId.get(inside)!.deleted).toEqual({ state: 'deleted' });
    expect(byId.get(inside)!.name).toBeUndefined(); // business omits it
    expect(byId.get(other)!.size).toBe(7);
    // Ancestors of changed items come along (no deltaExcludeParent), parents first.
    expect(byId.has(outside)).toBe(true);
    expect(changes.items[0]!.id).toBe(root);
  });

  it('reports a folder moved within the drive without its unchanged children', async () => {
    const folder = server.drive.addFolder(driveId, root, 'KB');
    const outside = server.drive.addFolder(driveId, root, 'Elsewhere');
    const moving = server.drive.addFolder(driveId, outside, 'Moving');
    server.drive.addFile(driveId, moving, 'leaf.txt', 'leaf');
    const { deltaLink } = await walk(`/drives/${driveId}/root/delta`);
    server.drive.move(driveId, moving, folder);
    const changes = await walk(deltaLink);
    const moved = changes.items.find((i) => i.id === moving)!;
    expect(moved.parentReference.id).toBe(folder);
    expect(moved.folder.childCount).toBe(1);
    expect(changes.items.some((i) => i.name === 'leaf.txt')).toBe(false);
  });
});

describe('throttling and downloads', () => {
  it('throttles with Retry-After and counts requests that come back too early', async () => {
    server.drive.throttle({ status: 429, retryAfterSeconds: 2, times: 1 });
    const first = await get(`/drives/${driveId}/root`);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('2');
    const early = await get(`/drives/${driveId}/root`);
    expect(early.status).toBe(429);
    expect(server.drive.stats()).toMatchObject({ throttled: 2, throttledEarly: 1 });
    server.drive.clearThrottling();
    server.drive.throttle({ status: 503, retryAfterSeconds: 1, times: 1 });
    expect((await get(`/drives/${driveId}/root`)).status).toBe(503);
  });

  it('serves pre-authenticated downloads without a bearer token, and counts those that send one', async () => {
    const file = server.drive.addFile(driveId, root, 'a.txt', 'payload');
    const url = (await get(`/drives/${driveId}/items/${file}`)).body['@microsoft.graph.downloadUrl'] as string;
    const plain = await fetch(url);
    expect(await plain.text()).toBe('payload');
    await (await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).arrayBuffer();
    expect(server.drive.stats()).toMatchObject({ downloads: 2, downloadsWithAuthHeader: 1 });

    server.drive.setDownloadUrlTtl(0);
    const expired = (await get(`/drives/${driveId}/items/${file}`)).body['@microsoft.graph.downloadUrl'] as string;
    expect((await fetch(expired)).status).toBe(401);
    server.drive.setDownloadUrlTtl(60 * 60 * 1000);
  });

  it('exposes the drive state for assertions', () => {
    const docs = server.drive.addFolder(driveId, root, 'Docs');
    const file = server.drive.addFile(driveId, docs, 'a.txt', 'hello');
    expect(server.drive.snapshot(driveId).map((e) => e.path)).toEqual(['Docs', 'Docs/a.txt']);
    expect(server.drive.snapshot(driveId, docs)).toEqual([
      expect.objectContaining({ id: file, path: 'a.txt', size: 5, hash: quickXorHash(Buffer.from('hello')) }),
    ]);
    expect(server.drive.item(driveId, file)?.path).toBe('Docs/a.txt');
  });
});

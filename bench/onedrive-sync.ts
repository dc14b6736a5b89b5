// OneDrive delta sync of a 5,000-file folder into PostgreSQL: Graph requests and wall time of the
// initial sync and of an incremental sync of 10 changes, and, as the baseline measured in the same
// run, a "re-list everything" walk of the same folder (/children, every page of every folder) —
// what a sync without a delta cursor pays on every run whatever changed. The drive is a OneDrive for
// Business one, so the sync follows the drive root's delta (folder delta is refused there).
import { randomBytes } from 'node:crypto';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '../emulator/index';
import { createMemoryCache } from '../lib/cache';
import type { PrismaClient } from '../lib/db';
import { createKnowledgeBase, linkOneDriveFolder } from '../lib/knowledge';
import { syncOneDriveLink, type GetGraphToken, type SyncResult } from '../lib/onedrive';
import { createTestDatabase } from '../tests/support/db';
import { silentLogger } from '../tests/support/tokens';
import { fmt, heading } from './stats';

const FILES = 5_000;
const SUBFOLDERS = 25;
/** Graph's usual delta and children page size. */
const PAGE_SIZE = 200;
/** Per request, delta pages, item gets and downloads alike: a round trip to a nearby Graph. */
const LATENCY_MS = 5;

interface Requests {
  deltaPages: number;
  itemGets: number;
  childrenGets: number;
  downloads: number;
  total: number;
}

function requestsOf(ms: MicrosoftEmulator): Requests {
  const s = ms.drive.stats();
  return { deltaPages: s.deltaPages, itemGets: s.itemGets, childrenGets: s.childrenGets, downloads: s.downloads, total: s.graphRequests + s.downloads };
}

/** a/b, with enough digits for ratios far below 1, and the "1 in N" it amounts to. */
const ratio = (a: number, b: number) => `${(a / b).toPrecision(2)}×${a > 0 && a < b ? ` (1/${Math.round(b / a)})` : ''}`;

const describe = (r: Requests) =>
  `${String(r.total).padStart(5)} requests (delta pages ${r.deltaPages}, item gets ${r.itemGets}, children pages ${r.childrenGets}, downloads ${r.downloads})`;

/** The token layer's part, as the sync sees it: one Graph token, replaced once when rejected. */
function graphTokens(ms: MicrosoftEmulator, email: string): GetGraphToken {
  let current: string | undefined;
  return async (options) => {
    if (current === undefined || options?.rejectedToken === current) current = ms.issueAccessToken({ email, resource: 'graph' });
    return current;
  };
}

/** A user whose drive has a folder "Knowledge" linked to a fresh knowledge base. */
async function linkFolder(db: PrismaClient, ms: MicrosoftEmulator) {
  const email = `bench-${randomBytes(4).toString('hex')}@contoso.example`;
  ms.addUser({ email, name: 'Bench User' });
  const user = await db.user.create({ data: { email, name: 'Bench User' } });
  const credential = await db.mailCredential.create({
    data: { userId: user.id, email, authType: 'oauth2', refreshTokenSealed: 'v1.sealed-placeholder', grantedScopes: 'openid offline_access https://outlook.office.com/IMAP.AccessAsUser.All https://graph.microsoft.com/Files.Read.All' },
  });
  const driveId = ms.drive.createDrive(email, { flavor: 'business' });
  const folderId = ms.drive.addFolder(driveId, ms.drive.rootId(driveId), 'Knowledge');
  const kb = await createKnowledgeBase({ db, userId: user.id, name: 'Bench' });
  const { linkId } = await linkOneDriveFolder({
    db,
    userId: user.id,
    knowledgeBaseId: kb.id,
    input: { accountId: credential.id, driveId, folderId, folderPath: '/Knowledge', intervalMinutes: 60 },
    // Linking mints a Graph token first; the emulator issues one directly (no token layer here).
    mintGraphToken: async () => ms.issueAccessToken({ email, resource: 'graph' }),
  });
  return { email, driveId, folderId, kbId: kb.id, linkId };
}

/** The baseline: every page of /children of every folder below the linked one, one after another. */
async function relistEverything(baseUrl: string, driveId: string, folderId: string, token: string): Promise<number> {
  const select = 'id,name,file,folder,size,eTag,cTag,lastModifiedDateTime,parentReference';
  const folders = [folderId];
  let items = 0;
  while (folders.length > 0) {
    let url: string | undefined =
      `${baseUrl}/drives/${encodeURIComponent(driveId)}/items/${encodeURIComponent(folders.pop()!)}/children?$top=${PAGE_SIZE}&$select=${select}`;
    while (url) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`children listing failed: HTTP ${res.status}`);
      const body = (await res.json()) as { value: Array<{ id: string; folder?: unknown }>; '@odata.nextLink'?: string };
      items += body.value.length;
      for (const item of body.value) if (item.folder) folders.push(item.id);
      url = body['@odata.nextLink'];
    }
  }
  return items;
}

async function timed(fn: () => Promise<SyncResult>): Promise<{ result: SyncResult; ms: number }> {
  const t = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - t };
}

export async function benchOneDriveSync(): Promise<void> {
  const [database, ms] = await Promise.all([createTestDatabase(), startMicrosoftEmulator()]);
  const { db } = database;
  try {
    const cache = createMemoryCache();
    const link = await linkFolder(db, ms);
    const getGraphToken = graphTokens(ms, link.email);
    const sync = () => syncOneDriveLink({ db, linkId: link.linkId, getGraphToken, cache, graphUrl: ms.graphUrl, logger: silentLogger });
    const { drive } = ms;

    const parents = [link.folderId, ...Array.from({ length: SUBFOLDERS }, (_, i) => drive.addFolder(link.driveId, link.folderId, `dir${i}`))];
    const files = Array.from({ length: FILES }, (_, i) =>
      drive.addFile(link.driveId, parents[i % parents.length]!, `file${i}.txt`, `content of file ${i}\n`.repeat(8)),
    );
    drive.setPageSize(PAGE_SIZE);
    drive.setLatency(LATENCY_MS);

    drive.resetStats();
    const initial = await timed(sync);
    const initialReq = requestsOf(ms);
    if (initial.result.outcome !== 'synced') throw new Error(`initial sync: ${initial.result.outcome} ${initial.result.error ?? ''}`);

    // 10 changes: 3 modified, 3 renamed (one of them a folder of 192 files), 2 deleted, 2 added.
    for (const id of files.slice(0, 3)) drive.updateFile(link.driveId, id, 'edited\n');
    drive.rename(link.driveId, files[10]!, 'renamed-10.txt');
    drive.rename(link.driveId, files[11]!, 'renamed-11.txt');
    drive.rename(link.driveId, parents[5]!, 'dir4-renamed');
    drive.remove(link.driveId, files[20]!);
    drive.remove(link.driveId, files[21]!);
    drive.addFile(link.driveId, link.folderId, 'new-a.txt', 'new a\n');
    drive.addFile(link.driveId, parents[3]!, 'new-b.txt', 'new b\n');

    drive.resetStats();
    const incremental = await timed(sync);
    const incrementalReq = requestsOf(ms);
    if (incremental.result.outcome !== 'synced') throw new Error(`incremental sync: ${incremental.result.outcome} ${incremental.result.error ?? ''}`);

    // The fixed cost of a run: nothing changed, one delta page.
    drive.resetStats();
    const idle = await timed(sync);
    const idleReq = requestsOf(ms);
    if (idle.result.outcome !== 'synced') throw new Error(`no-change sync: ${idle.result.outcome} ${idle.result.error ?? ''}`);

    // Baseline, same run, same drive and latency: list everything again to find the 10 changes,
    // then fetch the same changed content the delta sync fetched.
    const token = await getGraphToken();
    drive.resetStats();
    let t = performance.now();
    const listed = await relistEverything(ms.graphUrl, link.driveId, link.folderId, token);
    const relistMs = performance.now() - t;
    const relistReq = requestsOf(ms);
    const relistTotal = relistReq.total + incrementalReq.downloads;

    // The knowledge base must mirror the folder, or the numbers mean nothing.
    const upstream = drive.snapshot(link.driveId, link.folderId).map((e) => `${e.path}|${e.hash ?? ''}`).sort();
    const stored = (await db.knowledgeFile.findMany({ where: { knowledgeBaseId: link.kbId }, select: { path: true, hash: true, isFolder: true } }))
      .map((r) => `${r.path}|${r.isFolder ? '' : (r.hash ?? '')}`)
      .sort();
    const mirrors = upstream.length === stored.length && upstream.every((v, i) => v === stored[i]);
    if (!mirrors) process.exitCode = 1;

    const n = FILES + SUBFOLDERS;
    heading(`OneDrive for Business sync (drive-root delta): ${FILES} files in ${SUBFOLDERS + 1} folders (n = ${n} items), page size ${PAGE_SIZE}, ${LATENCY_MS} ms per Graph request`);
    console.log(`initial sync        ${describe(initialReq)}   wall ${fmt(initial.ms)}`);
    console.log(`incremental (10)    ${describe(incrementalReq)}   wall ${fmt(incremental.ms)}`);
    console.log(`  ratio incremental/initial   requests ${ratio(incrementalReq.total, initialReq.total)}   time ${ratio(incremental.ms, initial.ms)}`);
    console.log(`no change           ${describe(idleReq)}   wall ${fmt(idle.ms)}`);
    console.log(`re-list walk        ${describe(relistReq)} + ${incrementalReq.downloads} downloads = ${relistTotal}   wall ${fmt(relistMs)} (listing only, ${listed} items)`);
    console.log(`  ratio incremental/re-list   requests ${ratio(incrementalReq.total, relistTotal)}   time ${ratio(incremental.ms, relistMs)}`);
    console.log(`knowledge base mirrors the folder: ${mirrors ? 'yes' : 'NO'} (${stored.length} items)`);
  } finally {
    await ms.close();
    await database.close();
  }
}

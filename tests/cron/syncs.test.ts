// The cron's sync half: due OneDrive links claimed like credentials and run through the sync
// engine (the real one against the emulator's drive, or a stand-in where only scheduling matters).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SyncLink } from '@/lib/cron';
import { syncOneDriveLink } from '@/lib/onedrive';
import { createCronWorld, type CronWorld } from './support';

let w: CronWorld;

beforeAll(async () => {
  w = await createCronWorld();
});
afterEach(async () => {
  await w.reset();
});
afterAll(async () => {
  await w?.close();
});

const db = () => w.f.database.db;
const drive = () => w.f.emulator.drive;
const realSync: SyncLink = (options) => syncOneDriveLink({ ...options, graphUrl: w.f.emulator.graphUrl });

async function linkedFolder(files: Record<string, string> = {}, options: { tenantId?: string } = {}) {
  const owner = await w.seed({ graph: true, ...options });
  const driveId = drive().createDrive(owner.email);
  const folderId = drive().addFolder(driveId, drive().rootId(driveId), 'Knowledge');
  for (const [name, content] of Object.entries(files)) drive().addFile(driveId, folderId, name, content);
  const kb = await db().knowledgeBase.create({ data: { userId: owner.userId, name: 'Docs' } });
  const link = await db().oneDriveLink.create({
    data: { knowledgeBaseId: kb.id, credentialId: owner.credentialId, driveId, folderId, folderPath: '/Knowledge', intervalMinutes: 60 },
  });
  return { ...owner, kbId: kb.id, linkId: link.id };
}

/** Stands in for the engine: records the call, takes a while, schedules the link as it would. */
function recordingSync(calls: string[], outcome: { outcome: string; more: boolean } = { outcome: 'synced', more: false }): SyncLink {
  return async ({ db: client, linkId }) => {
    calls.push(linkId);
    await new Promise((r) => setTimeout(r, 100));
    if (!outcome.more) await client.oneDriveLink.update({ where: { id: linkId }, data: { nextSyncAt: new Date(Date.now() + 3_600_000) } });
    return outcome;
  };
}

describe('runCron: OneDrive syncs', () => {
  it('runs a due link through the sync engine, which schedules its next run', async () => {
    const kb = await linkedFolder({ 'a.txt': 'alpha', 'b.md': '# beta' });
    const summary = await w.run({ syncLink: realSync });
    expect(summary).toMatchObject({ syncs: { run: 1, failed: 0 }, more: false });
    const files = await db().knowledgeFile.findMany({ where: { knowledgeBaseId: kb.kbId }, orderBy: { name: 'asc' } });
    expect(files.map((f) => [f.name, f.state])).toEqual([['a.txt', 'synced'], ['b.md', 'synced']]);
    const link = await db().oneDriveLink.findUniqueOrThrow({ where: { id: kb.linkId } });
    expect(link).toMatchObject({ status: 'idle', cronLeaseOwner: null, leaseOwner: null });
    expect(link.nextSyncAt.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);

    const again = await w.run({ syncLink: realSync });
    expect(again.syncs).toMatchObject({ run: 0, failed: 0 });
  });

  it('two concurrent runs start each due link exactly once', async () => {
    const links = await Promise.all(Array.from({ length: 6 }, () => linkedFolder()));
    const calls: string[] = [];
    const [a, b] = await Promise.all([w.run({ syncLink: recordingSync(calls) }), w.run({ syncLink: recordingSync(calls) })]);
    expect(calls.sort()).toEqual(links.map((l) => l.linkId).sort());
    expect(a.syncs.run + b.syncs.run).toBe(6);
    expect(await db().oneDriveLink.count({ where: { cronLeaseOwner: { not: null } } })).toBe(0);
  });

  it('leaves alone a link whose sync is already running, and links paused for re-authorization', async () => {
    const busy = await linkedFolder();
    const paused = await linkedFolder();
    await db().oneDriveLink.update({ where: { id: busy.linkId }, data: { leaseOwner: 'sync-now', leaseUntil: new Date(Date.now() + 60_000) } });
    await db().oneDriveLink.update({ where: { id: paused.linkId }, data: { status: 'needs_reauth' } });
    const calls: string[] = [];
    const summary = await w.run({ syncLink: recordingSync(calls) });
    expect(calls).toEqual([]);
    expect(summary.syncs).toMatchObject({ run: 0, failed: 0 });
  });

  it('pauses the link of a revoked grant as needs_reauth, then asks Microsoft nothing more', async () => {
    const kb = await linkedFolder({ 'a.txt': 'alpha' });
    w.f.emulator.revokeGrants(kb.email);
    const first = await w.run({ syncLink: realSync });
    expect(first.syncs).toMatchObject({ run: 1, failed: 1 });
    expect(await db().oneDriveLink.findUniqueOrThrow({ where: { id: kb.linkId } })).toMatchObject({ status: 'needs_reauth' });
    expect(await db().mailCredential.findUniqueOrThrow({ where: { id: kb.credentialId } })).toMatchObject({ status: 'needs_reauth' });

    // Due again by the clock, still paused: neither claimed nor refreshed.
    await db().oneDriveLink.update({ where: { id: kb.linkId }, data: { nextSyncAt: new Date(Date.now() - 1000) } });
    const before = w.f.emulator.stats().token.total;
    const second = await w.run({ syncLink: realSync });
    expect(second).toMatchObject({ syncs: { run: 0, failed: 0 }, needsReauth: 0 });
    expect(w.f.emulator.stats().token.total).toBe(before);
  });

  it('stops the whole run when a sync meets an app-level failure, and alerts the operator once', async () => {
    const kbs = await Promise.all(Array.from({ length: 4 }, () => linkedFolder({ 'a.txt': 'alpha' })));
    w.f.emulator.failTokenRequests({ status: 401, error: 'invalid_client', aadsts: [7000215], times: 100 });
    const before = w.refreshRequests();

    // Concurrency 4 gives syncs one slot: the first sync meets the failure, nothing else starts.
    const summary = await w.run({ tokens: w.service(), syncLink: realSync, concurrency: 4 });
    expect(summary).toMatchObject({ stoppedBy: 'app_failure', more: true, syncs: { run: 1, failed: 0 } });
    expect(w.refreshRequests() - before).toBe(1);
    const cronAlerts = w.logs.filter((l) => l.alert === 'operator' && l.module === 'cron');
    expect(cronAlerts).toHaveLength(1);
    expect(cronAlerts[0]).toMatchObject({ level: 50, scope: 'all', code: 'AADSTS7000215' });
    const links = await db().oneDriveLink.findMany({ where: { id: { in: kbs.map((k) => k.linkId) } } });
    expect(links.filter((l) => l.status === 'idle')).toHaveLength(3);
    expect(links.every((l) => l.cronLeaseOwner === null && l.leaseOwner === null)).toBe(true);
  });

  it('a sync whose tenant refuses the app is reported by tenant; the other tenant’s sync runs', async () => {
    const FABRIKAM = '5a2e9c7d-1f3b-4e8a-b6d0-7c4f2e1a9b35';
    const refused = await linkedFolder({ 'a.txt': 'alpha' }, { tenantId: FABRIKAM });
    const fine = await linkedFolder({ 'b.txt': 'beta' });
    w.f.emulator.failTokenRequests({ status: 400, error: 'invalid_resource', aadsts: [500011], tenantId: FABRIKAM, resource: 'graph', times: 100 });

    const summary = await w.run({ tokens: w.service(), syncLink: realSync, concurrency: 4 });
    expect(summary).toMatchObject({ stoppedBy: null, syncs: { run: 2, failed: 1 } });
    const cronAlerts = w.logs.filter((l) => l.alert === 'operator' && l.module === 'cron');
    expect(cronAlerts).toEqual([expect.objectContaining({ level: 50, scope: 'tenant', tenantId: FABRIKAM, code: 'AADSTS500011', linkId: refused.linkId })]);
    const files = await db().knowledgeFile.findMany({ where: { knowledgeBaseId: fine.kbId } });
    expect(files.map((f) => [f.name, f.state])).toEqual([['b.txt', 'synced']]);
    expect(await db().knowledgeFile.count({ where: { knowledgeBaseId: refused.kbId } })).toBe(0);
    expect(await db().mailCredential.findUniqueOrThrow({ where: { id: refused.credentialId } })).toMatchObject({ status: 'active' });
  });

  it('reports more: true when a sync stops at the deadline, and passes the run deadline to the engine', async () => {
    await linkedFolder();
    let deadline: number | undefined;
    const summary = await w.run({
      budgetMs: 5_000,
      syncLink: async (options) => {
        deadline = options.deadline;
        return { outcome: 'partial', more: true };
      },
    });
    expect(summary.more).toBe(true);
    expect(summary.syncs).toMatchObject({ run: 1, failed: 0, more: 1 });
    expect(deadline).toBeGreaterThan(Date.now() - 10_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 5_000);
  });
});

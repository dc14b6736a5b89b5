// A PostgreSQL test database and the Microsoft emulator, plus helpers to seed a user with a
// Microsoft credential, a knowledge base linked to a OneDrive folder, and to compare what the
// knowledge base holds with the emulator's drive.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { DriveFlavor } from '@/emulator/drive';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '@/emulator/index';
import type { PrismaClient } from '@/lib/db';
import { createMemoryCache, type Cache } from '@/lib/cache';
import { createKnowledgeBase, linkOneDriveFolder } from '@/lib/knowledge';
import { syncOneDriveLink, type SyncOneDriveLinkOptions, type SyncResult } from '@/lib/onedrive';
import { createTestDatabase, type TestDatabase } from '../../support/db';

export interface SyncWorld {
  db: PrismaClient;
  ms: MicrosoftEmulator;
  cache: Cache;
  close(): Promise<void>;
}

export async function startSyncWorld(): Promise<SyncWorld> {
  const [database, ms]: [TestDatabase, MicrosoftEmulator] = await Promise.all([createTestDatabase(), startMicrosoftEmulator()]);
  return {
    db: database.db,
    ms,
    cache: createMemoryCache(),
    async close() {
      await ms.close();
      await database.close();
    },
  };
}

/** A fake of the token layer's ensureFreshToken for one account: counts calls and refreshes. */
export interface TokenSource {
  getGraphToken: SyncOneDriveLinkOptions['getGraphToken'];
  calls: number;
  refreshes: number;
}

export function tokenSource(ms: MicrosoftEmulator, email: string): TokenSource {
  let current: string | undefined;
  const source: TokenSource = {
    calls: 0,
    refreshes: 0,
    async getGraphToken(options) {
      source.calls++;
      if (current === undefined || (options?.rejectedToken !== undefined && options.rejectedToken === current)) {
        if (current !== undefined) source.refreshes++;
        current = ms.issueAccessToken({ email, resource: 'graph' });
      }
      return current;
    },
  };
  return source;
}

export interface LinkedFolder {
  userId: string;
  email: string;
  credentialId: string;
  kbId: string;
  linkId: string;
  driveId: string;
  folderId: string;
  tokens: TokenSource;
  sync(options?: Partial<SyncOneDriveLinkOptions>): Promise<SyncResult>;
}

/**
 * A user whose drive has a folder "Knowledge" linked to a fresh knowledge base. A personal drive
 * answers delta on the folder; a business one only on its root (the sync falls back to that).
 */
export async function linkedFolder(world: SyncWorld, options: { flavor: DriveFlavor; folderName?: string }): Promise<LinkedFolder> {
  const { db, ms } = world;
  const email = `user-${randomBytes(4).toString('hex')}@contoso.example`;
  ms.addUser({ email, name: 'Test User' });
  const user = await db.user.create({ data: { email, name: 'Test User' } });
  const credential = await db.mailCredential.create({
    data: { userId: user.id, email, authType: 'oauth2', refreshTokenSealed: 'v1.sealed-placeholder', grantedScopes: 'openid offline_access https://outlook.office.com/IMAP.AccessAsUser.All https://graph.microsoft.com/Files.Read.All' },
  });
  const driveId = ms.drive.createDrive(email, { flavor: options.flavor });
  const folderId = ms.drive.addFolder(driveId, ms.drive.rootId(driveId), options.folderName ?? 'Knowledge');
  const kb = await createKnowledgeBase({ db, userId: user.id, name: 'Docs' });
  const tokens = tokenSource(ms, email);
  const { linkId } = await linkOneDriveFolder({
    db,
    userId: user.id,
    knowledgeBaseId: kb.id,
    input: { accountId: credential.id, driveId, folderId, folderPath: '/Knowledge', intervalMinutes: 60 },
    // Linking mints a Graph token first; the sync's token source stands in for the token layer.
    mintGraphToken: () => tokens.getGraphToken(),
  });
  return {
    userId: user.id,
    email,
    credentialId: credential.id,
    kbId: kb.id,
    linkId,
    driveId,
    folderId,
    tokens,
    sync: (extra = {}) =>
      syncOneDriveLink({ db, linkId, getGraphToken: tokens.getGraphToken, cache: world.cache, graphUrl: ms.graphUrl, ...extra }),
  };
}

/** The knowledge base holds exactly the folder's current files: same ids, paths, hashes and bytes. */
export async function expectMirrors(world: SyncWorld, linked: LinkedFolder): Promise<void> {
  const upstream = world.ms.drive.snapshot(linked.driveId, linked.folderId);
  const rows = await world.db.knowledgeFile.findMany({ where: { knowledgeBaseId: linked.kbId } });
  const stored = rows.map((r) => ({
    id: r.itemId,
    path: r.path,
    isFolder: r.isFolder,
    hash: r.isFolder ? null : r.hash,
    size: r.isFolder ? null : Number(r.size),
    content: r.isFolder ? null : Buffer.from(r.content ?? new Uint8Array()).toString('base64'),
    state: r.state,
    pending: r.downloadPending,
  }));
  const expected = upstream.map((e) => ({
    id: e.id,
    path: e.path,
    isFolder: e.isFolder,
    hash: e.isFolder ? null : e.hash,
    size: e.isFolder ? null : e.size,
    content: e.isFolder ? null : e.content.toString('base64'),
    state: 'synced',
    pending: false,
  }));
  const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
  expect(stored.sort(byPath)).toEqual(expected.sort(byPath));
}

/** Adds `count` small files spread over `folders` subfolders (and the folder itself). */
export function populate(ms: MicrosoftEmulator, driveId: string, folderId: string, count: number, folders = 0): string[] {
  const parents = [folderId];
  for (let i = 0; i < folders; i++) parents.push(ms.drive.addFolder(driveId, folderId, `dir${i}`));
  return Array.from({ length: count }, (_, i) => ms.drive.addFile(driveId, parents[i % parents.length]!, `file${i}.txt`, `content of file ${i}`));
}

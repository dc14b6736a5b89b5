// Knowledge base verbs: ownership lives in the query, so another user's objects are not found.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '@/lib/db';
import {
  createKnowledgeBase,
  getKnowledgeBase,
  linkOneDriveFolder,
  linkOneDriveFolderInput,
  listFiles,
  listKnowledgeBases,
  requestSync,
  unlinkOneDriveFolder,
} from '@/lib/knowledge';
import { resumeLinksForCredential } from '@/lib/onedrive';
import { RefreshFailedError } from '@/lib/tokens';
import { createTestDatabase, type TestDatabase } from '../support/db';

let database: TestDatabase;
let db: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(() => database?.close());

async function user(options: { authType?: 'oauth2' | 'password'; refreshToken?: boolean; files?: boolean } = {}) {
  const email = `u-${randomBytes(4).toString('hex')}@example.com`;
  const u = await db.user.create({ data: { email } });
  const credential = await db.mailCredential.create({
    data: {
      userId: u.id,
      email,
      authType: options.authType ?? 'oauth2',
      refreshTokenSealed: options.refreshToken === false ? null : 'sealed',
      grantedScopes: options.files === false ? 'openid offline_access https://outlook.office.com/IMAP.AccessAsUser.All' : 'openid offline_access https://outlook.office.com/IMAP.AccessAsUser.All https://graph.microsoft.com/Files.Read.All',
    },
  });
  return { userId: u.id, credentialId: credential.id };
}

/** The token layer's answers, as linking sees them. */
const graphGranted = async () => ({ accessToken: 'graph-token', expiresAt: Date.now() + 3_600_000 });
const consentMissing = async () => {
  throw new RefreshFailedError({ kind: 'reauth', code: 'consent_required', consent: true });
};

const linkInput = (accountId: string, folderId = 'FOLDER1') => ({ accountId, driveId: 'b!drive', folderId, folderPath: '/Docs', intervalMinutes: 30 });

async function addFile(knowledgeBaseId: string, itemId: string, state = 'synced') {
  await db.knowledgeFile.create({ data: { knowledgeBaseId, itemId, name: `${itemId}.txt`, path: `${itemId}.txt`, size: 3n, hash: 'h', state, content: new Uint8Array([1, 2, 3]) } });
}

describe('knowledge bases', () => {
  it('creates, shows and lists a knowledge base only to its owner', async () => {
    const alice = await user();
    const bob = await user();
    const kb = await createKnowledgeBase({ db, userId: alice.userId, name: '  Research  ' });
    expect(kb).toEqual({ id: kb.id, name: 'Research', onedrive: null });
    expect(await getKnowledgeBase({ db, userId: alice.userId, knowledgeBaseId: kb.id })).toEqual(kb);
    await expect(getKnowledgeBase({ db, userId: bob.userId, knowledgeBaseId: kb.id })).rejects.toMatchObject({ code: 'not_found' });
    expect(await listKnowledgeBases({ db, userId: bob.userId })).toEqual([]);
    await expect(createKnowledgeBase({ db, userId: alice.userId, name: ' ' })).rejects.toThrow();
  });

  it('links a folder with the caller’s own Microsoft credential only, and reports its state', async () => {
    const alice = await user();
    const bob = await user();
    const password = await user({ authType: 'password' });
    const kb = await createKnowledgeBase({ db, userId: alice.userId, name: 'KB' });
    await expect(linkOneDriveFolder({ mintGraphToken: graphGranted, db, userId: alice.userId, knowledgeBaseId: kb.id, input: linkInput(bob.credentialId) })).rejects.toMatchObject({ code: 'not_found' });
    await expect(linkOneDriveFolder({ mintGraphToken: graphGranted, db, userId: bob.userId, knowledgeBaseId: kb.id, input: linkInput(bob.credentialId) })).rejects.toMatchObject({ code: 'not_found' });
    await expect(linkOneDriveFolder({ mintGraphToken: graphGranted, db, userId: password.userId, knowledgeBaseId: kb.id, input: linkInput(password.credentialId) })).rejects.toMatchObject({ code: 'not_found' });

    const now = new Date();
    await linkOneDriveFolder({ mintGraphToken: graphGranted, db, userId: alice.userId, knowledgeBaseId: kb.id, input: linkInput(alice.credentialId), now });
    const view = await getKnowledgeBase({ db, userId: alice.userId, knowledgeBaseId: kb.id });
    expect(view.onedrive).toMatchObject({ status: 'idle', lastSyncAt: null, hasStoredToken: true, error: null, fileCount: 0, nextSyncAt: now.toISOString() });

    await db.mailCredential.update({ where: { id: alice.credentialId }, data: { refreshTokenSealed: null } });
    expect((await getKnowledgeBase({ db, userId: alice.userId, knowledgeBaseId: kb.id })).onedrive!.hasStoredToken).toBe(false);
  });

  it('asks for OneDrive consent only when Microsoft says it is missing, with a reconnectUrl back to the page', async () => {
    const noFiles = await user({ files: false });
    const kb = await createKnowledgeBase({ db, userId: noFiles.userId, name: 'KB' });
    const minted: string[] = [];
    const refused = await linkOneDriveFolder({
      db,
      userId: noFiles.userId,
      knowledgeBaseId: kb.id,
      input: linkInput(noFiles.credentialId),
      mintGraphToken: async (id) => {
        minted.push(id);
        return consentMissing();
      },
    }).catch((error: unknown) => error);
    expect(minted).toEqual([noFiles.credentialId]);
    expect(refused).toMatchObject({
      code: 'needs_reauth',
      message: expect.stringMatching(/OneDrive access/),
      reconnectUrl: `/api/mail/connect?files=1&account=${noFiles.credentialId}&returnTo=${encodeURIComponent(`/knowledge/${kb.id}`)}`,
    });
    expect(await db.oneDriveLink.count({ where: { knowledgeBaseId: kb.id } })).toBe(0);

    // The scopes recorded for this app say nothing about what the tenant's admin consented to:
    // when the Graph token is minted, linking goes ahead.
    await linkOneDriveFolder({ db, userId: noFiles.userId, knowledgeBaseId: kb.id, input: linkInput(noFiles.credentialId), mintGraphToken: graphGranted });
    expect(await db.oneDriveLink.count({ where: { knowledgeBaseId: kb.id } })).toBe(1);
  });

  it('passes transient token failures through as 503, linking nothing', async () => {
    const alice = await user();
    const kb = await createKnowledgeBase({ db, userId: alice.userId, name: 'KB' });
    const busy = async () => {
      throw new RefreshFailedError({ kind: 'transient', code: 'temporarily_unavailable' }, 7);
    };
    await expect(linkOneDriveFolder({ db, userId: alice.userId, knowledgeBaseId: kb.id, input: linkInput(alice.credentialId), mintGraphToken: busy })).rejects.toMatchObject({
      code: 'upstream_unavailable',
      retryAfter: 7,
    });
    expect(await db.oneDriveLink.count({ where: { knowledgeBaseId: kb.id } })).toBe(0);
  });

  it('validates the link body for the route', () => {
    expect(linkOneDriveFolderInput.safeParse({ accountId: 'a', driveId: 'd', folderId: 'f' }).success).toBe(true);
    expect(linkOneDriveFolderInput.safeParse({ accountId: 'a', driveId: 'd', folderId: 'f', intervalMinutes: 0 }).success).toBe(false);
    expect(linkOneDriveFolderInput.safeParse({ driveId: 'd', folderId: 'f' }).success).toBe(false);
  });

  it('keeps files when the same folder is relinked, drops them for another folder', async () => {
    const alice = await user();
    const kb = await createKnowledgeBase({ db, userId: alice.userId, name: 'KB' });
    const { linkId } = await linkOneDriveFolder({ mintGraphToken: graphGranted, db, userId: alice.userId, knowledgeBaseId: kb.id, input: linkInput(alice.credentialId) });
    await addFile(kb.id, 'f1');
    const again = await linkOneDriveFolder({ mintGraphToken: graphGranted, db, userId: alice.userId, knowledgeBaseId: kb.id, input: { ...linkInput(alice.credentialId), intervalMinutes: 5 } });
    expect(again.linkId).toBe(linkId);
    expect((await getKnowledgeBase({ db, userId: alice.userId, knowledgeBaseId: kb.id })).onedrive).toMatchObject({ fileCount: 1, intervalMinutes: 5 });
    const other = await linkOneDriveFolder({ mintGraphToken: graphGranted, db, userId: alice.userId, knowledgeBaseId: kb.id, input: linkInput(alice.credentialId, 'FOLDER2') });
    expect(other.linkId).not.toBe(linkId);
    expect((await getKnowledgeBase({ db, userId: alice.userId, knowledgeBaseId: kb.id })).onedrive!.fileCount).toBe(0);
  });

  it('lists synced files only, in the SPEC shape', async () => {
    const alice = await user();
    const kb = await createKnowledgeBase({ db, userId: alice.userId, name: 'KB' });
    await addFile(kb.id, 'a');
    await addFile(kb.id, 'b', 'skipped');
    await addFile(kb.id, 'c', 'pending');
    await db.knowledgeFile.create({ data: { knowledgeBaseId: kb.id, itemId: 'dir', name: 'dir', path: 'dir', isFolder: true } });
    expect(await listFiles({ db, userId: alice.userId, knowledgeBaseId: kb.id })).toEqual([
      { itemId: 'a', name: 'a.txt', path: 'a.txt', size: 3, lastModified: null, hash: 'h' },
    ]);
    expect((await listFiles({ db, userId: alice.userId, knowledgeBaseId: kb.id, includeSkipped: true })).map((f) => f.state)).toEqual(['synced', 'skipped', 'pending']);
    const bob = await user();
    await expect(listFiles({ db, userId: bob.userId, knowledgeBaseId: kb.id })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('requests a sync: due at once, 409 while the credential needs re-authorization, resumes after', async () => {
    const alice = await user();
    const kb = await createKnowledgeBase({ db, userId: alice.userId, name: 'KB' });
    await expect(requestSync({ db, userId: alice.userId, knowledgeBaseId: kb.id })).rejects.toMatchObject({ code: 'not_found' });
    const later = new Date(Date.now() + 3_600_000);
    const { linkId } = await linkOneDriveFolder({ mintGraphToken: graphGranted, db, userId: alice.userId, knowledgeBaseId: kb.id, input: linkInput(alice.credentialId), now: later });
    const now = new Date();
    await requestSync({ db, userId: alice.userId, knowledgeBaseId: kb.id, now });
    expect((await db.oneDriveLink.findUniqueOrThrow({ where: { id: linkId } })).nextSyncAt).toEqual(now);

    await db.mailCredential.update({ where: { id: alice.credentialId }, data: { status: 'needs_reauth' } });
    await db.oneDriveLink.update({ where: { id: linkId }, data: { status: 'needs_reauth', error: 'Reconnect' } });
    await expect(requestSync({ db, userId: alice.userId, knowledgeBaseId: kb.id })).rejects.toMatchObject({ code: 'needs_reauth' });
    expect(await resumeLinksForCredential({ db, credentialId: alice.credentialId })).toBe(0);

    await db.mailCredential.update({ where: { id: alice.credentialId }, data: { status: 'active' } });
    expect(await resumeLinksForCredential({ db, credentialId: alice.credentialId })).toBe(1);
    expect((await getKnowledgeBase({ db, userId: alice.userId, knowledgeBaseId: kb.id })).onedrive).toMatchObject({ status: 'idle', error: null });
  });

  it('unlinks: the link and its files go, the knowledge base and credential stay', async () => {
    const alice = await user();
    const bob = await user();
    const kb = await createKnowledgeBase({ db, userId: alice.userId, name: 'KB' });
    await linkOneDriveFolder({ mintGraphToken: graphGranted, db, userId: alice.userId, knowledgeBaseId: kb.id, input: linkInput(alice.credentialId) });
    await addFile(kb.id, 'a');
    await expect(unlinkOneDriveFolder({ db, userId: bob.userId, knowledgeBaseId: kb.id })).rejects.toMatchObject({ code: 'not_found' });
    await unlinkOneDriveFolder({ db, userId: alice.userId, knowledgeBaseId: kb.id });
    expect(await getKnowledgeBase({ db, userId: alice.userId, knowledgeBaseId: kb.id })).toEqual({ id: kb.id, name: 'KB', onedrive: null });
    expect(await db.knowledgeFile.count({ where: { knowledgeBaseId: kb.id } })).toBe(0);
    expect(await db.mailCredential.count({ where: { id: alice.credentialId } })).toBe(1);
    await unlinkOneDriveFolder({ db, userId: alice.userId, knowledgeBaseId: kb.id });
  });

  it('shows an abandoned sync (expired lease) as idle, not syncing forever', async () => {
    const alice = await user();
    const kb = await createKnowledgeBase({ db, userId: alice.userId, name: 'KB' });
    const { linkId } = await linkOneDriveFolder({ mintGraphToken: graphGranted, db, userId: alice.userId, knowledgeBaseId: kb.id, input: linkInput(alice.credentialId) });
    await db.oneDriveLink.update({ where: { id: linkId }, data: { status: 'syncing', leaseOwner: 'dead', leaseUntil: new Date(Date.now() - 1000) } });
    expect((await getKnowledgeBase({ db, userId: alice.userId, knowledgeBaseId: kb.id })).onedrive!.status).toBe('idle');
  });
});

// What the rest of the project relies on from the database, checked on both adapters.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Prisma, type PrismaClient } from '@/lib/db';
import { createTestDatabase, createTestPglite } from '../support/db';

const databases = [
  ['PostgreSQL', createTestDatabase],
  ['PGlite', createTestPglite],
] as const;

describe.each(databases)('database contract on %s', (_name, open) => {
  let db: PrismaClient;
  let close: () => Promise<void>;
  let userId: string;
  let credentialId: string;

  beforeAll(async () => {
    ({ db, close } = await open());
    const user = await db.user.create({ data: { email: 'owner@example.com', name: 'Owner' } });
    userId = user.id;
  });
  afterAll(() => close());

  test('creates a user, a mail credential and an access token, and reads them back', async () => {
    const credential = await db.mailCredential.create({
      data: { userId, email: 'owner@example.com', authType: 'oauth2', refreshTokenSealed: 'sealed-v0' },
    });
    credentialId = credential.id;
    expect(credential).toMatchObject({ status: 'active', tokenVersion: 0, failureCount: 0 });

    const expiresAt = new Date(Date.now() + 3_600_000);
    await db.accessToken.create({
      data: { credentialId, resource: 'imap', tokenSealed: 'sealed-at', expiresAt, tokenVersion: 0 },
    });
    const read = await db.mailCredential.findUniqueOrThrow({
      where: { id: credentialId },
      include: { accessTokens: true, user: true },
    });
    expect(read.user.email).toBe('owner@example.com');
    expect(read.accessTokens).toHaveLength(1);
    expect(read.accessTokens[0]!.expiresAt.getTime()).toBe(expiresAt.getTime());
  });

  test('a duplicate (userId, email) is a P2002 unique violation', async () => {
    const duplicate = db.mailCredential.create({ data: { userId, email: 'owner@example.com', authType: 'oauth2' } });
    await expect(duplicate).rejects.toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    await expect(duplicate).rejects.toMatchObject({ code: 'P2002' });
  });

  test('upserts an access token on its composite key', async () => {
    const key = { credentialId_resource: { credentialId, resource: 'graph' } };
    const expiresAt = new Date(Date.now() + 60_000);
    const base = { tokenSealed: 'g1', expiresAt, tokenVersion: 0 };
    await db.accessToken.upsert({ where: key, create: { credentialId, resource: 'graph', ...base }, update: base });
    await db.accessToken.upsert({
      where: key,
      create: { credentialId, resource: 'graph', ...base },
      update: { tokenSealed: 'g2', tokenVersion: 1 },
    });
    const rows = await db.accessToken.findMany({ where: { credentialId, resource: 'graph' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tokenSealed: 'g2', tokenVersion: 1 });
  });

  test('an interactive transaction commits together or not at all', async () => {
    await db.$transaction(async (tx) => {
      await tx.mailCredential.update({ where: { id: credentialId }, data: { lastError: 'committed' } });
      await tx.accessToken.update({
        where: { credentialId_resource: { credentialId, resource: 'imap' } },
        data: { tokenSealed: 'in-tx' },
      });
    });
    await expect(
      db.$transaction(async (tx) => {
        await tx.mailCredential.update({ where: { id: credentialId }, data: { lastError: 'rolled-back' } });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const credential = await db.mailCredential.findUniqueOrThrow({ where: { id: credentialId } });
    expect(credential.lastError).toBe('committed');
  });

  test('compare-and-set on tokenVersion: a stale version updates nothing', async () => {
    const { tokenVersion } = await db.mailCredential.findUniqueOrThrow({ where: { id: credentialId } });
    const rotate = (sealed: string) =>
      db.mailCredential.updateMany({
        where: { id: credentialId, tokenVersion },
        data: { refreshTokenSealed: sealed, tokenVersion: { increment: 1 } },
      });
    expect((await rotate('sealed-new')).count).toBe(1);
    expect((await rotate('sealed-stale')).count).toBe(0);
    const after = await db.mailCredential.findUniqueOrThrow({ where: { id: credentialId } });
    expect(after).toMatchObject({ refreshTokenSealed: 'sealed-new', tokenVersion: tokenVersion + 1 });
  });

  test('round-trips BigInt and Bytes columns, and raw FOR UPDATE SKIP LOCKED', async () => {
    const kb = await db.knowledgeBase.create({ data: { userId, name: 'Docs' } });
    const content = Buffer.from([0, 1, 2, 255]);
    await db.knowledgeFile.create({
      data: { knowledgeBaseId: kb.id, itemId: 'item-1', name: 'a.bin', path: '/a.bin', size: 5_000_000_000n, content },
    });
    const file = await db.knowledgeFile.findUniqueOrThrow({
      where: { knowledgeBaseId_itemId: { knowledgeBaseId: kb.id, itemId: 'item-1' } },
    });
    expect(file.size).toBe(5_000_000_000n);
    expect(Buffer.from(file.content!)).toEqual(content);

    const claimed = await db.$transaction(
      (tx) => tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM "MailCredential" WHERE "userId" = ${userId} FOR UPDATE SKIP LOCKED LIMIT 10`,
    );
    expect(claimed.map((r) => r.id)).toEqual([credentialId]);
  });
});

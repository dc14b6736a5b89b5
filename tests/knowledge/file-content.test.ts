// A synced file's bytes, read from the database slice by slice: only the owner's synced files,
// byte for byte, on PostgreSQL and on the embedded PGlite database alike.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '@/lib/db';
import { AppError } from '@/lib/errors';
import { openFileContent } from '@/lib/knowledge';
import { createTestDatabase, createTestPglite } from '../support/db';

async function readAll(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(body).arrayBuffer());
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return (error as AppError).code;
}

const engines = [
  ['PostgreSQL', () => createTestDatabase()],
  ['PGlite', () => createTestPglite()],
] as const;

describe.each(engines)('on %s', (_name, open) => {
  let db: PrismaClient;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const database = await open();
    db = database.db;
    close = () => database.close();
  });
  afterAll(() => close?.());

  async function knowledgeBase() {
    const user = await db.user.create({ data: { email: `u-${randomBytes(4).toString('hex')}@example.com` } });
    const kb = await db.knowledgeBase.create({ data: { userId: user.id, name: 'Docs' } });
    return { userId: user.id, knowledgeBaseId: kb.id };
  }

  async function addFile(knowledgeBaseId: string, itemId: string, fields: { content?: Uint8Array<ArrayBuffer> | null; state?: string; isFolder?: boolean; mimeType?: string } = {}) {
    const content = fields.content === undefined ? new Uint8Array(randomBytes(10)) : fields.content;
    await db.knowledgeFile.create({
      data: {
        knowledgeBaseId,
        itemId,
        name: `${itemId}.bin`,
        path: `Docs/${itemId}.bin`,
        size: content ? BigInt(content.length) : null,
        state: fields.state ?? 'synced',
        isFolder: fields.isFolder ?? false,
        mimeType: fields.mimeType ?? null,
        content,
      },
    });
    return content;
  }

  it('streams the owner’s synced file byte for byte, in slices', async () => {
    const { userId, knowledgeBaseId } = await knowledgeBase();
    const bytes = new Uint8Array(randomBytes(100_003));
    await addFile(knowledgeBaseId, 'ITEM!1', { content: bytes, mimeType: 'application/pdf' });
    const file = await openFileContent({ db, userId, knowledgeBaseId, itemId: 'ITEM!1', chunkBytes: 7_000 });
    expect({ name: file.name, mimeType: file.mimeType, length: file.length }).toEqual({ name: 'ITEM!1.bin', mimeType: 'application/pdf', length: 100_003 });
    expect((await readAll(file.body)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('serves an empty file as zero bytes', async () => {
    const { userId, knowledgeBaseId } = await knowledgeBase();
    await addFile(knowledgeBaseId, 'EMPTY', { content: new Uint8Array(0) });
    const file = await openFileContent({ db, userId, knowledgeBaseId, itemId: 'EMPTY' });
    expect(file.length).toBe(0);
    expect((await readAll(file.body)).length).toBe(0);
  });

  it('is not_found for another user, and for files that are not synced content', async () => {
    const { userId, knowledgeBaseId } = await knowledgeBase();
    const other = await knowledgeBase();
    await addFile(knowledgeBaseId, 'MINE');
    await addFile(knowledgeBaseId, 'SKIPPED', { state: 'skipped', content: null });
    await addFile(knowledgeBaseId, 'PENDING', { state: 'pending', content: null });
    await addFile(knowledgeBaseId, 'FOLDER', { isFolder: true, content: null });
    await addFile(knowledgeBaseId, 'NOCONTENT', { content: null });
    expect(await codeOf(openFileContent({ db, userId: other.userId, knowledgeBaseId, itemId: 'MINE' }))).toBe('not_found');
    expect(await codeOf(openFileContent({ db, userId: other.userId, knowledgeBaseId: other.knowledgeBaseId, itemId: 'MINE' }))).toBe('not_found');
    for (const itemId of ['SKIPPED', 'PENDING', 'FOLDER', 'NOCONTENT', 'MISSING']) {
      expect({ itemId, code: await codeOf(openFileContent({ db, userId, knowledgeBaseId, itemId })) }).toEqual({ itemId, code: 'not_found' });
    }
    expect(await codeOf(openFileContent({ db, userId, knowledgeBaseId: 'no-such-kb', itemId: 'MINE' }))).toBe('not_found');
  });

  it('refuses malformed ids and files over the limit', async () => {
    const { userId, knowledgeBaseId } = await knowledgeBase();
    await addFile(knowledgeBaseId, 'BIG', { content: new Uint8Array(2_000) });
    for (const itemId of ['', 'a\r\nb', 'x'.repeat(401)]) {
      expect(await codeOf(openFileContent({ db, userId, knowledgeBaseId, itemId }))).toBe('invalid_request');
    }
    expect(await codeOf(openFileContent({ db, userId, knowledgeBaseId, itemId: 'BIG', maxBytes: 1_999 }))).toBe('invalid_request');
  });

  it('fails, rather than mixing versions, when a sync replaces the file mid-download', async () => {
    const { userId, knowledgeBaseId } = await knowledgeBase();
    await addFile(knowledgeBaseId, 'CHANGING', { content: new Uint8Array(randomBytes(3_000)) });
    const file = await openFileContent({ db, userId, knowledgeBaseId, itemId: 'CHANGING', chunkBytes: 1_000 });
    const reader = file.body.getReader();
    expect((await reader.read()).value?.length).toBe(1_000);
    await new Promise((r) => setTimeout(r, 5));
    await db.knowledgeFile.updateMany({ where: { knowledgeBaseId, itemId: 'CHANGING' }, data: { content: new Uint8Array(randomBytes(3_000)) } });
    await expect(reader.read()).rejects.toThrow(/changed/);
  });
});

// Knowledge bases and their OneDrive folder over HTTP: create, link (incremental consent for
// Graph Files.Read.All first), the cron's sync, files, sync now, unlink; ownership everywhere.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import { waitFor } from '../support/net';

interface Kb { id: string; name: string; onedrive: null | { status: string; lastSyncAt: string | null; hasStoredToken: boolean; error: string | null; fileCount: number } }
interface ErrorBody { error: { code: string } }

const ADA = 'ada@contoso.test';
let app: TestApp;
let ada: SignedIn;
let bob: SignedIn;
let accountId: string;
let driveId: string;
let folderId: string;

beforeAll(async () => {
  app = await startApp({ dovecot: false, users: [ADA] });
  ada = await app.signIn(ADA);
  bob = await app.signIn('bob@contoso.test');
  accountId = (await ada.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
  // Incremental consent: the same mailbox, now with OneDrive access.
  app.emulator.setDefaultUser(ADA);
  const start = await ada.get(`/api/mail/connect?files=1&account=${accountId}`);
  const back = await ada.get(start.headers.get('location')!);
  expect((await ada.get(back.headers.get('location')!)).status).toBe(302);

  driveId = app.emulator.drive.createDrive(ADA);
  folderId = app.emulator.drive.addFolder(driveId, app.emulator.drive.rootId(driveId), 'Team');
  app.emulator.drive.addFile(driveId, folderId, 'handbook.md', '# Handbook');
  app.emulator.drive.addFile(driveId, folderId, 'faq.txt', 'Q and A');
});
afterAll(async () => {
  await app?.stop();
});

async function runCron(): Promise<Record<string, unknown>> {
  const response = await app.client().fetch('/api/cron/refresh', { method: 'POST', headers: { authorization: `Bearer ${app.cronSecret}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

test('every knowledge route needs a session', async () => {
  const anonymous = app.client();
  const requests: Array<[string, string]> = [
    ['POST', '/api/knowledge'],
    ['GET', '/api/knowledge/x'],
    ['POST', '/api/knowledge/x/onedrive'],
    ['DELETE', '/api/knowledge/x/onedrive'],
    ['POST', '/api/knowledge/x/sync'],
    ['GET', '/api/knowledge/x/files'],
    ['GET', '/api/knowledge/x/files/y/content'],
  ];
  for (const [method, path] of requests) {
    const { status } = await anonymous.sendJson(method, path, method === 'POST' ? {} : undefined);
    expect({ method, path, status }).toEqual({ method, path, status: 401 });
  }
});

describe('a knowledge base with a OneDrive folder', () => {
  let kb: Kb;

  test('is created (201) and visible only to its owner', async () => {
    const created = await ada.sendJson<Kb>('POST', '/api/knowledge', { name: 'Team docs' });
    expect(created.status).toBe(201);
    kb = created.body;
    expect(kb).toMatchObject({ name: 'Team docs', onedrive: null });
    expect((await ada.getJson<Kb>(`/api/knowledge/${kb.id}`)).body).toMatchObject({ id: kb.id, onedrive: null });
    for (const path of [`/api/knowledge/${kb.id}`, `/api/knowledge/${kb.id}/files`]) {
      expect((await bob.getJson<ErrorBody>(path)).status).toBe(404);
    }
    expect((await bob.sendJson('POST', `/api/knowledge/${kb.id}/sync`)).status).toBe(404);
    expect((await ada.sendJson<ErrorBody>('POST', '/api/knowledge', { name: '' })).status).toBe(400);
  });

  test('links a folder (202) and its first sync starts at once', async () => {
    const linked = await ada.sendJson('POST', `/api/knowledge/${kb.id}/onedrive`, { accountId, driveId, folderId, folderPath: '/Team', intervalMinutes: 30 });
    expect(linked.status).toBe(202);
    // Bob cannot link Ada's mailbox to his knowledge bases.
    const bobKb = (await bob.sendJson<Kb>('POST', '/api/knowledge', { name: 'Bob' })).body;
    expect((await bob.sendJson<ErrorBody>('POST', `/api/knowledge/${bobKb.id}/onedrive`, { accountId, driveId, folderId })).status).toBe(404);

    const view = await waitFor(
      async () => {
        const body = (await ada.getJson<Kb>(`/api/knowledge/${kb.id}`)).body;
        return body.onedrive?.lastSyncAt ? body : undefined;
      },
      { timeoutMs: 20_000, what: 'the first sync' },
    );
    expect(view.onedrive).toMatchObject({ status: 'idle', hasStoredToken: true, error: null, fileCount: 2 });
    const files = (await ada.getJson<Array<{ name: string; path: string }>>(`/api/knowledge/${kb.id}/files`)).body;
    expect(files.map((f) => f.name).sort()).toEqual(['faq.txt', 'handbook.md']);
  });

  test('sync now (202) picks up changes; the cron leaves a link that is not due alone', async () => {
    app.emulator.drive.addFile(driveId, folderId, 'new.txt', 'fresh');
    expect((await ada.sendJson('POST', `/api/knowledge/${kb.id}/sync`)).status).toBe(202);
    await waitFor(
      async () => (await ada.getJson<Array<{ name: string }>>(`/api/knowledge/${kb.id}/files`)).body.length === 3,
      { timeoutMs: 20_000, what: 'sync now' },
    );
    const files = (await ada.getJson<Array<{ name: string }>>(`/api/knowledge/${kb.id}/files`)).body;
    expect(files.map((f) => f.name).sort()).toEqual(['faq.txt', 'handbook.md', 'new.txt']);
    const summary = await runCron();
    expect(summary.syncs).toMatchObject({ run: 0, failed: 0 });
  });

  test('unlinking (204) drops the link and its files', async () => {
    expect((await ada.sendJson('DELETE', `/api/knowledge/${kb.id}/onedrive`)).status).toBe(204);
    expect((await ada.getJson<Kb>(`/api/knowledge/${kb.id}`)).body.onedrive).toBeNull();
    expect((await ada.getJson<unknown[]>(`/api/knowledge/${kb.id}/files`)).body).toEqual([]);
  });
});

test('no answer from the app ever carried a token, a code or a secret', () => {
  expect(app.secretsInResponses()).toEqual([]);
});

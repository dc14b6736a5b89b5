// The OneDrive folder picker over HTTP against the production build: consent asked only when
// Microsoft says it is missing (409 with reconnectUrl, back to where the person was), drives and
// folder children with cursors, ownership, bad input, and an admin-consented tenant that needs no
// reconnect at all.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import { waitFor } from '../support/net';

interface ErrorBody { error: { code: string; message: string; reconnectUrl?: string } }
interface Drive { id: string; name: string; driveType: string }
interface Children { items: Array<{ id: string; name: string; isFolder: boolean; childCount: number; path: string | null }>; fileCount: number; nextCursor: string | null }

const ADA = 'ada@contoso.test';
const OTHER_TENANT = '3c1f0d2e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const CAROL = 'carol@adminconsented.test';
let app: TestApp;
let ada: SignedIn;
let bob: SignedIn;
let accountId: string;
let driveId: string;
let libraryId: string;
let projects: string;

beforeAll(async () => {
  app = await startApp({ dovecot: false, users: [ADA] });
  ada = await app.signIn(ADA);
  bob = await app.signIn('bob@contoso.test');
  accountId = (await ada.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
  const drive = app.emulator.drive;
  driveId = drive.createDrive(ADA);
  libraryId = drive.createLibrary(drive.createSite({ name: 'Team', members: [ADA] }), 'Team Documents');
  projects = drive.addFolder(driveId, drive.rootId(driveId), 'Projects');
  for (let i = 1; i <= 5; i++) drive.addFolder(driveId, projects, `Project ${i}`);
  drive.addFile(driveId, projects, 'index.md', '# Projects');
});
afterAll(async () => {
  await app?.stop();
});

const base = () => `/api/mail/accounts/${accountId}/onedrive`;

test('the picker routes need a session', async () => {
  const anonymous = app.client();
  for (const path of [`${base()}/drives`, `${base()}/children?driveId=x`]) expect((await anonymous.get(path)).status).toBe(401);
});

describe('consent asked only when missing', () => {
  let kbId: string;

  test('a mailbox connected for mail only gets 409 with reconnectUrl (back to the page), and nothing is linked', async () => {
    const drives = await ada.getJson<ErrorBody>(`${base()}/drives?returnTo=${encodeURIComponent('/knowledge/x')}`);
    expect(drives.status).toBe(409);
    expect(drives.body.error).toMatchObject({ code: 'needs_reauth', reconnectUrl: `/api/mail/connect?files=1&account=${accountId}&returnTo=%2Fknowledge%2Fx` });

    kbId = (await ada.sendJson<{ id: string }>('POST', '/api/knowledge', { name: 'Docs' })).body.id;
    const link = await ada.sendJson<ErrorBody>('POST', `/api/knowledge/${kbId}/onedrive`, { accountId, driveId, folderId: projects });
    expect(link.status).toBe(409);
    expect(link.body.error.reconnectUrl).toBe(`/api/mail/connect?files=1&account=${accountId}&returnTo=${encodeURIComponent(`/knowledge/${kbId}`)}`);
    expect((await ada.getJson<{ onedrive: unknown }>(`/api/knowledge/${kbId}`)).body.onedrive).toBeNull();
    // The mailbox itself is fine: consent for files says nothing about mail.
    expect((await ada.getJson<Array<{ status: string }>>('/api/mail/accounts')).body[0]!.status).toBe('active');
  });

  test('following reconnectUrl asks Microsoft for Files.Read.All and comes back to the knowledge base', async () => {
    const link = await ada.sendJson<ErrorBody>('POST', `/api/knowledge/${kbId}/onedrive`, { accountId, driveId, folderId: projects });
    app.emulator.setDefaultUser(ADA);
    const start = await ada.get(link.body.error.reconnectUrl!);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.searchParams.get('scope')).toContain('https://graph.microsoft.com/Files.Read.All');
    expect(authorize.searchParams.get('login_hint')).toBe(ADA);
    const callback = await ada.get(authorize.toString());
    const done = await ada.get(callback.headers.get('location')!);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe(`${app.url}/knowledge/${kbId}`);
  });

  test('returnTo must be a path on this site (400)', async () => {
    for (const bad of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const q = encodeURIComponent(bad);
      expect((await ada.get(`/api/mail/connect?files=1&account=${accountId}&returnTo=${q}`)).status).toBe(400);
      expect((await ada.get(`${base()}/drives?returnTo=${q}`)).status).toBe(400);
    }
  });
});

describe('browsing', () => {
  test('drives: the own OneDrive first, then the library', async () => {
    const { status, body } = await ada.getJson<Drive[]>(`${base()}/drives`);
    expect(status).toBe(200);
    expect(body).toEqual([
      { id: driveId, name: 'OneDrive', driveType: 'business' },
      { id: libraryId, name: 'Team Documents', driveType: 'documentLibrary' },
    ]);
  });

  test('children: the root, then a folder page by page through nextCursor', async () => {
    const root = await ada.getJson<Children>(`${base()}/children?driveId=${encodeURIComponent(driveId)}`);
    expect(root.body).toEqual({ items: [{ id: projects, name: 'Projects', isFolder: true, childCount: 6, path: '/Projects' }], fileCount: 0, nextCursor: null });

    app.emulator.drive.setMaxPageSize(4);
    try {
      const names: string[] = [];
      let files = 0;
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: URLSearchParams = new URLSearchParams({ driveId, itemId: projects, ...(cursor ? { cursor } : {}) });
        const page: { status: number; body: Children } = await ada.getJson<Children>(`${base()}/children?${query.toString()}`);
        expect(page.status).toBe(200);
        names.push(...page.body.items.map((i) => i.name));
        files += page.body.fileCount;
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor && pages < 5);
      expect(pages).toBe(2);
      expect(names).toEqual(['Project 1', 'Project 2', 'Project 3', 'Project 4', 'Project 5']);
      expect(files).toBe(1);
    } finally {
      app.emulator.drive.setMaxPageSize(null);
    }
  });

  test('bad input is a 400; other users’ accounts and unreadable drives are 404', async () => {
    expect((await ada.getJson<ErrorBody>(`${base()}/children`)).status).toBe(400);
    for (const bad of ['../../me', '..', 'a b', 'x'.repeat(301)]) {
      expect((await ada.getJson<ErrorBody>(`${base()}/children?driveId=${encodeURIComponent(bad)}`)).status).toBe(400);
      expect((await ada.getJson<ErrorBody>(`${base()}/children?driveId=${encodeURIComponent(driveId)}&itemId=${encodeURIComponent(bad)}`)).status).toBe(400);
    }
    const forged = `g1.${Buffer.from(`http://evil.example/v1.0/drives/${driveId}/items/${projects}/children`).toString('base64url')}`;
    const refused = await ada.getJson<ErrorBody>(`${base()}/children?${new URLSearchParams({ driveId, itemId: projects, cursor: forged }).toString()}`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('invalid_request');
    for (const path of [`${base()}/drives`, `${base()}/children?driveId=${encodeURIComponent(driveId)}`]) {
      const { status, body } = await bob.getJson<ErrorBody>(path);
      expect({ path, status, code: body.error.code }).toEqual({ path, status: 404, code: 'not_found' });
    }
    const foreign = app.emulator.drive.createDrive('someone@contoso.test');
    expect((await ada.getJson<ErrorBody>(`${base()}/children?driveId=${encodeURIComponent(foreign)}`)).status).toBe(404);
  });
});

test('an admin-consented tenant links and syncs without any reconnect', async () => {
  app.emulator.addUser({ email: CAROL, tenantId: OTHER_TENANT });
  const carol = await app.signIn(CAROL);
  const carolAccount = (await carol.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
  const carolDrive = app.emulator.drive.createDrive(CAROL);
  const folder = app.emulator.drive.addFolder(carolDrive, app.emulator.drive.rootId(carolDrive), 'Policies');
  app.emulator.drive.addFile(carolDrive, folder, 'leave.md', 'Leave policy');
  const kb = (await carol.sendJson<{ id: string }>('POST', '/api/knowledge', { name: 'Policies' })).body;
  const body = { accountId: carolAccount, driveId: carolDrive, folderId: folder, folderPath: '/Policies' };
  expect((await carol.sendJson<ErrorBody>('POST', `/api/knowledge/${kb.id}/onedrive`, body)).status).toBe(409);

  app.emulator.grantTenantConsent({ tenantId: OTHER_TENANT, scopes: ['https://graph.microsoft.com/Files.Read.All'] });
  expect((await carol.getJson<Drive[]>(`/api/mail/accounts/${carolAccount}/onedrive/drives`)).body.map((d) => d.id)).toEqual([carolDrive]);
  expect((await carol.sendJson('POST', `/api/knowledge/${kb.id}/onedrive`, body)).status).toBe(202);
  const files = await waitFor(
    async () => {
      const list = (await carol.getJson<Array<{ name: string }>>(`/api/knowledge/${kb.id}/files`)).body;
      return list.length > 0 ? list : undefined;
    },
    { timeoutMs: 20_000, what: 'the first sync' },
  );
  expect(files.map((f) => f.name)).toEqual(['leave.md']);
});

test('no answer from the app ever carried a token, a code or a secret', () => {
  expect(app.secretsInResponses()).toEqual([]);
});

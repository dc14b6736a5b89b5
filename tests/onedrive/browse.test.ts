// The folder picker against the Microsoft emulator through the real token layer: drives (own
// OneDrive first, then libraries), folder children paged by cursor, ownership, and consent asked
// for only when Microsoft says it is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPH_FILES_SCOPE } from '@/lib/microsoft/scopes';
import { listChildren, listDrives, type BrowseContext } from '@/lib/onedrive/browse';
import { createTokenFixture, type TokenFixture } from '../support/tokens';

let f: TokenFixture;
let ctx: BrowseContext;
const fetched: string[] = [];

beforeAll(async () => {
  f = await createTokenFixture();
  const tokens = f.service();
  ctx = {
    db: f.database.db,
    graphUrl: f.emulator.graphUrl,
    cache: f.cache,
    mintGraphToken: async (id, options) => (await tokens.ensureFreshToken(id, 'graph', options)).accessToken,
    fetch: (input, init) => {
      fetched.push(String(input));
      return fetch(input, init);
    },
  };
});
afterAll(() => f?.close());

/** A user whose mailbox also consented to Files.Read.All, with a business OneDrive. */
async function withOneDrive() {
  const seeded = await f.seedCredential();
  f.emulator.issueRefreshToken({ email: seeded.email, scopes: [GRAPH_FILES_SCOPE, 'offline_access'] });
  const driveId = f.emulator.drive.createDrive(seeded.email);
  return { ...seeded, driveId, root: f.emulator.drive.rootId(driveId) };
}

const fail = (p: Promise<unknown>) => p.then(() => undefined, (error: unknown) => error);

describe('drives', () => {
  it('lists the own OneDrive first, then the document libraries of the user’s sites', async () => {
    const ada = await withOneDrive();
    const site = f.emulator.drive.createSite({ name: 'Team', members: [ada.email] });
    const library = f.emulator.drive.createLibrary(site, 'Shared Documents');
    const elsewhere = f.emulator.drive.createLibrary(f.emulator.drive.createSite({ name: 'Other', members: ['x@contoso.example'] }), 'Secret');
    const drives = await listDrives({ userId: ada.userId, accountId: ada.credentialId, ctx });
    expect(drives).toEqual([
      { id: ada.driveId, name: 'OneDrive', driveType: 'business' },
      { id: library, name: 'Shared Documents', driveType: 'documentLibrary' },
    ]);
    expect(drives.some((d) => d.id === elsewhere)).toBe(false);
  });

  it('lists a personal OneDrive', async () => {
    const seeded = await f.seedCredential();
    f.emulator.issueRefreshToken({ email: seeded.email, scopes: [GRAPH_FILES_SCOPE, 'offline_access'] });
    const personal = f.emulator.drive.createDrive(seeded.email, { flavor: 'personal' });
    expect(await listDrives({ userId: seeded.userId, accountId: seeded.credentialId, ctx })).toEqual([{ id: personal, name: 'OneDrive', driveType: 'personal' }]);
  });

  it('another user’s account, a password mailbox or a made-up id are not found (nothing sent to Graph)', async () => {
    const ada = await withOneDrive();
    const bob = await withOneDrive();
    const password = await f.database.db.mailCredential.create({ data: { userId: bob.userId, email: 'imap@example.com', authType: 'password' } });
    const before = fetched.length;
    for (const accountId of [ada.credentialId, password.id, 'nope', '../x']) {
      expect(await fail(listDrives({ userId: bob.userId, accountId, ctx }))).toMatchObject({ code: 'not_found' });
      expect(await fail(listChildren({ userId: bob.userId, accountId, driveId: ada.driveId, ctx }))).toMatchObject({ code: 'not_found' });
    }
    expect(fetched.length).toBe(before);
  });
});

describe('children', () => {
  it('lists the folders of the root with their paths and counts the files beside them', async () => {
    const ada = await withOneDrive();
    const team = f.emulator.drive.addFolder(ada.driveId, ada.root, 'Team');
    f.emulator.drive.addFolder(ada.driveId, team, 'Specs');
    f.emulator.drive.addFile(ada.driveId, team, 'a.txt', 'a');
    f.emulator.drive.addFile(ada.driveId, ada.root, 'top.txt', 't');
    f.emulator.drive.addFile(ada.driveId, ada.root, 'top2.txt', 't');
    const page = await listChildren({ userId: ada.userId, accountId: ada.credentialId, driveId: ada.driveId, ctx });
    expect(page).toEqual({ items: [{ id: team, name: 'Team', isFolder: true, childCount: 2, path: '/Team' }], fileCount: 2, nextCursor: null });
    const inner = await listChildren({ userId: ada.userId, accountId: ada.credentialId, driveId: ada.driveId, itemId: team, ctx });
    expect(inner.items).toEqual([{ id: expect.any(String), name: 'Specs', isFolder: true, childCount: 0, path: '/Team/Specs' }]);
    expect(inner.fileCount).toBe(1);
  });

  it('pages a large folder by cursor, following Graph’s nextLink to the end', async () => {
    const ada = await withOneDrive();
    const big = f.emulator.drive.addFolder(ada.driveId, ada.root, 'Big');
    const names = Array.from({ length: 7 }, (_, i) => `F${i}`);
    for (const name of names) f.emulator.drive.addFolder(ada.driveId, big, name);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listChildren({ userId: ada.userId, accountId: ada.credentialId, driveId: ada.driveId, itemId: big, cursor, pageSize: 3, ctx });
      seen.push(...page.items.map((i) => i.name));
      cursor = page.nextCursor ?? undefined;
      if (cursor) expect(cursor).not.toContain('http');
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(names);
    expect(pages).toBe(3);
  });

  it('refuses a cursor for another drive, folder or origin with 400 before sending anything', async () => {
    const ada = await withOneDrive();
    const big = f.emulator.drive.addFolder(ada.driveId, ada.root, 'Big');
    const other = f.emulator.drive.addFolder(ada.driveId, ada.root, 'Other');
    for (let i = 0; i < 3; i++) f.emulator.drive.addFolder(ada.driveId, big, `F${i}`);
    const first = await listChildren({ userId: ada.userId, accountId: ada.credentialId, driveId: ada.driveId, itemId: big, pageSize: 2, ctx });
    expect(first.nextCursor).toBeTruthy();
    const before = fetched.length;
    const foreign = `g1.${Buffer.from(`http://evil.example/v1.0/drives/${ada.driveId}/items/${big}/children`).toString('base64url')}`;
    const attempts = [
      { itemId: other, cursor: first.nextCursor! },
      { itemId: big, cursor: foreign },
      { itemId: big, cursor: 'garbage' },
    ];
    for (const attempt of attempts) {
      expect(await fail(listChildren({ userId: ada.userId, accountId: ada.credentialId, driveId: ada.driveId, ...attempt, ctx }))).toMatchObject({ code: 'invalid_request' });
    }
    expect(await fail(listChildren({ userId: ada.userId, accountId: ada.credentialId, driveId: 'b!another', itemId: big, cursor: first.nextCursor!, ctx }))).toMatchObject({
      code: 'invalid_request',
    });
    expect(fetched.length).toBe(before);
    // Every request the picker made went to the configured Graph origin.
    expect(fetched.every((u) => u.startsWith(`${f.emulator.graphUrl}/`))).toBe(true);
  });

  it('a drive the account cannot read, or an unknown folder, is not found', async () => {
    const ada = await withOneDrive();
    const bob = await withOneDrive();
    expect(await fail(listChildren({ userId: ada.userId, accountId: ada.credentialId, driveId: bob.driveId, ctx }))).toMatchObject({ code: 'not_found' });
    expect(await fail(listChildren({ userId: ada.userId, accountId: ada.credentialId, driveId: ada.driveId, itemId: '01NOSUCHITEM', ctx }))).toMatchObject({ code: 'not_found' });
  });

  it('Graph throttling beyond the interactive budget is a 503 with Retry-After', async () => {
    const ada = await withOneDrive();
    f.emulator.drive.throttle({ status: 429, retryAfterSeconds: 120, times: 1 });
    try {
      expect(await fail(listChildren({ userId: ada.userId, accountId: ada.credentialId, driveId: ada.driveId, ctx }))).toMatchObject({ code: 'upstream_unavailable', retryAfter: expect.any(Number) });
    } finally {
      f.emulator.drive.clearThrottling();
      await f.cache.del(`onedrive:throttle:${ada.credentialId}`);
    }
  });
});

describe('consent', () => {
  it('asks for it (409 with reconnectUrl and returnTo) only when Microsoft says it is missing, and never marks the mailbox', async () => {
    const mailOnly = await f.seedCredential();
    f.emulator.drive.createDrive(mailOnly.email);
    const returnTo = '/knowledge/kb1';
    const error = await fail(listDrives({ userId: mailOnly.userId, accountId: mailOnly.credentialId, returnTo, ctx }));
    expect(error).toMatchObject({
      code: 'needs_reauth',
      reconnectUrl: `/api/mail/connect?files=1&account=${mailOnly.credentialId}&returnTo=${encodeURIComponent(returnTo)}`,
    });
    expect(f.emulator.tokenRequestLog.at(-1)).toMatchObject({ resource: 'graph', status: 400, error: 'invalid_grant' });
    const row = await f.database.db.mailCredential.findUniqueOrThrow({ where: { id: mailOnly.credentialId } });
    expect(row.status).toBe('active');
  });

  it('an admin-consented tenant needs no reconnect: the Graph token is minted and listing works', async () => {
    const tenant = '7a1c2a7e-0000-4000-8000-00000000abcd';
    const user = f.emulator.addUser({ email: `admin-consented@${tenant.slice(0, 4)}.example`, tenantId: tenant });
    const seeded = await f.seedCredential(user.email);
    const driveId = f.emulator.drive.createDrive(seeded.email);
    expect(await fail(listDrives({ userId: seeded.userId, accountId: seeded.credentialId, ctx }))).toMatchObject({ code: 'needs_reauth' });
    f.emulator.grantTenantConsent({ tenantId: tenant, scopes: [GRAPH_FILES_SCOPE] });
    expect(await listDrives({ userId: seeded.userId, accountId: seeded.credentialId, ctx })).toEqual([{ id: driveId, name: 'OneDrive', driveType: 'business' }]);
  });
});

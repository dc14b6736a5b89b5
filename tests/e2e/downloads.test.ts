// Downloads over HTTP against the production build: mail attachments streamed from a real Dovecot
// and synced knowledge files from the database. Bytes as attached, safe headers, hostile names
// and types defused, ownership and sign-in enforced, and a client that hangs up mid-download
// frees the mailbox's IMAP session.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import { buildMimeEml, rfc2231 } from '../support/mail-fixtures';
import { waitFor } from '../support/net';

interface Attachment { id: string; filename: string | null; contentType: string; size: number }
interface ErrorBody { error: { code: string; message: string } }

const ADA = 'ada@contoso.test';
const BOB = 'bob@contoso.test';

const PDF = randomBytes(300_000);
const HTML = Buffer.from('<html><body><script>alert(document.cookie)</script></body></html>');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
const HOSTILE = Buffer.from('hostile name');
const UNICODE = randomBytes(1_000);
const BIG = randomBytes(4 * 1024 * 1024);
const HOSTILE_NAME = '../../"evil"\r\nX-Injected: 1\\name.txt';

let app: TestApp;
let ada: SignedIn;
let bob: SignedIn;
let account: string;
let uid: number;
let bigUid: number;
let attachments: Attachment[];

const url = (id: string, messageUid = uid, mailbox = 'INBOX') => `/api/mail/accounts/${account}/messages/${messageUid}/attachments/${id}?mailbox=${mailbox}`;
const byName = (name: string) => attachments.find((a) => a.filename === name)!;

beforeAll(async () => {
  app = await startApp({ users: [ADA, BOB] });
  uid = await app.dovecot!.save(
    ADA,
    buildMimeEml(
      {
        multipart: 'mixed',
        parts: [
          { type: 'text/plain; charset=utf-8', content: 'Files attached.', encoding: '7bit' },
          { type: 'application/pdf; name="report.pdf"', headers: ['Content-Disposition: attachment; filename="report.pdf"'], content: PDF },
          { type: 'text/html; name="page.html"', headers: ['Content-Disposition: attachment; filename="page.html"'], content: HTML },
          { type: 'image/svg+xml; name="logo.svg"', headers: ['Content-Disposition: attachment; filename="logo.svg"'], content: SVG },
          { type: 'text/plain', headers: [`Content-Disposition: attachment; filename*=${rfc2231(HOSTILE_NAME)}`], content: HOSTILE },
          { type: 'application/octet-stream', headers: [`Content-Disposition: attachment; filename*=${rfc2231('Résumé 日本.bin')}`], content: UNICODE },
        ],
      },
      { subject: 'Attachments', to: ADA },
    ),
  );
  bigUid = await app.dovecot!.save(
    ADA,
    buildMimeEml(
      {
        multipart: 'mixed',
        parts: [
          { type: 'text/plain', content: 'Big file.', encoding: '7bit' },
          { type: 'application/zip', headers: ['Content-Disposition: attachment; filename="big.zip"'], content: BIG },
        ],
      },
      { subject: 'Big', to: ADA },
    ),
  );
  ada = await app.signIn(ADA);
  bob = await app.signIn(BOB);
  account = (await ada.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
});
afterAll(async () => {
  await app?.stop();
});

describe('mail attachments', () => {
  test('the message page links each attachment to its download route (page first, as a person does)', async () => {
    const page = await ada.get(`/inbox/${account}/${uid}?mailbox=INBOX`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<a href="/api/mail/accounts/${account}/messages/${uid}/attachments/2?mailbox=INBOX" download="">report.pdf</a>`);
    expect(html).toContain(`<a href="/api/mail/accounts/${account}/messages/${uid}/attachments/3?mailbox=INBOX" download="">page.html</a>`);
  });

  test('the message JSON lists attachments with ids', async () => {
    const { status, body } = await ada.getJson<{ attachments: Attachment[] }>(`/api/mail/accounts/${account}/messages/${uid}?mailbox=INBOX`);
    expect(status).toBe(200);
    attachments = body.attachments;
    expect(attachments).toEqual([
      { id: '2', filename: 'report.pdf', contentType: 'application/pdf', size: PDF.length },
      { id: '3', filename: 'page.html', contentType: 'text/html', size: HTML.length },
      { id: '4', filename: 'logo.svg', contentType: 'image/svg+xml', size: SVG.length },
      { id: '5', filename: HOSTILE_NAME, contentType: 'text/plain', size: HOSTILE.length },
      { id: '6', filename: 'Résumé 日本.bin', contentType: 'application/octet-stream', size: UNICODE.length },
    ]);
  });

  test('a download is the attached bytes, with safe headers', async () => {
    const response = await ada.get(url(byName('report.pdf').id));
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(PDF)).toBe(true);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="report.pdf"');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox; frame-ancestors 'none'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  test('types a browser would run are served as application/octet-stream', async () => {
    for (const [name, bytes] of [['page.html', HTML], ['logo.svg', SVG]] as const) {
      const response = await ada.get(url(byName(name).id));
      expect({ name, status: response.status, type: response.headers.get('content-type') }).toEqual({ name, status: 200, type: 'application/octet-stream' });
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${name}"`);
      expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    }
  });

  test('a hostile file name is sanitized; a non-ASCII one keeps its name in filename*', async () => {
    const hostile = await ada.get(url(byName(HOSTILE_NAME).id));
    expect(hostile.status).toBe(200);
    const disposition = hostile.headers.get('content-disposition')!;
    // One path segment, no quotes, no line break: nothing to break out of the header with.
    expect(disposition).toBe('attachment; filename="_..__evil_ X-Injected_ 1_name.txt"');
    expect(hostile.headers.get('x-injected')).toBeNull();
    expect(Buffer.from(await hostile.arrayBuffer()).equals(HOSTILE)).toBe(true);

    const unicode = await ada.get(url(byName('Résumé 日本.bin').id));
    expect(unicode.headers.get('content-disposition')).toBe(`attachment; filename="R_sum_ __.bin"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%E6%97%A5%E6%9C%AC.bin`);
    expect(Buffer.from(await unicode.arrayBuffer()).equals(UNICODE)).toBe(true);
  });

  test('bad ids and uids are 400, missing parts and messages 404', async () => {
    for (const path of [url('0'), url('abc'), url('2.MIME'), url('1..2'), url('2', Number.NaN), url('x%0D%0A', uid), `/api/mail/accounts/${account}/messages/-1/attachments/2`, url('2', uid, 'INBOX%0D%0A')]) {
      const { status, body } = await ada.getJson<ErrorBody>(path);
      expect({ path, status, code: body.error.code }).toEqual({ path, status: 400, code: 'invalid_request' });
    }
    for (const path of [url('9'), url('1'), url('2', 999_999), url('2', uid, 'Nowhere')]) {
      const { status, body } = await ada.getJson<ErrorBody>(path);
      expect({ path, status, code: body.error.code }).toEqual({ path, status: 404, code: 'not_found' });
    }
  });

  test("another user's attachment is 404, and without a session it is 401", async () => {
    const other = await bob.getJson<ErrorBody>(url('2'));
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('not_found');
    // Exactly as for a mailbox that does not exist.
    expect((await bob.getJson<ErrorBody>(`/api/mail/accounts/no-such/messages/${uid}/attachments/2`)).body).toEqual(other.body);
    const anonymous = await app.client().getJson<ErrorBody>(url('2'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthenticated');
  });

  test('a client hanging up mid-download frees the IMAP session', async () => {
    const bigUrl = url('2', bigUid);
    // More aborted downloads than the pool has sessions for the mailbox (2).
    for (let i = 0; i < 4; i++) {
      const controller = new AbortController();
      const response = await ada.stream(bigUrl, { signal: controller.signal });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      const first = await reader.read();
      expect(first.value?.length).toBeGreaterThan(0);
      controller.abort();
      await reader.cancel().catch(() => undefined);
    }
    const started = Date.now();
    const message = await ada.getJson<{ subject: string }>(`/api/mail/accounts/${account}/messages/${bigUid}?mailbox=INBOX`);
    expect(message.status).toBe(200);
    expect(message.body.subject).toBe('Big');
    expect(Date.now() - started).toBeLessThan(10_000);
    // And a full download afterwards is intact.
    const full = await ada.stream(bigUrl);
    expect(Buffer.from(await full.arrayBuffer()).equals(BIG)).toBe(true);
  });

  test('HEAD answers with the headers and frees the IMAP session at once', async () => {
    for (let i = 0; i < 3; i++) {
      const head = await ada.fetch(url('2', bigUid), { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-disposition')).toBe('attachment; filename="big.zip"');
    }
    const started = Date.now();
    expect((await ada.getJson(`/api/mail/accounts/${account}/mailboxes`)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('synced knowledge files', () => {
  let kbId: string;
  let driveId: string;
  const markdown = Buffer.from('# Handbook\n\nWelcome.\n');
  const page = Buffer.from('<script>alert(1)</script>');
  const binary = randomBytes(1_300_000);

  beforeAll(async () => {
    // OneDrive access for Ada's mailbox (incremental consent), a folder with files, a linked
    // knowledge base, and its first sync.
    app.emulator.setDefaultUser(ADA);
    const start = await ada.get(`/api/mail/connect?files=1&account=${account}`);
    const back = await ada.get(start.headers.get('location')!);
    expect((await ada.get(back.headers.get('location')!)).status).toBe(302);
    driveId = app.emulator.drive.createDrive(ADA);
    const folderId = app.emulator.drive.addFolder(driveId, app.emulator.drive.rootId(driveId), 'Team');
    app.emulator.drive.addFile(driveId, folderId, 'handbook.md', markdown, { mimeType: 'text/markdown' });
    app.emulator.drive.addFile(driveId, folderId, 'page.html', page, { mimeType: 'text/html' });
    app.emulator.drive.addFile(driveId, folderId, 'Données.bin', binary, { mimeType: 'application/octet-stream' });
    kbId = (await ada.sendJson<{ id: string }>('POST', '/api/knowledge', { name: 'Team' })).body.id;
    expect((await ada.sendJson('POST', `/api/knowledge/${kbId}/onedrive`, { accountId: account, driveId, folderId, folderPath: '/Team' })).status).toBe(202);
    await waitFor(async () => (await ada.getJson<Array<{ name: string }>>(`/api/knowledge/${kbId}/files`)).body.length === 3 || undefined, {
      timeoutMs: 30_000,
      what: 'the first sync',
    });
  });

  async function itemIdOf(name: string): Promise<string> {
    const files = (await ada.getJson<Array<{ itemId: string; name: string }>>(`/api/knowledge/${kbId}/files`)).body;
    return files.find((f) => f.name === name)!.itemId;
  }

  test('a synced file downloads byte for byte, with safe headers', async () => {
    const itemId = await itemIdOf('handbook.md');
    const response = await ada.get(`/api/knowledge/${kbId}/files/${encodeURIComponent(itemId)}/content`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/markdown');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="handbook.md"');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox; frame-ancestors 'none'");
    expect(Buffer.from(await response.arrayBuffer()).equals(markdown)).toBe(true);

    const big = await ada.get(`/api/knowledge/${kbId}/files/${encodeURIComponent(await itemIdOf('Données.bin'))}/content`);
    expect(big.headers.get('content-disposition')).toBe(`attachment; filename="Donn_es.bin"; filename*=UTF-8''Donn%C3%A9es.bin`);
    expect(Buffer.from(await big.arrayBuffer()).equals(binary)).toBe(true);
  });

  test('an HTML file is served as application/octet-stream', async () => {
    const response = await ada.get(`/api/knowledge/${kbId}/files/${encodeURIComponent(await itemIdOf('page.html'))}/content`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await response.arrayBuffer()).equals(page)).toBe(true);
  });

  test("another user's file is 404, a missing one too, and without a session it is 401", async () => {
    const itemId = await itemIdOf('handbook.md');
    const path = `/api/knowledge/${kbId}/files/${encodeURIComponent(itemId)}/content`;
    const other = await bob.getJson<ErrorBody>(path);
    expect({ status: other.status, code: other.body.error.code }).toEqual({ status: 404, code: 'not_found' });
    // Bob's own knowledge base does not reach Ada's files either.
    const bobKb = (await bob.sendJson<{ id: string }>('POST', '/api/knowledge', { name: 'Mine' })).body.id;
    expect((await bob.getJson<ErrorBody>(`/api/knowledge/${bobKb}/files/${encodeURIComponent(itemId)}/content`)).status).toBe(404);
    expect((await ada.getJson<ErrorBody>(`/api/knowledge/${kbId}/files/NO-SUCH-ITEM/content`)).status).toBe(404);
    expect((await ada.getJson<ErrorBody>(`/api/knowledge/${kbId}/files/${'x'.repeat(450)}/content`)).status).toBe(400);
    const anonymous = await app.client().getJson<ErrorBody>(path);
    expect({ status: anonymous.status, code: anonymous.body.error.code }).toEqual({ status: 401, code: 'unauthenticated' });
  });
});

test('no answer from the app ever carried a token, a code or a secret', () => {
  expect(app.secretsInResponses()).toEqual([]);
});

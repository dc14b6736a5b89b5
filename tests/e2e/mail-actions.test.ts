// Acting on mail over HTTP against the production build: flags, move, delete and search, with
// real IMAP (Dovecot, XOAUTH2 checked by the emulator), ownership and bad input.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import { buildEml } from '../support/mail-fixtures';

interface Summary { uid: number; subject: string; flags: string[] }
interface Page { messages: Summary[]; nextCursor: string | null }
interface ErrorBody { error: { code: string; message: string } }

const ADA = 'ada@contoso.test';
let app: TestApp;
let ada: SignedIn;
let bob: SignedIn;
let account: string;
let base: string;

beforeAll(async () => {
  app = await startApp({ users: [ADA] });
  for (let i = 1; i <= 3; i++) await app.dovecot!.save(ADA, buildEml({ to: ADA, subject: `Invoice ${i}`, date: new Date(Date.UTC(2024, 0, i)), text: 'Amount due' }));
  await app.dovecot!.save(ADA, buildEml({ to: ADA, subject: 'Lunch?', text: 'About the invoice from yesterday' }));
  await app.dovecot!.save(ADA, buildEml({ to: ADA, subject: 'Weekend', text: 'Hiking' }));
  ada = await app.signIn(ADA);
  bob = await app.signIn('bob@contoso.test');
  account = (await ada.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
  base = `/api/mail/accounts/${account}/messages`;
});
afterAll(async () => {
  await app?.stop();
});

const list = async (query = '') => (await ada.getJson<Page>(`${base}${query}`)).body;
const uidOf = async (subject: string, mailbox = 'INBOX') => (await list(`?mailbox=${encodeURIComponent(mailbox)}`)).messages.find((m) => m.subject === subject)!.uid;

describe('flags', () => {
  test('PATCH sets and clears seen and flagged and answers the flags', async () => {
    const uid = await uidOf('Weekend');
    const set = await ada.sendJson<{ flags: string[] }>('PATCH', `${base}/${uid}?mailbox=INBOX`, { seen: true, flagged: true });
    expect(set).toMatchObject({ status: 200, body: { flags: ['\\Flagged', '\\Seen'] } });
    const cleared = await ada.sendJson<{ flags: string[] }>('PATCH', `${base}/${uid}?mailbox=INBOX`, { seen: false });
    expect(cleared.body).toEqual({ flags: ['\\Flagged'] });
    // Reading the message through the API changes nothing.
    expect((await ada.getJson<{ flags: string[] }>(`${base}/${uid}`)).body.flags).toEqual(['\\Flagged']);
    expect((await list()).messages.find((m) => m.uid === uid)!.flags).toEqual(['\\Flagged']);
  });

  test('bad bodies are 400 and change nothing', async () => {
    const uid = await uidOf('Weekend');
    for (const body of [{}, { seen: 'yes' }, { seen: true, deleted: true }, '[]', 'not json']) {
      const { status, body: answer } = await ada.sendJson<ErrorBody>('PATCH', `${base}/${uid}`, body);
      expect({ body, status, code: answer.error.code }).toEqual({ body, status: 400, code: 'invalid_request' });
    }
    expect((await list()).messages.find((m) => m.uid === uid)!.flags).toEqual(['\\Flagged']);
    expect((await ada.sendJson<ErrorBody>('PATCH', `${base}/999999`, { seen: true })).status).toBe(404);
  });
});

describe('move and delete', () => {
  test('POST move answers the UID in the target; the message is there and gone from here', async () => {
    const uid = await uidOf('Invoice 1');
    const { status, body } = await ada.sendJson<{ uid: number | null }>('POST', `${base}/${uid}/move?mailbox=INBOX`, { to: 'Archive' });
    expect(status).toBe(200);
    expect(body.uid).toEqual(expect.any(Number));
    expect((await list()).messages.map((m) => m.subject)).not.toContain('Invoice 1');
    const archived = await ada.getJson<{ subject: string }>(`${base}/${body.uid}?mailbox=Archive`);
    expect(archived.body.subject).toBe('Invoice 1');
  });

  test('an unknown target is 404, the same folder or a bad target 400, and nothing moves', async () => {
    const uid = await uidOf('Invoice 2');
    const cases: Array<[unknown, number]> = [[{ to: 'No such folder' }, 404], [{ to: 'INBOX' }, 400], [{ to: 'INBOX\r\nA1 LOGOUT' }, 400], [{}, 400]];
    for (const [body, expected] of cases) {
      expect({ body, status: (await ada.sendJson('POST', `${base}/${uid}/move`, body)).status }).toEqual({ body, status: expected });
    }
    expect((await list()).messages.map((m) => m.subject)).toContain('Invoice 2');
  });

  test('DELETE moves to Deleted Items (\\Trash); from there it is gone for good', async () => {
    const uid = await uidOf('Invoice 2');
    expect((await ada.sendJson('DELETE', `${base}/${uid}?mailbox=INBOX`)).status).toBe(204);
    expect((await list()).messages.map((m) => m.subject)).not.toContain('Invoice 2');
    const trashed = await uidOf('Invoice 2', 'Deleted Items');
    expect((await ada.sendJson('DELETE', `${base}/${trashed}?mailbox=${encodeURIComponent('Deleted Items')}`)).status).toBe(204);
    expect((await list(`?mailbox=${encodeURIComponent('Deleted Items')}`)).messages).toEqual([]);
    expect((await ada.sendJson('DELETE', `${base}/${trashed}?mailbox=${encodeURIComponent('Deleted Items')}`)).status).toBe(404);
  });
});

describe('search', () => {
  test('q finds subject and body matches, newest first, paged', async () => {
    const first = await list('?q=invoice&limit=1');
    expect(first.messages.map((m) => m.subject)).toEqual(['Lunch?']);
    const second = await list(`?q=invoice&limit=1&cursor=${first.nextCursor}`);
    expect(second.messages.map((m) => m.subject)).toEqual(['Invoice 3']);
    expect(second.nextCursor).toBeNull();
    expect((await list('?q=hiking')).messages.map((m) => m.subject)).toEqual(['Weekend']);
  });

  test('q too long or with control characters is 400', async () => {
    for (const q of ['x'.repeat(201), 'a%0D%0AA1%20LOGOUT', '%09']) {
      const { status } = await ada.getJson(`${base}?q=${q}`);
      expect({ q, status }).toEqual({ q, status: 400 });
    }
  });
});

test("another user's messages are not found, and without a session every action is 401", async () => {
  const uid = await uidOf('Invoice 3');
  expect((await bob.sendJson('PATCH', `${base}/${uid}`, { seen: true })).status).toBe(404);
  expect((await bob.sendJson('POST', `${base}/${uid}/move`, { to: 'Archive' })).status).toBe(404);
  expect((await bob.sendJson('DELETE', `${base}/${uid}`)).status).toBe(404);
  expect((await bob.getJson(`${base}?q=invoice`)).status).toBe(404);
  const anonymous = app.client();
  expect((await anonymous.sendJson('PATCH', `${base}/${uid}`, { seen: true })).status).toBe(401);
  expect((await anonymous.sendJson('POST', `${base}/${uid}/move`, { to: 'Archive' })).status).toBe(401);
  expect((await anonymous.sendJson('DELETE', `${base}/${uid}`)).status).toBe(401);
  // A cross-site page cannot act on mail.
  const crossSite = await ada.fetch(`${base}/${uid}`, { method: 'DELETE', headers: { origin: 'https://evil.example' } });
  expect(crossSite.status).toBe(400);
  expect((await list()).messages.map((m) => m.subject)).toContain('Invoice 3');
});

test('no answer from the app ever carried a token, a code or a secret', () => {
  expect(app.secretsInResponses()).toEqual([]);
});

// Live updates over HTTP against the production build, with real IMAP (Dovecot, XOAUTH2 checked
// by the emulator): the events route streams ready, new mail, flag changes and deletions; several
// listeners share one IDLE session per folder; the session logs out after the last listener
// leaves; a bounded number of folders per mailbox; SIGTERM ends the streams and logs the session
// out; sessions and ownership are checked.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import { buildEml } from '../support/mail-fixtures';
import { waitFor } from '../support/net';
import { readSse } from '../support/sse';

interface ErrorBody { error: { code: string; message: string } }

const ADA = 'ada@contoso.test';
const CAROL = 'carol@contoso.test';
let app: TestApp;
let ada: SignedIn;
let bob: SignedIn;
let carol: SignedIn;
let account: string;
let carolAccount: string;

const events = (id: string, mailbox = 'INBOX') => `/api/mail/accounts/${id}/events?mailbox=${encodeURIComponent(mailbox)}`;

beforeAll(async () => {
  app = await startApp({ users: [ADA, CAROL] });
  await app.dovecot!.save(ADA, buildEml({ to: ADA, subject: 'Old news' }));
  ada = await app.signIn(ADA);
  bob = await app.signIn('bob@contoso.test');
  carol = await app.signIn(CAROL);
  account = (await ada.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
  carolAccount = (await carol.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
});
afterAll(async () => {
  await app?.stop();
});

describe('who may listen', () => {
  test('without a session → 401, another user’s account or an unknown one → 404, a bad or unknown folder → 400 / 404', async () => {
    const anonymous = await app.client().getJson<ErrorBody>(events(account));
    expect({ status: anonymous.status, code: anonymous.body.error.code }).toEqual({ status: 401, code: 'unauthenticated' });
    for (const id of [account, 'no-such-account']) {
      const other = await bob.getJson<ErrorBody>(events(id));
      expect({ id, status: other.status, code: other.body.error.code }).toEqual({ id, status: 404, code: 'not_found' });
    }
    const bad = await ada.getJson<ErrorBody>(events(account, 'INBOX\r\nA1 LOGOUT'));
    expect({ status: bad.status, code: bad.body.error.code }).toEqual({ status: 400, code: 'invalid_request' });
    const unknown = await ada.getJson<ErrorBody>(events(account, 'No such folder'));
    expect({ status: unknown.status, code: unknown.body.error.code }).toEqual({ status: 404, code: 'not_found' });
    expect(app.secretsInResponses()).toEqual([]);
  });
});

describe('events', () => {
  test('ready, then new mail, flag changes and deletions as they happen', async () => {
    const abort = new AbortController();
    const response = await ada.stream(events(account), { signal: abort.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toContain('no-transform');
    const sse = readSse(response);
    expect((await sse.next('ready')).data).toMatchObject({ mailbox: 'INBOX', count: 1 });

    const uid = await app.dovecot!.save(ADA, buildEml({ from: 'Grace Hopper <grace@fabrikam.test>', to: ADA, subject: 'Delivered just now' }));
    const exists = await sse.next('exists');
    expect(exists.data).toMatchObject({ count: 2, messages: [{ uid, subject: 'Delivered just now', from: { name: 'Grace Hopper', address: 'grace@fabrikam.test' }, flags: [] }] });

    let from = sse.events.length;
    expect((await ada.sendJson('PATCH', `/api/mail/accounts/${account}/messages/${uid}?mailbox=INBOX`, { flagged: true })).status).toBe(200);
    expect((await sse.next('flags', { from })).data).toEqual({ uid, flags: ['\\Flagged'] });

    from = sse.events.length;
    expect((await ada.sendJson('DELETE', `/api/mail/accounts/${account}/messages/${uid}?mailbox=INBOX`)).status).toBe(204);
    expect((await sse.next('expunge', { from })).data).toEqual({ uid });
    abort.abort();
    await sse.closed;
  });

  test('one IDLE session per folder however many listeners; logged out after the last leaves', async () => {
    const dovecot = app.dovecot!;
    const logins = dovecot.loginCount(CAROL);
    const aborts = [new AbortController(), new AbortController(), new AbortController()];
    const streams = await Promise.all(aborts.map((a) => carol.stream(events(carolAccount), { signal: a.signal }).then(readSse)));
    await Promise.all(streams.map((s) => s.next('ready')));
    expect(dovecot.loginCount(CAROL) - logins).toBe(1);
    expect(await dovecot.openSessions(CAROL)).toBe(1);
    const uid = await dovecot.save(CAROL, buildEml({ to: CAROL, subject: 'Seen in every tab' }));
    for (const s of streams) expect(((await s.next('exists')).data as { messages: Array<{ uid: number }> }).messages[0]!.uid).toBe(uid);

    aborts[0]!.abort();
    aborts[1]!.abort();
    await Promise.all([streams[0]!.closed, streams[1]!.closed]);
    expect(await dovecot.openSessions(CAROL)).toBe(1);
    aborts[2]!.abort();
    await streams[2]!.closed;
    await waitFor(async () => (await dovecot.openSessions(CAROL)) === 0, { timeoutMs: 20_000, what: 'the IDLE session to log out' });
  });

  test('at most four folders of one mailbox are watched at once: a fifth is 503 with Retry-After', async () => {
    const abort = new AbortController();
    const folders = ['INBOX', 'Archive', 'Drafts', 'Junk Email'];
    const streams = await Promise.all(folders.map((f) => carol.stream(events(carolAccount, f), { signal: abort.signal }).then(readSse)));
    await Promise.all(streams.map((s) => s.next('ready')));
    const fifth = await carol.getJson<ErrorBody>(events(carolAccount, 'Sent Items'));
    expect({ status: fifth.status, code: fifth.body.error.code }).toEqual({ status: 503, code: 'upstream_unavailable' });
    expect(fifth.response.headers.get('retry-after')).toBe('30');
    abort.abort();
    await Promise.all(streams.map((s) => s.closed));
  });

  // Last: it stops the app.
  test('SIGTERM ends the streams and logs the IDLE session out', async () => {
    const sse = readSse(await ada.stream(events(account)));
    await sse.next('ready');
    expect(await app.dovecot!.openSessions(ADA)).toBeGreaterThan(0);
    const exit = await app.terminate(0);
    expect(exit.code).toBe(143);
    await sse.closed;
    // The shutdown's first step said goodbye on the stream before the process went.
    expect(sse.events.at(-1)).toEqual({ event: 'end', data: { reason: 'shutdown' } });
    expect(await app.dovecot!.openSessions(ADA)).toBe(0);
  });
});

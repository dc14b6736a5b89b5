// The production build's route wrapper against a browser's view: cross-site state changes are
// refused before anything happens, JSON bodies must say so, and a user's writes are rate
// limited (in Redis, shared by every instance) without touching anyone else's allowance.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApp, type SignedIn, type TestApp } from '../support/app';

interface ErrorBody { error: { code: string; message: string } }

let app: TestApp;
let ada: SignedIn;
let bob: SignedIn;

beforeAll(async () => {
  app = await startApp({ dovecot: false, users: ['ada@contoso.test', 'bob@contoso.test'] });
  ada = await app.signIn('ada@contoso.test');
  bob = await app.signIn('bob@contoso.test');
});
afterAll(async () => {
  await app?.stop();
});

const knowledgeBases = (userId: string) => app.db.knowledgeBase.count({ where: { userId } });
const post = (client: SignedIn, headers: Record<string, string>, body = '{"name":"Docs"}') =>
  client.fetch('/api/knowledge', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

test('a signed-in user’s browser, driven by another site, changes nothing', async () => {
  for (const headers of [{ origin: 'https://evil.example' }, { origin: 'null' }]) {
    const response = await post(ada, headers);
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error).toEqual({ code: 'invalid_request', message: 'Cross-site request refused' });
  }
  // Without Origin, Fetch Metadata decides (sent past the client, which always adds an Origin).
  const session = ada.cookie('next-auth.session-token');
  expect(session).toBeDefined();
  const viaFetchMetadata = await fetch(`${app.url}/api/knowledge`, {
    method: 'POST',
    headers: { cookie: `next-auth.session-token=${session}`, 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
    body: '{"name":"Docs"}',
  });
  expect(viaFetchMetadata.status).toBe(400);
  const form = await post(ada, { 'content-type': 'text/plain' });
  expect(form.status).toBe(400);
  expect(await knowledgeBases(ada.userId)).toBe(0);
  // The same request from the app's own origin (what the client sends by default) goes through.
  expect((await post(ada, {})).status).toBe(201);
  expect(await knowledgeBases(ada.userId)).toBe(1);
});

test('creating knowledge bases is limited per user, with Retry-After', async () => {
  const before = await knowledgeBases(ada.userId);
  let created = 0;
  let refused: Response | undefined;
  for (let i = 0; i < 40 && !refused; i++) {
    const response = await post(ada, {});
    if (response.status === 201) created++;
    else refused = response;
  }
  // 30 per 10 minutes; the first test used one or two (a window may have turned in between).
  expect(created).toBeGreaterThanOrEqual(28);
  expect(created).toBeLessThanOrEqual(30);
  expect(refused?.status).toBe(400);
  expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(((await refused!.json()) as ErrorBody).error.message).toMatch(/^Too many requests; try again in \d+ seconds$/);
  expect(await knowledgeBases(ada.userId)).toBe(before + created);
  // Bob's allowance is his own.
  expect((await post(bob, {})).status).toBe(201);
});

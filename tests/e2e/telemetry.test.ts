// OpenTelemetry on the production build: with OTEL_EXPORTER_OTLP_ENDPOINT the app exports its
// metrics and traces to a real OTLP/HTTP receiver (tests/support/otlp-receiver.ts); without it
// nothing is sent and no SDK package is loaded (the process's requires are traced).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { looksLikeToken } from '@/lib/telemetry';
import { startApp, type SignedIn, type TestApp } from '../support/app';
import { buildEml } from '../support/mail-fixtures';
import { waitFor } from '../support/net';
import { startOtlpReceiver, total, type OtlpReceiver, type Point } from '../support/otlp-receiver';

const ADA = 'ada@contoso.test';
const BOB = 'bob@contoso.test';
const MODULE_TRACE = path.resolve(__dirname, '../support/module-trace.cjs');
const DAY_MS = 86_400_000;

function traceEnv(file: string): Record<string, string> {
  return { NODE_OPTIONS: `--require ${MODULE_TRACE}`, MODULE_TRACE_FILE: file };
}

function loadedPackages(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[1]!);
}

const SDK_PACKAGES = /@opentelemetry\/(sdk-|exporter-|resources|otlp-)/;

async function runCron(app: TestApp): Promise<Record<string, unknown>> {
  const response = await app.client().fetch('/api/cron/refresh', { method: 'POST', headers: { authorization: `Bearer ${app.cronSecret}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let otlp: OtlpReceiver;
  let app: TestApp;
  let ada: SignedIn;
  let bob: SignedIn;
  let adaId: string;
  let bobId: string;
  const modules = path.join(mkdtempSync(path.join(tmpdir(), 'mb-otel-')), 'modules.txt');

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    app = await startApp({
      users: [ADA, BOB],
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_METRIC_EXPORT_INTERVAL: '300',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_SERVICE_NAME: 'mailbridge-test',
        ...traceEnv(modules),
      },
    });
    await app.dovecot!.save(ADA, buildEml({ to: ADA, subject: 'Hello Ada' }));
    await app.dovecot!.save(BOB, buildEml({ to: BOB, subject: 'Hello Bob' }));
    ada = await app.signIn(ADA);
    bob = await app.signIn(BOB);
    adaId = (await ada.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
    bobId = (await bob.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
  });
  afterAll(async () => {
    await app?.stop();
    await otlp?.close();
  });

  test('the SDK is loaded and says so', () => {
    const loaded = loadedPackages(modules);
    expect(loaded.some((p) => p.includes('@opentelemetry/sdk-metrics'))).toBe(true);
    expect(loaded.some((p) => p.includes('@opentelemetry/exporter-metrics-otlp-http'))).toBe(true);
  });

  test('a refresh: counted by outcome and class, timed, and the token layer served from its layers', async () => {
    const messages = `/api/mail/accounts/${adaId}/messages`;
    expect((await ada.getJson(messages)).status).toBe(200);
    // The access token dies at Microsoft: IMAP rejects it and the token layer refreshes.
    app.emulator.expireAccessTokens(ADA);
    await app.dovecot!.kick(ADA);
    const page = await ada.getJson<{ messages: Array<{ subject: string }> }>(messages);
    expect(page.status).toBe(200);
    expect(page.body.messages.map((m) => m.subject)).toEqual(['Hello Ada']);
    // Served again from the cache (Redis) without asking Microsoft.
    expect((await ada.getJson(messages)).status).toBe(200);

    await otlp.waitForMetric('mailbridge.token.refreshes', (p) =>
      total(p, { 'mailbridge.outcome': 'refreshed', 'mailbridge.class': 'ok', 'mailbridge.token.resource': 'imap' }) >= 1,
    );
    const duration = await otlp.waitForMetric('mailbridge.token.refresh.duration', (p) => total(p, { 'mailbridge.outcome': 'ok' }) >= 1);
    expect(duration.find((p) => p.attributes['mailbridge.outcome'] === 'ok')!.sum).toBeGreaterThan(0);
    await otlp.waitForMetric('mailbridge.token.cache.hits', (p) => total(p, { 'mailbridge.token.layer': 'redis' }) >= 1);
    // Pooled sessions stay open after the request; the gauge reads the pool.
    await otlp.waitForMetric('mailbridge.imap.sessions.open', (p) => total(p) >= 1);
    await otlp.waitForMetric('mailbridge.imap.sessions.opened', (p) => total(p) >= 2);
    await otlp.waitForMetric('mailbridge.redis.circuit.state', (p) => p.length === 1 && p[0]!.value === 0);
  });

  test('a revoked grant: needs_reauth counted, and the credential gauge moves', async () => {
    await otlp.waitForMetric('mailbridge.credentials', (p) => total(p, { 'mailbridge.status': 'active', 'mailbridge.auth_type': 'oauth2' }) === 2);
    const messages = `/api/mail/accounts/${bobId}/messages`;
    expect((await bob.getJson(messages)).status).toBe(200);
    // The grant is revoked (password reset, admin action): the next refresh is refused for good.
    app.emulator.revokeGrants(BOB);
    app.emulator.expireAccessTokens(BOB);
    await app.dovecot!.kick(BOB);
    const answer = await bob.getJson<{ error: { code: string } }>(messages);
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('needs_reauth');

    await otlp.waitForMetric('mailbridge.token.refreshes', (p) => total(p, { 'mailbridge.outcome': 'needs_reauth', 'mailbridge.class': 'reauth' }) === 1);
    await otlp.waitForMetric('mailbridge.token.refresh.duration', (p) => total(p, { 'mailbridge.outcome': 'reauth' }) >= 1);
    await otlp.waitForMetric(
      'mailbridge.credentials',
      (p) => total(p, { 'mailbridge.status': 'active' }) === 1 && total(p, { 'mailbridge.status': 'needs_reauth' }) === 1,
    );
  });

  test('refresh-token age buckets, and a cron run that exercises an idle token', async () => {
    const ages = (p: Point[]) => Object.fromEntries(p.map((x) => [x.attributes['mailbridge.age_bucket'], x.value]));
    await otlp.waitForMetric('mailbridge.credentials.refresh_token_age', (p) => ages(p)['0-30d'] === 1);
    // Ada's refresh token last exercised 85 days ago: close to Microsoft's 90-day cliff.
    const old = new Date(Date.now() - 85 * DAY_MS);
    await app.db.mailCredential.update({ where: { id: adaId }, data: { lastRefreshAt: old, refreshTokenIssuedAt: old } });
    const before = await otlp.waitForMetric('mailbridge.credentials.refresh_token_age', (p) => ages(p)['80-90d'] === 1);
    expect(ages(before)).toEqual({ '0-30d': 0, '30-60d': 0, '60-80d': 0, '80-90d': 1, '90d+': 0 });

    const refreshesBefore = total(otlp.latest('mailbridge.token.refreshes'), { 'mailbridge.outcome': 'refreshed' });
    const summary = await runCron(app);
    expect(summary).toMatchObject({ refreshed: 1, more: false });

    await otlp.waitForMetric('mailbridge.cron.runs', (p) => total(p, { 'mailbridge.cron.more': false, 'mailbridge.cron.stopped_by': 'none' }) === 1);
    const duration = await otlp.waitForMetric('mailbridge.cron.run.duration', (p) => total(p) === 1);
    expect(duration[0]!.sum).toBeGreaterThan(0);
    await otlp.waitForMetric('mailbridge.cron.claimed', (p) => total(p, { 'mailbridge.cron.work': 'refresh' }) === 1);
    await otlp.waitForMetric('mailbridge.token.refreshes', (p) => total(p, { 'mailbridge.outcome': 'refreshed' }) === refreshesBefore + 1);
    await otlp.waitForMetric('mailbridge.credentials.refresh_token_age', (p) => ages(p)['0-30d'] === 1 && ages(p)['80-90d'] === 0);
  });

  test('a OneDrive sync: counted by outcome, traced through the token layer and Graph', async () => {
    app.emulator.setDefaultUser(ADA);
    const start = await ada.get(`/api/mail/connect?files=1&account=${adaId}`);
    const back = await ada.get(start.headers.get('location')!);
    expect((await ada.get(back.headers.get('location')!)).status).toBe(302);
    const driveId = app.emulator.drive.createDrive(ADA);
    const folderId = app.emulator.drive.addFolder(driveId, app.emulator.drive.rootId(driveId), 'Team');
    app.emulator.drive.addFile(driveId, folderId, 'handbook.md', '# Handbook');
    const kb = (await ada.sendJson<{ id: string }>('POST', '/api/knowledge', { name: 'Team docs' })).body;
    const linked = await ada.sendJson('POST', `/api/knowledge/${kb.id}/onedrive`, { accountId: adaId, driveId, folderId, folderPath: '/Team', intervalMinutes: 30 });
    expect(linked.status).toBe(202);

    await otlp.waitForMetric('mailbridge.onedrive.syncs', (p) => total(p, { 'mailbridge.outcome': 'synced' }) >= 1);
    const sync = await waitFor(() => otlp.spans().find((s) => s.name === 'mailbridge.onedrive.sync' && s.attributes['mailbridge.credential_id'] === adaId), {
      timeoutMs: 20_000,
      what: 'the sync span',
    });
    const inSync = otlp.spans().filter((s) => s.traceId === sync.traceId);
    const graph = inSync.filter((s) => s.name === 'mailbridge.graph.request');
    expect(graph.length).toBeGreaterThan(0);
    expect(graph.every((s) => typeof s.attributes['http.response.status_code'] === 'number')).toBe(true);
    expect(inSync.some((s) => s.name === 'mailbridge.token.ensure_fresh' && s.attributes['mailbridge.token.resource'] === 'graph')).toBe(true);
  });

  test('traces: a request through the token layer and IMAP, with credential ids and never a token', async () => {
    const spans = await waitFor(
      () => {
        const all = otlp.spans();
        return all.some((s) => s.name === 'mailbridge.microsoft.token') ? all : undefined;
      },
      { timeoutMs: 20_000, what: 'spans' },
    );
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['mailbridge-test']));
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    // The refresh of the second test: IMAP session → token layer → Microsoft, inside the request's span.
    const chains = spans
      .filter((s) => s.name === 'mailbridge.microsoft.token' && s.attributes['mailbridge.credential_id'] === adaId)
      .map((call) => {
        const chain: string[] = [];
        for (let s = byId.get(call.parentSpanId); s; s = byId.get(s.parentSpanId)) chain.push(s.name);
        return chain;
      });
    const throughImap = chains.find((c) => c[0] === 'mailbridge.token.ensure_fresh' && c[1] === 'mailbridge.imap.session');
    expect(throughImap, JSON.stringify(chains)).toBeDefined();
    // Next.js's own request span is the root.
    expect(throughImap!.length).toBeGreaterThan(2);
    expect(spans.filter((s) => s.name === 'mailbridge.imap.session').every((s) => [adaId, bobId].includes(String(s.attributes['mailbridge.credential_id'])))).toBe(true);

    // No attribute of any span or metric holds a token: none looks like one, none is a secret the emulator issued.
    const values = [
      ...spans.flatMap((s) => Object.values(s.attributes)),
      ...otlp.metricNames().flatMap((name) => otlp.latest(name).flatMap((p) => Object.values(p.attributes))),
    ].map(String);
    expect(values.length).toBeGreaterThan(20);
    expect(values.filter(looksLikeToken)).toEqual([]);
    const ledger = process.env.SECRET_LEDGER;
    const issued = ledger && existsSync(ledger) ? readFileSync(ledger, 'utf8').split('\n').filter((s) => s.length >= 16) : [];
    expect(issued.length).toBeGreaterThan(0);
    const exported = JSON.stringify(otlp.requests);
    expect(issued.filter((secret) => exported.includes(secret))).toEqual([]);
  });

  test('SIGTERM: the shutdown flushes telemetry and still exits within its bound', async () => {
    const exports = otlp.requests.metrics.length;
    const exit = await app.terminate(0);
    expect(exit).toMatchObject({ code: 143, signal: null });
    expect(exit.ms).toBeLessThan(11_000);
    expect(otlp.requests.metrics.length).toBeGreaterThan(exports);
  });
});

describe('without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let otlp: OtlpReceiver;
  let app: TestApp;
  const modules = path.join(mkdtempSync(path.join(tmpdir(), 'mb-otel-')), 'modules.txt');

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    // The per-signal variables point at the receiver: an SDK, were one loaded, would export there.
    app = await startApp({
      users: [ADA],
      env: {
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${otlp.url}/v1/metrics`,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`,
        OTEL_METRIC_EXPORT_INTERVAL: '200',
        ...traceEnv(modules),
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await otlp?.close();
  });

  test('nothing is exported and no SDK package is loaded', async () => {
    const ada = await app.signIn(ADA);
    const accountId = (await ada.getJson<Array<{ id: string }>>('/api/mail/accounts')).body[0]!.id;
    expect((await ada.getJson(`/api/mail/accounts/${accountId}/messages`)).status).toBe(200);
    await runCron(app);
    const loaded = loadedPackages(modules);
    // The module trace works in this process: the API (a no-op without an SDK) was required…
    expect(loaded.some((p) => p.includes('@opentelemetry/api'))).toBe(true);
    // …and no SDK, exporter or resource package was.
    expect(loaded.filter((p) => SDK_PACKAGES.test(p))).toEqual([]);
    expect(otlp.requests).toEqual({ metrics: [], traces: [] });
  });
});

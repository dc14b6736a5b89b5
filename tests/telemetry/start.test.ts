// The SDK start (lib/telemetry/start.ts) in this process, exporting to a real OTLP/HTTP receiver:
// the observed gauges read the watched Redis circuit, the IMAP pools and the database at each
// collection; spans go out with the service name; shutdown flushes and turns everything off.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Circuit } from '@/lib/cache/circuit';
import { parseEnv } from '@/lib/env';
import { shutdownTelemetry, telemetry } from '@/lib/telemetry';
import { startTelemetry } from '@/lib/telemetry/start';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { freePort, waitFor } from '../support/net';
import { startOtlpReceiver, total, type OtlpReceiver } from '../support/otlp-receiver';

let database: TestDatabase;
let otlp: OtlpReceiver;

beforeAll(async () => {
  database = await createTestDatabase();
  otlp = await startOtlpReceiver();
  // The exporters read their endpoint from the environment, as in the server.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otlp.url;
  const user = await database.db.user.create({ data: { email: 'ada@example.com' } });
  await database.db.mailCredential.create({ data: { userId: user.id, email: 'ada@example.com', authType: 'oauth2', status: 'needs_reauth' } });
});
afterAll(async () => {
  await shutdownTelemetry();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  await otlp?.close();
  await database?.close();
});

it('exports the observed state, spans, and stops at shutdown', async () => {
  let now = 0;
  const circuit = new Circuit({ openMs: 1_000, now: () => now });
  telemetry.watchCircuit('redis', () => circuit.state);
  telemetry.watchImapPool('imap', () => ({ opened: 5, open: { a: 2, b: 1 }, tracked: 3 }));
  circuit.failed(new Error('connection refused'));
  expect(telemetry.enabled).toBe(false);

  startTelemetry(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_METRIC_EXPORT_INTERVAL: '200', OTEL_SERVICE_NAME: 'mb-start-test' }), {
    db: async () => database.db,
  });
  expect(telemetry.enabled).toBe(true);

  await otlp.waitForMetric('mailbridge.redis.circuit.state', (p) => total(p, { 'mailbridge.cache': 'redis' }) === 2);
  await otlp.waitForMetric('mailbridge.imap.sessions.open', (p) => total(p) === 3);
  await otlp.waitForMetric('mailbridge.imap.sessions.opened', (p) => total(p) === 5);
  await otlp.waitForMetric('mailbridge.credentials', (p) => total(p, { 'mailbridge.status': 'needs_reauth', 'mailbridge.auth_type': 'oauth2' }) === 1);
  // The probe succeeds: the circuit closes and the next collection says so.
  now = 2_000;
  expect(circuit.tryPass()).toBe(true);
  circuit.succeeded();
  await otlp.waitForMetric('mailbridge.redis.circuit.state', (p) => total(p) === 0);

  await telemetry.traced('mailbridge.test', { 'mailbridge.credential_id': 'c1' }, async () => undefined);
  const span = await waitFor(() => otlp.spans().find((s) => s.name === 'mailbridge.test'), { timeoutMs: 15_000, what: 'the span' });
  expect(span).toMatchObject({ service: 'mb-start-test', attributes: { 'mailbridge.credential_id': 'c1' } });

  // Shutdown flushes what is pending, then nothing more is recorded or sent.
  telemetry.onedriveSync('synced');
  await shutdownTelemetry();
  expect(telemetry.enabled).toBe(false);
  expect(total(otlp.latest('mailbridge.onedrive.syncs'), { 'mailbridge.outcome': 'synced' })).toBe(1);
  const exports = otlp.requests.metrics.length;
  telemetry.onedriveSync('synced');
  await new Promise((r) => setTimeout(r, 600));
  expect(otlp.requests.metrics.length).toBe(exports);
});

it('logs an unreachable OTLP endpoint once per distinct problem, and the app goes on', async () => {
  const logFile = process.env.LOG_FILE!;
  const before = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${await freePort()}`;
  startTelemetry(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_METRIC_EXPORT_INTERVAL: '200' }), {
    db: async () => database.db,
  });
  expect(telemetry.enabled).toBe(true);
  telemetry.onedriveSync('synced');
  await expect(telemetry.traced('mailbridge.test', {}, async () => 'still works')).resolves.toBe('still works');
  const lines = await waitFor(
    () => {
      const found = readFileSync(logFile, 'utf8')
        .slice(before)
        .split('\n')
        .filter((l) => l.includes('OpenTelemetry SDK reported a problem'));
      return found.length > 0 ? found : undefined;
    },
    { timeoutMs: 15_000, what: 'the export failure in the log' },
  );
  await new Promise((r) => setTimeout(r, 1_000));
  const all = readFileSync(logFile, 'utf8').slice(before).split('\n').filter((l) => l.includes('OpenTelemetry SDK reported a problem'));
  // One line per distinct problem per minute, though exports failed every 200 ms meanwhile.
  expect(new Set(all.map((l) => (JSON.parse(l) as { otel: string }).otel)).size).toBe(all.length);
  expect(lines[0]).toContain('"module":"telemetry"');
  await shutdownTelemetry();
});

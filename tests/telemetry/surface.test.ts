// The telemetry surface without a server: a no-op until the SDK is on, then instruments made from
// whichever MeterProvider is registered (also one registered after a first call), span attributes
// that never carry a token.
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader, type DataPoint, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, describe, expect, it } from 'vitest';
import { AGE_BUCKETS, ageBucket, looksLikeToken, telemetry } from '@/lib/telemetry';
import { safeAttributes, scrub } from '@/lib/telemetry/attributes';
import { telemetryState } from '@/lib/telemetry/state';
import { telemetryWanted } from '@/lib/telemetry/wanted';
import { parseEnv } from '@/lib/env';
import { ScrubbingSpanExporter } from '@/lib/telemetry/scrubbing-exporter';

const DAY_MS = 86_400_000;
const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function points(reader: TestReader, name: string): Promise<Array<DataPoint<unknown>>> {
  const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as Array<DataPoint<unknown>>));
}

describe('age buckets', () => {
  it('puts each age in its bucket, boundaries in the older one', () => {
    expect(AGE_BUCKETS).toEqual(['0-30d', '30-60d', '60-80d', '80-90d', '90d+']);
    expect([0, -5, 29.99, 30, 59.99, 60, 80, 89.99, 90, 400].map((d) => ageBucket(d * DAY_MS))).toEqual([
      '0-30d', '0-30d', '0-30d', '30-60d', '30-60d', '60-80d', '80-90d', '80-90d', '90d+', '90d+',
    ]);
  });
});

describe('attributes', () => {
  it('recognizes tokens and lets ids and codes through', () => {
    expect(looksLikeToken(jwt)).toBe(true);
    expect(looksLikeToken(`Bearer ${jwt}`)).toBe(true);
    expect(looksLikeToken('M.C5' + 'x'.repeat(60))).toBe(true);
    expect(looksLikeToken('Xk3_-' + 'a1B2c3D4e5'.repeat(5))).toBe(true);
    const fine = [
      'cmfx1k2l30000abcd1234efgh',
      '0ea3d3e4-3341-4635-b621-ecda10aeb133',
      'needs_reauth',
      'AADSTS50173',
      '0-30d',
      'GET /api/mail/accounts/[id]/messages',
      '/api/knowledge/cmx765cst00068b7dwt6f5xdg/files/cmx765cst00068b7dwt6f5xdg/content',
    ];
    for (const value of fine) expect(looksLikeToken(value)).toBe(false);
  });

  it('scrubs query strings and token-shaped runs from what is exported', () => {
    const code = '1.AUWPGzBN7qlH13nUyjL7q3ntkHZl6lswIV6_3Q1XCyeWXCpb6dk8b6xBfnUzx5ck1F91XUcAYIe';
    expect(scrub(`/api/mail/callback?code=${code}&state=abc`)).toBe('/api/mail/callback');
    expect(scrub(`GET http://127.0.0.1:3000/api/mail/callback?code=${code}`)).toBe('GET http://127.0.0.1:3000/api/mail/callback');
    expect(scrub('fetch GET http://127.0.0.1:39769/download/4ADFYv8ld8dA9oXNrFYri-ee4jAKBT5990PqTTw6aUA')).toBe('fetch GET http://127.0.0.1:39769/download/[redacted]');
    expect(scrub(`token ${jwt} expired`)).toBe('token [redacted] expired');
    expect(safeAttributes({ a: 'cmfx1k2l30000abcd1234efgh', b: jwt, c: 3, d: undefined, e: false, f: ['x', jwt] })).toEqual({
      a: 'cmfx1k2l30000abcd1234efgh',
      b: '[redacted]',
      c: 3,
      e: false,
      f: ['x', '[redacted]'],
    });
  });
});

describe('configuration', () => {
  it('wants the SDK only with an endpoint, and not when switched off', () => {
    expect(telemetryWanted(parseEnv({}))).toBeNull();
    expect(telemetryWanted(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }))).toBeNull();
    expect(telemetryWanted(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }))).toBeNull();
    const env = telemetryWanted(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }));
    expect(env).toMatchObject({ OTEL_SERVICE_NAME: 'mailbridge', OTEL_METRIC_EXPORT_INTERVAL: 60_000 });
    expect(() => parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});

describe('the surface', () => {
  const state = telemetryState();
  afterAll(() => {
    state.on = false;
    metrics.disable();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('is a no-op while the SDK is off, then records into whichever provider is registered', async () => {
    expect(telemetry.enabled).toBe(false);
    // A first call before any provider exists…
    telemetry.refresh({ outcome: 'refreshed', klass: 'ok', resource: 'imap' });
    await expect(telemetry.traced('x', {}, async () => 42)).resolves.toBe(42);
    await expect(telemetry.traced('x', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    // Instruments made before any MeterProvider is registered (the API's no-op one)…
    state.on = true;
    telemetry.refresh({ outcome: 'transient', klass: 'transient', resource: 'imap' });
    state.on = false;
    // …are made again from a provider registered later, which gets every later measurement.
    const reader = new TestReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    const spans = new InMemorySpanExporter();
    // As start.ts does: registered with the AsyncLocalStorage context manager, so spans nest.
    new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).register();
    expect(await points(reader, 'mailbridge.token.refreshes')).toEqual([]);
    state.on = true;

    telemetry.refresh({ outcome: 'refreshed', klass: 'ok', resource: 'imap' });
    telemetry.refresh({ outcome: 'refreshed', klass: 'ok', resource: 'imap' });
    telemetry.refresh({ outcome: 'needs_reauth', klass: 'reauth', resource: 'graph' });
    telemetry.refresh({ outcome: 'transient', klass: 'transient', resource: 'imap' });
    telemetry.tokenServed('redis');
    telemetry.cronRun({ durationMs: 1200, more: true, stoppedBy: null, claimed: { refresh: 5, sync: 2 } });
    const refreshes = await points(reader, 'mailbridge.token.refreshes');
    expect(refreshes.map((p) => [p.attributes['mailbridge.outcome'], p.attributes['mailbridge.token.resource'], p.value])).toEqual([
      ['refreshed', 'imap', 2],
      ['needs_reauth', 'graph', 1],
      ['transient', 'imap', 1],
    ]);
    expect((await points(reader, 'mailbridge.token.cache.hits')).map((p) => [p.attributes['mailbridge.token.layer'], p.value])).toEqual([['redis', 1]]);
    const claimed = await points(reader, 'mailbridge.cron.claimed');
    expect(claimed.map((p) => [p.attributes['mailbridge.cron.work'], p.value])).toEqual([
      ['refresh', 5],
      ['sync', 2],
    ]);

    // A token-endpoint failure is timed under its classification kind and rethrown unchanged.
    const failure = Object.assign(new Error('invalid_grant'), { classification: { kind: 'reauth' } });
    await expect(telemetry.tokenCall({ credentialId: 'cred1', resource: 'imap' }, async () => Promise.reject(failure))).rejects.toBe(failure);
    const timed = await points(reader, 'mailbridge.token.refresh.duration');
    expect(timed.map((p) => [p.attributes['mailbridge.outcome'], (p.value as { count: number }).count])).toEqual([['reauth', 1]]);

    // Spans nest, carry ids, and drop anything shaped like a token.
    await telemetry.traced('outer', { 'mailbridge.credential_id': 'cred1', leaked: jwt }, async () => {
      telemetry.annotate({ 'mailbridge.outcome': 'synced', other: 'x'.repeat(64) });
    });
    const outer = spans.getFinishedSpans().find((s) => s.name === 'outer')!;
    expect(outer.attributes).toEqual({ 'mailbridge.credential_id': 'cred1', leaked: '[redacted]', 'mailbridge.outcome': 'synced', other: '[redacted]' });
    const call = spans.getFinishedSpans().find((s) => s.name === 'mailbridge.microsoft.token')!;
    expect(call.attributes).toMatchObject({ 'mailbridge.credential_id': 'cred1', 'error.type': 'Error' });
    expect(call.status.code).toBe(2);
  });

  it('scrubs every span on its way out, Next.js spans included', async () => {
    const inner = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ScrubbingSpanExporter(inner))] });
    const span = provider.getTracer('next.js').startSpan('GET /api/mail/callback?code=abc', {
      attributes: { 'http.target': `/api/mail/callback?code=${jwt}`, 'next.route': '/api/mail/callback' },
    });
    span.addEvent('exception', { 'exception.message': `bad token ${jwt}` });
    span.setStatus({ code: 2, message: `rejected ${jwt}` });
    span.end();
    const [out] = inner.getFinishedSpans();
    expect(out!.name).toBe('GET /api/mail/callback');
    expect(out!.attributes).toEqual({ 'http.target': '/api/mail/callback', 'next.route': '/api/mail/callback' });
    expect(out!.events[0]!.attributes).toEqual({ 'exception.message': 'bad token [redacted]' });
    expect(out!.status).toEqual({ code: 2, message: 'rejected [redacted]' });
    expect(out!.spanContext().spanId).toBe(span.spanContext().spanId);
  });
});

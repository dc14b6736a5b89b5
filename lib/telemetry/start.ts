// The OpenTelemetry SDK for this process: metrics and traces over OTLP/HTTP (JSON) to
// OTEL_EXPORTER_OTLP_ENDPOINT. Imported by instrumentation.ts only when that is set, so a
// process without it loads none of this. The exporters also honour the standard OTEL_EXPORTER_OTLP_*
// variables (headers, per-signal endpoints, timeouts) and OTEL_RESOURCE_ATTRIBUTES.
import { hostname } from 'node:os';
import { context, diag, DiagLogLevel, metrics, propagation, trace, type DiagLogger } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { CircuitState } from '../cache/circuit';
import { getDb, type PrismaClient } from '../db';
import type { Env } from '../env';
import { childLogger } from '../log';
import { AGE_BUCKETS } from './ages';
import { scrub } from './attributes';
import { countCredentials } from './credential-counts';
import { METER } from './instruments';
import { ScrubbingSpanExporter } from './scrubbing-exporter';
import { telemetryState } from './state';

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface StartTelemetryOptions {
  /** The database the credential gauges read (default: this process's). */
  db?: () => Promise<PrismaClient>;
}

export function startTelemetry(env: Env, options: StartTelemetryOptions = {}): void {
  const state = telemetryState();
  if (state.on) return;
  const log = childLogger('telemetry');
  // The SDK's own complaints (an unreachable or refusing OTLP endpoint) go to the logs, once per
  // distinct message per minute at most, shortened and scrubbed.
  diag.setLogger(diagToLog(log), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  const resource = resourceFromAttributes({
    'service.name': env.OTEL_SERVICE_NAME,
    'service.instance.id': `${hostname()}:${process.pid}`,
  }).merge(detectResources({ detectors: [envDetector] }));

  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new ScrubbingSpanExporter(new OTLPTraceExporter()))] });
  // Registers the AsyncLocalStorage context manager too: spans nest under the request's span.
  tracerProvider.register();

  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: env.OTEL_METRIC_EXPORT_INTERVAL,
        exportTimeoutMillis: Math.min(30_000, env.OTEL_METRIC_EXPORT_INTERVAL),
      }),
    ],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  observeState(log, options.db ?? getDb);

  state.shutdown = async () => {
    state.on = false;
    state.shutdown = undefined;
    await Promise.allSettled([meterProvider.shutdown(), tracerProvider.shutdown()]);
    // Back to the API's no-ops (and free for another start, as in tests).
    metrics.disable();
    trace.disable();
    context.disable();
    propagation.disable();
    diag.disable();
  };
  state.on = true;
  log.info({ intervalMs: env.OTEL_METRIC_EXPORT_INTERVAL }, 'telemetry: exporting metrics and traces over OTLP');
}

/** Gauges read at collection: the Redis circuit, IMAP sessions, credentials in the database. */
function observeState(log: ReturnType<typeof childLogger>, db: () => Promise<PrismaClient>): void {
  const meter = metrics.getMeter(METER);
  const state = telemetryState();
  meter
    .createObservableGauge('mailbridge.redis.circuit.state', { description: 'Redis circuit breaker: 0 closed (Redis in use), 1 half-open (probing), 2 open (serving without Redis)' })
    .addCallback((result) => {
      for (const [name, circuit] of state.circuits) result.observe(CIRCUIT_VALUE[circuit()], { 'mailbridge.cache': name });
    });
  meter
    .createObservableUpDownCounter('mailbridge.imap.sessions.open', { description: 'IMAP sessions open in this process (pooled, in use or idle)' })
    .addCallback((result) => {
      for (const [name, stats] of state.pools) result.observe(sumOpen(stats().open), { 'mailbridge.pool': name });
    });
  meter
    .createObservableCounter('mailbridge.imap.sessions.opened', { description: 'IMAP logins made by this process since it started' })
    .addCallback((result) => {
      for (const [name, stats] of state.pools) result.observe(stats().opened, { 'mailbridge.pool': name });
    });

  const byStatus = meter.createObservableGauge('mailbridge.credentials', { description: 'Mailbox credentials by auth type and status (active, needs_reauth, error)' });
  const byAge = meter.createObservableGauge('mailbridge.credentials.refresh_token_age', {
    description: 'Active OAuth mailboxes by days since their refresh token was last exercised (Microsoft revokes at 90 idle days)',
  });
  let warnedAt = -Infinity;
  meter.addBatchObservableCallback(
    async (result) => {
      try {
        const counts = await countCredentials({ db: await db(), now: Date.now() });
        for (const row of counts.byStatus) result.observe(byStatus, row.count, { 'mailbridge.auth_type': row.authType, 'mailbridge.status': row.status });
        for (const bucket of AGE_BUCKETS) result.observe(byAge, counts.byAge[bucket], { 'mailbridge.age_bucket': bucket });
      } catch (error) {
        // Once a minute at most: the database being down is reported elsewhere too (/api/health).
        if (Date.now() - warnedAt < 60_000) return;
        warnedAt = Date.now();
        log.warn({ err: error instanceof Error ? error.name : 'unknown' }, 'telemetry: credential counts unavailable');
      }
    },
    [byStatus, byAge],
  );
}

function diagToLog(log: ReturnType<typeof childLogger>): DiagLogger {
  const last = new Map<string, number>();
  const write = (level: 'warn' | 'error') => (message: string, ...args: unknown[]) => {
    const text = scrub([message, ...args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a)))].join(' ')).slice(0, 300);
    const now = Date.now();
    if ((last.get(text) ?? 0) > now - 60_000) return;
    last.set(text, now);
    if (last.size > 100) last.clear();
    log[level]({ otel: text }, 'telemetry: OpenTelemetry SDK reported a problem');
  };
  const quiet = () => {};
  return { error: write('error'), warn: write('warn'), info: quiet, debug: quiet, verbose: quiet };
}

function sumOpen(open: Record<string, number>): number {
  let total = 0;
  for (const n of Object.values(open)) total += n;
  return total;
}



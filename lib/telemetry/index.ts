// Metrics and traces, exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (start.ts, from
// instrumentation.ts). The points of record call these one-liners; without the SDK each returns
// at once, and nothing of the SDK is loaded.
//   telemetry.refresh({ outcome: 'refreshed', klass: 'ok', resource: 'imap' });
//   return telemetry.traced('mailbridge.imap.session', { [ATTR.credentialId]: id }, () => pool.use(id, fn));
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { CircuitState } from '../cache/circuit';
import type { PoolStats } from '../imap/session-pool';
import { ATTR, safeAttributes, type AttributeValue } from './attributes';
import { instruments } from './instruments';
import { telemetryState } from './state';

export { ATTR, looksLikeToken } from './attributes';
export { AGE_BUCKETS, ageBucket, type AgeBucket } from './ages';

/** How a refresh ended: refreshed, or the failure's class as the token layer handles it. */
export type RefreshOutcome = 'refreshed' | 'needs_reauth' | 'consent_required' | 'transient' | 'app' | 'tenant' | 'credential';
/** `l1`: this process's token cache; `memory` / `redis`: the shared cache; `db`: the database. */
export type TokenLayer = 'l1' | 'memory' | 'redis' | 'db';
type Attrs = Record<string, AttributeValue | undefined>;

const TRACER = 'mailbridge';

function on(): boolean {
  return telemetryState().on;
}

/** What kind of error this is, for span status: a code or class name, never its message. */
function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^[a-z_]{1,40}$/.test(code)) return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string') return name.slice(0, 60);
  }
  return 'unknown';
}

/** Classification kind of a token-endpoint failure (TokenRequestError), without importing it. */
function failureKind(error: unknown): string {
  const c = typeof error === 'object' && error !== null ? (error as { classification?: { kind?: unknown } }).classification : undefined;
  return typeof c?.kind === 'string' ? c.kind : 'error';
}

/** Flushes what is pending and stops exporting (process shutdown). Without the SDK, nothing. */
export async function shutdownTelemetry(): Promise<void> {
  await telemetryState().shutdown?.();
}

export const telemetry = {
  /** Whether the SDK is running in this process. */
  get enabled(): boolean {
    return on();
  },

  /** One refresh ended (token layer): outcome, Microsoft's classification kind, resource. */
  refresh(input: { outcome: RefreshOutcome; klass: string; resource: string }): void {
    if (!on()) return;
    instruments().refreshes.add(1, safeAttributes({ [ATTR.outcome]: input.outcome, [ATTR.klass]: input.klass, [ATTR.resource]: input.resource }));
    trace.getActiveSpan()?.setAttribute(ATTR.outcome, input.outcome);
  },

  /** Times one call to Microsoft's token endpoint (histogram and span), whatever it returns. */
  async tokenCall<T>(input: { credentialId: string; resource: string }, fn: () => Promise<T>): Promise<T> {
    if (!on()) return fn();
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await telemetry.traced('mailbridge.microsoft.token', { [ATTR.credentialId]: input.credentialId, [ATTR.resource]: input.resource }, fn);
    } catch (error) {
      outcome = failureKind(error);
      throw error;
    } finally {
      instruments().refreshDuration.record(performance.now() - started, { [ATTR.outcome]: outcome, [ATTR.resource]: input.resource });
    }
  },

  /** An access token was served from a layer without asking Microsoft. */
  tokenServed(layer: TokenLayer): void {
    if (!on()) return;
    instruments().tokenServed.add(1, { [ATTR.layer]: layer });
    trace.getActiveSpan()?.setAttribute(ATTR.layer, layer);
  },

  /** One cron run ended. `claimed` counts items started, per kind of work. */
  cronRun(input: { durationMs: number; more: boolean; stoppedBy: string | null; claimed: { refresh: number; sync: number } }): void {
    if (!on()) return;
    const i = instruments();
    const attrs = { 'mailbridge.cron.more': input.more, 'mailbridge.cron.stopped_by': input.stoppedBy ?? 'none' };
    i.cronRuns.add(1, attrs);
    i.cronDuration.record(input.durationMs, attrs);
    i.cronClaimed.add(input.claimed.refresh, { 'mailbridge.cron.work': 'refresh' });
    i.cronClaimed.add(input.claimed.sync, { 'mailbridge.cron.work': 'sync' });
  },

  /** One OneDrive sync ended (or did not start: busy, paused, not_found). */
  onedriveSync(outcome: string): void {
    if (!on()) return;
    instruments().onedriveSyncs.add(1, { [ATTR.outcome]: outcome });
    trace.getActiveSpan()?.setAttribute(ATTR.outcome, outcome);
  },

  /** A Redis circuit, observed at each collection; a later one under the same name replaces it. */
  watchCircuit(name: string, state: () => CircuitState): void {
    telemetryState().circuits.set(name, state);
  },

  /** An IMAP session pool, observed at each collection; a later one under the same name replaces it. */
  watchImapPool(name: string, stats: () => PoolStats): void {
    telemetryState().pools.set(name, stats);
  },

  /** Adds attributes (ids, outcomes; values that look like tokens are dropped) to the active span. */
  annotate(attributes: Attrs): void {
    if (!on()) return;
    trace.getActiveSpan()?.setAttributes(safeAttributes(attributes));
  },

  /** Runs `fn` in a span (a child of the request's, when there is one). */
  // Not async: with telemetry off the hot paths (token layer, IMAP sessions) get fn's own promise.
  traced<T>(name: string, attributes: Attrs, fn: () => Promise<T>): Promise<T> {
    if (!on()) return fn();
    return trace.getTracer(TRACER).startActiveSpan(name, { attributes: safeAttributes(attributes) }, async (span) => {
      try {
        return await fn();
      } catch (error) {
        span.setAttribute(ATTR.errorType, errorType(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  },
};

// A real OTLP/HTTP receiver for tests: what an OpenTelemetry Collector's otlphttp receiver accepts
// (POST /v1/metrics and /v1/traces, JSON encoding), typed with the official
// @opentelemetry/otlp-transformer request types. Keeps every export it receives.
//   const otlp = await startOtlpReceiver();
//   startApp({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_METRIC_EXPORT_INTERVAL: '500' } });
//   await otlp.waitForMetric('mailbridge.token.refreshes', (points) => points.some(...));
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IAnyValue, IKeyValue } from '@opentelemetry/otlp-transformer/build/src/common/internal-types';
import type { IExportMetricsServiceRequest, IMetric } from '@opentelemetry/otlp-transformer/build/src/metrics/internal-types';
import type { IExportTraceServiceRequest, ISpan } from '@opentelemetry/otlp-transformer/build/src/trace/internal-types';
import { waitFor } from './net';

export type Attrs = Record<string, string | number | boolean>;

/** One data point of a metric, flattened: a sum or gauge value, or a histogram's count and sum. */
export interface Point {
  attributes: Attrs;
  value: number;
  /** Histograms only. */
  count?: number;
  sum?: number;
}

export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Attrs;
  /** `service.name` of the resource that sent it. */
  service: string;
}

export interface OtlpReceiver {
  readonly url: string;
  /** Every request body received, by signal. */
  readonly requests: { metrics: IExportMetricsServiceRequest[]; traces: IExportTraceServiceRequest[] };
  /** The latest export's points of a metric (cumulative: the latest holds the totals), [] if never seen. */
  latest(name: string): Point[];
  /** Every metric name seen. */
  metricNames(): string[];
  spans(): ReceivedSpan[];
  /** Waits until the latest points of `name` satisfy `check`. */
  waitForMetric(name: string, check: (points: Point[]) => boolean, timeoutMs?: number): Promise<Point[]>;
  close(): Promise<void>;
}

function anyValue(v: IAnyValue): string | number | boolean {
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
  if (v.intValue !== undefined && v.intValue !== null) return Number(v.intValue);
  if (v.doubleValue !== undefined && v.doubleValue !== null) return Number(v.doubleValue);
  return JSON.stringify(v);
}

export function attrs(list: IKeyValue[] | undefined): Attrs {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
}

function points(metric: IMetric): Point[] {
  const numbers = metric.sum?.dataPoints ?? metric.gauge?.dataPoints;
  if (numbers) return numbers.map((p) => ({ attributes: attrs(p.attributes), value: Number(p.asInt ?? p.asDouble ?? 0) }));
  return (metric.histogram?.dataPoints ?? []).map((p) => ({
    attributes: attrs(p.attributes),
    value: Number(p.count ?? 0),
    count: Number(p.count ?? 0),
    sum: Number(p.sum ?? 0),
  }));
}

function hex(id: string | Uint8Array | undefined): string {
  if (id === undefined) return '';
  return typeof id === 'string' ? id : Buffer.from(id).toString('hex');
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpReceiver['requests'] = { metrics: [], traces: [] };
  const latestByName = new Map<string, Point[]>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const text = await body(req);
      if (req.method !== 'POST' || !(req.headers['content-type'] ?? '').startsWith('application/json')) {
        res.writeHead(415).end();
        return;
      }
      if (req.url === '/v1/metrics') {
        const request = JSON.parse(text) as IExportMetricsServiceRequest;
        requests.metrics.push(request);
        for (const rm of request.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) latestByName.set(m.name, points(m));
      } else if (req.url === '/v1/traces') {
        requests.traces.push(JSON.parse(text) as IExportTraceServiceRequest);
      } else {
        res.writeHead(404).end();
        return;
      }
      // ExportMetricsServiceResponse / ExportTraceServiceResponse without partial success.
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    })().catch(() => res.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const receiver: OtlpReceiver = {
    url: `http://127.0.0.1:${port}`,
    requests,
    latest: (name) => latestByName.get(name) ?? [],
    metricNames: () => [...latestByName.keys()].sort(),
    spans: () =>
      requests.traces.flatMap((t) =>
        (t.resourceSpans ?? []).flatMap((rs) => {
          const service = String(attrs(rs.resource?.attributes)['service.name'] ?? '');
          return rs.scopeSpans.flatMap((ss) =>
            (ss.spans ?? []).map(
              (s: ISpan): ReceivedSpan => ({
                name: s.name,
                traceId: hex(s.traceId),
                spanId: hex(s.spanId),
                parentSpanId: hex(s.parentSpanId),
                attributes: attrs(s.attributes),
                service,
              }),
            ),
          );
        }),
      ),
    waitForMetric: (name, check, timeoutMs = 20_000) =>
      waitFor(
        () => {
          const found = receiver.latest(name);
          return check(found) ? found : undefined;
        },
        { timeoutMs, intervalMs: 100, what: `metric ${name} (latest: ${JSON.stringify(latestByName.get(name) ?? null)})` },
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return receiver;
}

/** Sum of the values of the points whose attributes include `match`. */
export function total(points: Point[], match: Attrs = {}): number {
  return points.filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v)).reduce((n, p) => n + p.value, 0);
}

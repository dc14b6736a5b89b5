// Every span passes through here before export, ours and Next.js's alike: names, attributes,
// event attributes (exceptions) and status messages are scrubbed (attributes.ts), so a URL with
// an OAuth code or a download token in it never leaves the process.
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-node';
import { safeAttributes, scrub } from './attributes';

export function scrubSpan(span: ReadableSpan): ReadableSpan {
  // The SDK's span stays untouched; the copy reads through to it for everything else.
  const copy = Object.create(span) as ReadableSpan;
  Object.defineProperties(copy, {
    name: { value: scrub(span.name) },
    attributes: { value: safeAttributes(span.attributes) },
    events: { value: span.events.map((e) => ({ ...e, ...(e.attributes ? { attributes: safeAttributes(e.attributes) } : {}) })) },
    status: { value: span.status.message === undefined ? span.status : { ...span.status, message: scrub(span.status.message) } },
    links: { value: span.links.map((l) => ({ ...l, ...(l.attributes ? { attributes: safeAttributes(l.attributes) } : {}) })) },
  });
  return copy;
}

export class ScrubbingSpanExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.inner.export(spans.map(scrubSpan), done);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

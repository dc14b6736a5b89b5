// Server-sent events (text/event-stream): the wire format (pure), and a streamed response that
// writes events as they come, a comment every `heartbeatMs` so proxies and load balancers keep
// the connection open, and lets go of its subscription when the client leaves or the source ends.

export interface SseMessage {
  event?: string;
  data?: unknown;
  id?: string;
  /** Reconnection delay the browser's EventSource should use, in milliseconds. */
  retry?: number;
}

/** Pure: one SSE message. `data` is JSON (one line: JSON.stringify never emits raw newlines). */
export function formatSse(message: SseMessage): string {
  let out = '';
  if (message.retry !== undefined) out += `retry: ${Math.max(0, Math.floor(message.retry))}\n`;
  if (message.id !== undefined) out += `id: ${message.id.replace(/[\r\n]/g, '')}\n`;
  if (message.event !== undefined) out += `event: ${message.event.replace(/[\r\n]/g, '')}\n`;
  if (message.data !== undefined) out += `data: ${JSON.stringify(message.data)}\n`;
  return `${out}\n`;
}

/** Pure: a comment line (ignored by EventSource; keeps intermediaries from timing out). */
export function formatSseComment(text: string): string {
  return `: ${text.replace(/[\r\n]/g, ' ')}\n\n`;
}

export interface EventSink {
  /** Writes one event; `last` ends the stream after it. */
  send(message: SseMessage, options?: { last?: boolean }): void;
}

export interface EventStreamOptions<T> {
  /**
   * Subscribes the sink to the source; throws (an AppError) when there is nothing to stream, so
   * the route answers with that error instead. Returns what ends the subscription.
   */
  start: (sink: EventSink) => Promise<{ close(): void } & T>;
  signal?: AbortSignal;
  heartbeatMs?: number;
  retryMs?: number;
}

const encoder = new TextEncoder();

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store, no-transform',
  // nginx and similar proxies would otherwise buffer the stream.
  'x-accel-buffering': 'no',
} as const;

export async function eventStreamResponse<T>(options: EventStreamOptions<T>): Promise<Response> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let ended = false;
  let subscription: { close(): void } | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    options.signal?.removeEventListener('abort', end);
    subscription?.close();
    try {
      controller.close();
    } catch {
      // Already closed or cancelled.
    }
  };
  const write = (text: string) => {
    if (ended) return;
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      end();
    }
  };
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    // The client went away (Next.js cancels the body).
    cancel: () => end(),
  });
  const sink: EventSink = {
    send(message, sendOptions = {}) {
      write(formatSse(message));
      if (sendOptions.last) end();
    },
  };
  write(formatSse({ retry: options.retryMs ?? 5_000 }));
  try {
    subscription = await options.start(sink);
  } catch (error) {
    ended = true;
    throw error;
  }
  // Ended while starting (a last event, or the client already gone): let go at once.
  if (ended || options.signal?.aborted) {
    subscription.close();
    end();
  } else {
    options.signal?.addEventListener('abort', end, { once: true });
    heartbeat = setInterval(() => write(formatSseComment('keepalive')), options.heartbeatMs ?? 15_000);
    heartbeat.unref();
  }
  return new Response(stream, { status: 200, headers: SSE_HEADERS });
}

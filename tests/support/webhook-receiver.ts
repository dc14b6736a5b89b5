// A real HTTP receiver for operator webhooks on loopback: records every request (raw body and
// headers, as received) and answers as told (a queue of statuses, each with optional headers and
// a delay), 200 once the queue is empty.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  rawBody: string;
  headers: IncomingHttpHeaders;
  /** Parsed body. */
  json: { id: string; type: string; createdAt: string; data: Record<string, unknown> };
  /** The status this request was answered with. */
  answered: number;
}

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Answers the next requests with these, in order. */
  answer(...answers: ReceiverAnswer[]): void;
  /** Every request waits this long before its answer. */
  setDelay(ms: number): void;
  /** Requests for events of this type (all when omitted). */
  ofType(type?: string): ReceivedWebhook[];
  reset(): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const queue: ReceiverAnswer[] = [];
  let delayMs = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = queue.shift() ?? { status: 200 };
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let json: ReceivedWebhook['json'];
      try {
        json = JSON.parse(rawBody) as ReceivedWebhook['json'];
      } catch {
        json = { id: '', type: '', createdAt: '', data: {} };
      }
      received.push({ rawBody, headers: req.headers, json, answered: answer.status });
      const wait = (answer.delayMs ?? 0) + delayMs;
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.status < 300 ? 'ok' : 'no');
      }, wait);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/mailbridge`,
    received,
    answer: (...answers) => queue.push(...answers),
    setDelay: (ms) => {
      delayMs = ms;
    },
    ofType: (type) => (type ? received.filter((r) => r.json.type === type) : [...received]),
    reset: () => {
      received.length = 0;
      queue.length = 0;
      delayMs = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

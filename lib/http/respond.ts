// Error → JSON response. Only AppError's code and message reach a client; anything else is a
// generic 500 whose details go to the log (by name, never by message: library errors can
// echo protocol lines).
import { ZodError } from 'zod';
import { AppError } from '../errors';
import { childLogger } from '../log';

const log = childLogger('http');

export function json(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...init.headers },
  });
}

export function noContent(): Response {
  return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });
}

export function errorResponse(error: unknown, context: { method?: string; path?: string } = {}): Response {
  if (error instanceof ZodError) {
    return json({ error: { code: 'invalid_request', message: describeZodError(error) } }, { status: 400 });
  }
  if (error instanceof AppError && error.code !== 'internal') {
    const headers: Record<string, string> = {};
    if (error.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfter)));
    const body = { code: error.code, message: error.message, ...(error.reconnectUrl ? { reconnectUrl: error.reconnectUrl } : {}) };
    return json({ error: body }, { status: error.status, headers });
  }
  const e = error instanceof Error ? error : undefined;
  log.error(
    { ...context, errName: e?.name ?? typeof error, errCode: (e as { code?: unknown } | undefined)?.code },
    'unhandled error in route',
  );
  return json({ error: { code: 'internal', message: 'Something went wrong' } }, { status: 500 });
}

function describeZodError(error: ZodError): string {
  const first = error.issues[0];
  if (!first) return 'Invalid request';
  const where = first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return `${where}${first.message}`;
}

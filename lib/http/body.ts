import type { z } from 'zod';
import { invalidRequest } from '../errors';

const DEFAULT_MAX_BYTES = 64 * 1024;

// JSON is UTF-8 (RFC 8259), so `charset=utf-8` is the one parameter allowed. Requiring this type
// also means a cross-site page cannot send the body without a CORS preflight (forms can only
// send text/plain, urlencoded or multipart).
const JSON_CONTENT_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-?8"?\s*)?$/i;

/** Pure: whether a Content-Type header names JSON. */
export function isJsonContentType(value: string | null): boolean {
  return value !== null && JSON_CONTENT_TYPE.test(value.trim());
}

/** Reads a JSON body with a size cap and validates it; every failure is a 400. */
export async function readJson<S extends z.ZodType>(request: Request, schema: S, maxBytes = DEFAULT_MAX_BYTES): Promise<z.infer<S>> {
  if (!isJsonContentType(request.headers.get('content-type'))) throw invalidRequest('Content-Type must be application/json');
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw invalidRequest(`Body larger than ${maxBytes} bytes`);
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw invalidRequest(`Body larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw invalidRequest('Body is not valid JSON');
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw result.error;
  return result.data;
}

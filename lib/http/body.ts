import type { z } from 'zod';
import { invalidRequest } from '../errors';

const DEFAULT_MAX_BYTES = 64 * 1024;

/** Reads a JSON body with a size cap and validates it; every failure is a 400. */
export async function readJson<S extends z.ZodType>(request: Request, schema: S, maxBytes = DEFAULT_MAX_BYTES): Promise<z.infer<S>> {
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

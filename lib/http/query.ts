import type { z } from 'zod';

/** Validates the query string (first value of each name); a ZodError becomes a 400. */
export function parseQuery<S extends z.ZodType>(url: URL, schema: S): z.infer<S> {
  const values: Record<string, string> = {};
  for (const [name, value] of url.searchParams) if (!(name in values)) values[name] = value;
  return schema.parse(values);
}

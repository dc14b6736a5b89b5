// Attribute names, and what may go into them: ids, outcomes and codes, never a token. Every string
// that leaves (our attributes, and Next.js's own span names and attributes, which carry request
// URLs) is scrubbed first: query strings dropped (OAuth codes, pre-authenticated download links),
// and any long run of token characters replaced.
import type { Attributes, AttributeValue as OtelValue } from '@opentelemetry/api';

export const ATTR = {
  credentialId: 'mailbridge.credential_id',
  linkId: 'mailbridge.onedrive.link_id',
  resource: 'mailbridge.token.resource',
  layer: 'mailbridge.token.layer',
  outcome: 'mailbridge.outcome',
  klass: 'mailbridge.class',
  errorType: 'error.type',
} as const;

export type AttributeValue = string | number | boolean;

/** JWTs, opaque Microsoft tokens (`M.C5…`), codes, download tokens: 40+ characters of token alphabet. */
const TOKEN_RUN = /[A-Za-z0-9_\-+=.!*$~]{40,}/g;
/** The query and fragment of a URL or path (`/api/mail/callback?code=…`). */
const URL_QUERY = /(\/[^\s?#]*)[?#]\S*/g;
export const REDACTED = '[redacted]';

/**
 * True for values shaped like a secret: a long run of token characters. Ids of this code base
 * (cuids and UUIDs) and URL paths made of them pass.
 */
export function looksLikeToken(value: string): boolean {
  return new RegExp(TOKEN_RUN.source).test(value);
}

/** A string safe to export: no query string, no token-shaped run. */
export function scrub(value: string): string {
  return value.replace(URL_QUERY, '$1').replace(TOKEN_RUN, REDACTED);
}

/** Attributes with every string (also inside arrays) scrubbed; undefined values dropped. */
export function safeAttributes(input: Record<string, AttributeValue | OtelValue | undefined>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (typeof value === 'string') out[key] = scrub(value);
    else if (Array.isArray(value)) out[key] = value.map((v: unknown) => (typeof v === 'string' ? scrub(v) : v)) as OtelValue;
    else out[key] = value;
  }
  return out;
}

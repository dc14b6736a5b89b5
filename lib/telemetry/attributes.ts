// Attribute names, and what may go into them: ids, outcomes and codes, never a token. Values are
// checked before they leave (a long opaque string is dropped), so a token passed by mistake is
// not exported.
import type { Attributes } from '@opentelemetry/api';

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

/**
 * True for values shaped like a secret: a JWT, or a long run of token characters (opaque access
 * and refresh tokens, authorization codes). Ids of this code base (cuids, 25 characters) pass.
 */
export function looksLikeToken(value: string): boolean {
  if (/^eyJ[\w-]+\.[\w-]+\./.test(value)) return true;
  return /[A-Za-z0-9_\-+/=.!*]{40,}/.test(value);
}

/** Drops values that look like tokens. */
export function safeAttributes(input: Record<string, AttributeValue | undefined>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (typeof value === 'string' && looksLikeToken(value)) continue;
    out[key] = value;
  }
  return out;
}

// Signing like Stripe's scheme: `Mailbridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<raw body>">`. The timestamp is inside the signed text, so a receiver that rejects stale
// timestamps cannot be replayed an old delivery; the event id header lets it drop a retry it
// already processed. Pure.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Mailbridge-Signature';
export const EVENT_ID_HEADER = 'Mailbridge-Event-Id';
export const EVENT_TYPE_HEADER = 'Mailbridge-Event-Type';
/** Receivers reject signatures older (or newer) than this by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
}

/** The header value for `rawBody` signed at `timestampSeconds`. */
export function signWebhook(rawBody: string, secret: string, timestampSeconds: number): string {
  const t = Math.floor(timestampSeconds);
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

export interface VerifyOptions {
  /** Accept timestamps this far from now (seconds); default 300. */
  toleranceSeconds?: number;
  /** Now, in unix seconds (tests). */
  nowSeconds?: number;
}

/**
 * True when `header` carries a v1 signature of `rawBody` (the bytes as received, before any JSON
 * parsing) under `secret`, made within the tolerance. Compared in constant time; several v1
 * entries are accepted (a sender rotating secrets signs with both).
 */
export function verifyWebhookSignature(rawBody: string, header: string | null | undefined, secret: string, options: VerifyOptions = {}): boolean {
  if (!header || !secret) return false;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, rawBody), 'hex');
  let ok = false;
  for (const candidate of signatures) {
    // Every candidate is compared (no early exit), each in constant time.
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) ok = true;
  }
  return ok;
}

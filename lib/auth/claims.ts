// The mailbox identity carried by a Microsoft id token. Used where the token was verified earlier
// in the same request (next-auth hands the raw token set on to its events), so it only decodes.
import { decodeJwt } from 'jose';

export interface IdTokenIdentity {
  oid: string;
  tid: string;
  /** Lowercased mailbox address: `email`, else `preferred_username` (as verifyIdToken decides). */
  email: string;
  name: string | null;
}

export function identityFromClaims(claims: Record<string, unknown>): IdTokenIdentity | null {
  const text = (name: string) => (typeof claims[name] === 'string' && claims[name] !== '' ? (claims[name] as string) : undefined);
  const oid = text('oid') ?? text('sub');
  const tid = text('tid');
  const email = text('email') ?? text('preferred_username');
  if (!oid || !tid || !email) return null;
  return { oid, tid, email: email.toLowerCase(), name: text('name') ?? null };
}

export function identityFromVerifiedIdToken(idToken: string): IdTokenIdentity | null {
  try {
    return identityFromClaims(decodeJwt(idToken));
  } catch {
    return null;
  }
}

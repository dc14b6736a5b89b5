// Validates Microsoft id tokens for every tenant setting. For `common`, `organizations` and
// `consumers` the metadata's issuer is the template `…/{tenantid}/v2.0`; the token carries the
// concrete issuer and a `tid` claim, so the expected issuer is the template with that tid.
// Signature, audience, expiry and nonce are all still checked.
import { createRemoteJWKSet, jwtVerify, decodeJwt, type JWTPayload } from 'jose';
import { z } from 'zod';

const metadataSchema = z.object({ issuer: z.string(), jwks_uri: z.url(), authorization_endpoint: z.url(), token_endpoint: z.url() }).loose();
export type OpenIdMetadata = z.infer<typeof metadataSchema>;

export interface MicrosoftIdentity {
  /** Stable account key: object id within its tenant. */
  oid: string;
  tid: string;
  email: string;
  name?: string;
}

const metadataCache = new Map<string, Promise<OpenIdMetadata>>();
const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

export function fetchOpenIdMetadata(metadataUrl: string): Promise<OpenIdMetadata> {
  let pending = metadataCache.get(metadataUrl);
  if (!pending) {
    pending = fetch(metadataUrl, { signal: AbortSignal.timeout(10_000) })
      .then(async (r) => {
        if (!r.ok) throw new Error(`OpenID metadata request failed with HTTP ${r.status}`);
        return metadataSchema.parse(await r.json());
      })
      .catch((error: unknown) => {
        metadataCache.delete(metadataUrl);
        throw error;
      });
    metadataCache.set(metadataUrl, pending);
  }
  return pending;
}

export function expectedIssuer(metadataIssuer: string, tid: string): string {
  return metadataIssuer.replace('{tenantid}', tid);
}

export async function verifyIdToken(input: {
  idToken: string;
  metadataUrl: string;
  clientId: string;
  nonce: string;
}): Promise<MicrosoftIdentity> {
  const metadata = await fetchOpenIdMetadata(input.metadataUrl);
  const unverified = decodeJwt(input.idToken);
  const tid = typeof unverified.tid === 'string' ? unverified.tid : '';
  if (!tid) throw new Error('id token has no tenant id');
  let jwks = jwksCache.get(metadata.jwks_uri);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
    jwksCache.set(metadata.jwks_uri, jwks);
  }
  const { payload } = await jwtVerify(input.idToken, jwks, {
    issuer: expectedIssuer(metadata.issuer, tid),
    audience: input.clientId,
    algorithms: ['RS256'],
    clockTolerance: 120,
  });
  if (payload.nonce !== input.nonce) throw new Error('id token nonce mismatch');
  return identityFromClaims(payload);
}

function identityFromClaims(payload: JWTPayload): MicrosoftIdentity {
  const claim = (name: string) => (typeof payload[name] === 'string' ? (payload[name] as string) : undefined);
  const oid = claim('oid') ?? payload.sub;
  const email = claim('email') ?? claim('preferred_username');
  const tid = claim('tid');
  if (!oid || !email || !tid) throw new Error('id token lacks oid, tid or an email address');
  const name = claim('name');
  return { oid, tid, email: email.toLowerCase(), ...(name ? { name } : {}) };
}

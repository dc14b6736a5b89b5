// Client authentication at the token endpoint, as Microsoft does it: the app registration holds
// client secrets (each with an expiry) and certificates (public keys, known by their thumbprint);
// a request presents a secret (client_secret_post or _basic) or a client assertion
// (private_key_jwt: a JWT signed with a registered certificate's key, aud = this token endpoint,
// iss = sub = the client id, a short exp/nbf window and a jti never seen before).
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { EmulatorContext } from '../context';
import { recordSecret } from '../ledger';
import type { GrantRequest } from './grants';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Microsoft tolerates five minutes of clock skew on assertions. */
const CLOCK_SKEW_SECONDS = 300;

export interface RegisteredSecret {
  value: string;
  /** Epoch ms (emulator clock); null never expires. */
  expiresAt: number | null;
}

export interface RegisteredCertificate {
  publicKey: KeyObject;
  /** Hex SHA-1 thumbprint, upper case, as the portal and Microsoft's errors show it. */
  thumbprint: string;
  x5t: string;
  x5tS256: string;
  /** Epoch ms (emulator clock): the credential's end date on the app registration. */
  expiresAt: number;
}

export function registerCertificate(pem: string, expiresAt?: number): RegisteredCertificate {
  const cert = new X509Certificate(pem);
  const sha1 = createHash('sha1').update(cert.raw).digest();
  return {
    publicKey: cert.publicKey,
    thumbprint: sha1.toString('hex').toUpperCase(),
    x5t: sha1.toString('base64url'),
    x5tS256: createHash('sha256').update(cert.raw).digest('base64url'),
    expiresAt: expiresAt ?? Date.parse(cert.validTo),
  };
}

/** client_secret_basic: both halves are form-urlencoded before base64 (RFC 6749 §2.3.1). */
export function basicCredentials(req: IncomingMessage): { clientId: string; secret: string } | null {
  const match = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return { clientId: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
}

type Fail = GrantRequest['fail'];
type Failure = ReturnType<Fail>;

/** null when the client authenticated; otherwise Microsoft's answer. */
export async function authenticateClient(
  ctx: EmulatorContext,
  input: { form: URLSearchParams; secret: string | null; clientId: string; tenantSegment: string; fail: Fail },
): Promise<Failure | null> {
  const { form, fail } = input;
  const assertion = form.get('client_assertion');
  if (assertion !== null && assertion !== '') {
    recordSecret(assertion);
    const type = form.get('client_assertion_type');
    if (type === null || type === '') return fail([900144], { param: 'client_assertion_type' });
    if (type !== CLIENT_ASSERTION_TYPE) return fail([50027], { reason: `client_assertion_type '${type}' is not supported.` });
    return verifyAssertion(ctx, { ...input, assertion });
  }
  const secret = input.secret;
  if (secret === null || secret === '') return fail([7000218]);
  const registered = ctx.state.clientSecrets.find((s) => s.value === secret);
  if (!registered) return fail([7000215]);
  if (registered.expiresAt !== null && registered.expiresAt <= ctx.state.now()) return fail([7000222]);
  return null;
}

async function verifyAssertion(
  ctx: EmulatorContext,
  input: { assertion: string; clientId: string; tenantSegment: string; fail: Fail },
): Promise<Failure | null> {
  const { state } = ctx;
  const { fail } = input;
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(input.assertion);
  } catch {
    return fail([50027], { reason: 'JWT token is malformed.' });
  }
  if (header.alg !== 'RS256' && header.alg !== 'PS256') return fail([50027], { reason: `The signing algorithm '${String(header.alg)}' is not supported.` });
  const x5tS256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
  const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
  if (!x5tS256 && !x5t) return fail([50027], { reason: 'No certificate thumbprint specified in token header.' });
  const shown = x5t ? Buffer.from(x5t, 'base64url').toString('hex').toUpperCase() : Buffer.from(x5tS256!, 'base64url').toString('hex').toUpperCase();
  const cert = state.clientCertificates.find((c) => (x5tS256 ? c.x5tS256 === x5tS256 : c.x5t === x5t));
  if (!cert) return fail([700027], { reason: `[Reason - The key was not found., Thumbprint of key used by client: '${shown}']` });
  if (cert.expiresAt <= state.now()) return fail([700027], { reason: 'The certificate with identifier used to sign the client assertion is expired on application.' });

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(input.assertion, cert.publicKey, {
      algorithms: ['RS256', 'PS256'],
      currentDate: new Date(state.now()),
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ['exp', 'aud', 'iss', 'sub', 'jti'],
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired || (error instanceof joseErrors.JWTClaimValidationFailed && (error.claim === 'nbf' || error.claim === 'iat'))) {
      return fail([700024], { reason: `Current time: ${new Date(state.now()).toISOString()}.` });
    }
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
      return fail([700027], { reason: `[Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${shown}']` });
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) return fail([50027], { reason: `The '${error.claim}' claim is missing or not valid.` });
    return fail([50027], { reason: 'JWT token is malformed.' });
  }
  if (payload.iss !== input.clientId || payload.sub !== input.clientId) return fail([700021]);
  const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
  const tokenEndpoint = `${ctx.baseUrl().replace(/\/$/, '')}/${input.tenantSegment}/oauth2/v2.0/token`;
  if (!audiences.includes(tokenEndpoint)) return fail([50027], { reason: `Invalid audience '${audiences.join(',')}'.` });
  // Single use: a jti seen before (and not yet past its exp) is a replay.
  const now = state.now();
  for (const [jti, until] of state.usedAssertionIds) if (until < now) state.usedAssertionIds.delete(jti);
  const jti = String(payload.jti);
  if (state.usedAssertionIds.has(jti)) return fail([50027], { reason: `The client assertion with jti '${jti}' has already been used.` });
  state.usedAssertionIds.set(jti, (payload.exp ?? 0) * 1000 + CLOCK_SKEW_SECONDS * 1000);
  return null;
}

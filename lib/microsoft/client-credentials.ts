// The app's own credentials for the token endpoint: client secrets and a certificate (private-key
// JWT client assertion, RFC 7523 / Microsoft's "certificate credential"). Loading and checking a
// certificate, building an assertion, the order in which credentials are tried and which rejections
// move on to the next credential are all here, free of network I/O.
import { createHash, createPrivateKey, randomUUID, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { BrandedError } from '../errors';
import type { Classification } from './classify';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const CLIENT_ASSERTION_ALGORITHMS = ['PS256', 'RS256'] as const;
export type ClientAssertionAlgorithm = (typeof CLIENT_ASSERTION_ALGORITHMS)[number];
/** Lifetime of one assertion. Microsoft accepts up to 10 minutes; each request gets a new one. */
export const CLIENT_ASSERTION_LIFETIME_SECONDS = 300;

export interface CertificateCredential {
  privateKey: KeyObject;
  algorithm: ClientAssertionAlgorithm;
  /** base64url SHA-1 of the DER certificate (the `x5t` header; Entra shows it hex-encoded). */
  x5t: string;
  /** base64url SHA-256 of the DER certificate (the `x5t#S256` header). */
  x5tS256: string;
  /** Epoch ms after which Entra refuses the certificate. */
  notAfter: number;
}

/** Names operators see in logs: which credential was used or rejected (never its value). */
export type ClientCredentialId = 'certificate' | 'secret' | 'secret_next';

export type ClientCredential =
  | { id: ClientCredentialId; kind: 'secret'; secret: string }
  | { id: ClientCredentialId; kind: 'certificate'; certificate: CertificateCredential };

/** A configured certificate or key that cannot be used; the message names the variable, never its value. */
export class ClientCredentialConfigError extends BrandedError {
  static override readonly brand: string = 'mailbridge.ClientCredentialConfigError';
  constructor(readonly variable: string, message: string) {
    super(message);
    this.name = 'ClientCredentialConfigError';
  }
}

/**
 * A PEM given inline (as Vercel and most secret stores hold it, possibly with `\n` escapes) or
 * the path of a PEM file.
 */
export function resolvePem(value: string, variable: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): string {
  const trimmed = value.trim();
  if (trimmed.includes('-----BEGIN')) return trimmed.replace(/\\n/g, '\n');
  try {
    return readFile(trimmed);
  } catch {
    throw new ClientCredentialConfigError(variable, `${variable} is neither a PEM value nor a readable PEM file`);
  }
}

export function loadCertificateCredential(input: {
  certificatePem: string;
  privateKeyPem: string;
  passphrase?: string;
  algorithm?: ClientAssertionAlgorithm;
}): CertificateCredential {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(input.certificatePem);
  } catch {
    throw new ClientCredentialConfigError('MICROSOFT_CLIENT_CERTIFICATE', 'MICROSOFT_CLIENT_CERTIFICATE is not a PEM X.509 certificate');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: input.privateKeyPem, format: 'pem', ...(input.passphrase ? { passphrase: input.passphrase } : {}) });
  } catch {
    throw new ClientCredentialConfigError(
      'MICROSOFT_CLIENT_CERTIFICATE_KEY',
      'MICROSOFT_CLIENT_CERTIFICATE_KEY is not a PEM private key (or MICROSOFT_CLIENT_CERTIFICATE_KEY_PASSPHRASE does not open it)',
    );
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new ClientCredentialConfigError('MICROSOFT_CLIENT_CERTIFICATE_KEY', 'MICROSOFT_CLIENT_CERTIFICATE_KEY must be an RSA key (RS256/PS256)');
  }
  if ((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new ClientCredentialConfigError('MICROSOFT_CLIENT_CERTIFICATE_KEY', 'MICROSOFT_CLIENT_CERTIFICATE_KEY must be at least 2048 bits (Entra ID refuses smaller keys)');
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ClientCredentialConfigError('MICROSOFT_CLIENT_CERTIFICATE_KEY', 'MICROSOFT_CLIENT_CERTIFICATE_KEY is not the private key of MICROSOFT_CLIENT_CERTIFICATE');
  }
  return {
    privateKey,
    algorithm: input.algorithm ?? 'PS256',
    ...certificateThumbprints(certificate.raw),
    notAfter: Date.parse(certificate.validTo),
  };
}

export function certificateThumbprints(der: Buffer): { x5t: string; x5tS256: string } {
  return {
    x5t: createHash('sha1').update(der).digest('base64url'),
    x5tS256: createHash('sha256').update(der).digest('base64url'),
  };
}

/**
 * A client assertion for one token request: iss = sub = the client id, aud = the token endpoint,
 * a fresh jti, valid from now for a few minutes; the header names the certificate by thumbprint.
 */
export async function buildClientAssertion(input: {
  clientId: string;
  tokenEndpoint: string;
  certificate: CertificateCredential;
  /** Epoch ms. */
  now: number;
  jti?: string;
  lifetimeSeconds?: number;
}): Promise<string> {
  const now = Math.floor(input.now / 1000);
  const { certificate } = input;
  return new SignJWT({})
    .setProtectedHeader({ alg: certificate.algorithm, typ: 'JWT', x5t: certificate.x5t, 'x5t#S256': certificate.x5tS256 })
    .setIssuer(input.clientId)
    .setSubject(input.clientId)
    .setAudience(input.tokenEndpoint)
    .setJti(input.jti ?? randomUUID())
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + (input.lifetimeSeconds ?? CLIENT_ASSERTION_LIFETIME_SECONDS))
    .sign(certificate.privateKey);
}

/** The form fields that authenticate the app with one credential (client_secret_post or private_key_jwt). */
export async function clientAuthenticationParams(
  credential: ClientCredential,
  context: { clientId: string; tokenEndpoint: string; now: number },
): Promise<Record<string, string>> {
  if (credential.kind === 'secret') return { client_secret: credential.secret };
  return {
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: await buildClientAssertion({ clientId: context.clientId, tokenEndpoint: context.tokenEndpoint, certificate: credential.certificate, now: context.now }),
  };
}

/** Which credential to try first: the one that last worked, then the others in configured order. */
export function credentialOrder(credentials: readonly ClientCredential[], preferred: ClientCredentialId | undefined): ClientCredential[] {
  const first = credentials.find((c) => c.id === preferred);
  return first ? [first, ...credentials.filter((c) => c !== first)] : [...credentials];
}

/**
 * A token request failed because Microsoft refused this credential (secret expired or wrong,
 * assertion refused, certificate unknown or expired): another configured credential may work.
 * A tenant that does not exist (AADSTS90002) is refused whatever the app presents.
 */
export function rejectsClientCredential(c: Classification): boolean {
  return c.kind === 'app' && c.code !== 'AADSTS90002' && c.code !== 'invalid_tenant';
}

/** What a process remembers between requests: the credential that last worked. */
export interface ClientCredentialMemory {
  preferred?: ClientCredentialId;
}

/** Days before a certificate's end date from which the operator is warned at start. */
export const CERTIFICATE_EXPIRY_WARNING_DAYS = 30;

/** Whether a certificate credential's end date calls for a warning (soon) or an error (past). */
export function certificateExpiry(notAfter: number, now: number): { level: 'warn' | 'error'; daysLeft: number } | null {
  const daysLeft = Math.floor((notAfter - now) / 86_400_000);
  if (notAfter <= now) return { level: 'error', daysLeft };
  return daysLeft < CERTIFICATE_EXPIRY_WARNING_DAYS ? { level: 'warn', daysLeft } : null;
}

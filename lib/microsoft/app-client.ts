// This process's identity client for the app registration: its credentials come from the
// environment, and which of them works is remembered once per process (on globalThis, so every
// copy of this module in a production build shares it). Sign-in, connecting a mailbox and every
// refresh use this one client.
import type { Env } from '../env';
import { childLogger } from '../log';
import { certificateExpiry, loadCertificateCredential, resolvePem, type ClientCredential, type ClientCredentialMemory } from './client-credentials';
import { createIdentityClient, type IdentityClient } from './identity-client';

const log = childLogger('microsoft');

/** The configured credentials in order of preference: certificate, current secret, next secret. */
export function clientCredentialsFromEnv(env: Env): ClientCredential[] {
  const credentials: ClientCredential[] = [];
  if (env.MICROSOFT_CLIENT_CERTIFICATE && env.MICROSOFT_CLIENT_CERTIFICATE_KEY) {
    const certificate = loadCertificateCredential({
      certificatePem: resolvePem(env.MICROSOFT_CLIENT_CERTIFICATE, 'MICROSOFT_CLIENT_CERTIFICATE'),
      privateKeyPem: resolvePem(env.MICROSOFT_CLIENT_CERTIFICATE_KEY, 'MICROSOFT_CLIENT_CERTIFICATE_KEY'),
      algorithm: env.MICROSOFT_CLIENT_ASSERTION_ALG,
      ...(env.MICROSOFT_CLIENT_CERTIFICATE_KEY_PASSPHRASE ? { passphrase: env.MICROSOFT_CLIENT_CERTIFICATE_KEY_PASSPHRASE } : {}),
    });
    credentials.push({ id: 'certificate', kind: 'certificate', certificate });
  }
  if (env.MICROSOFT_CLIENT_SECRET) credentials.push({ id: 'secret', kind: 'secret', secret: env.MICROSOFT_CLIENT_SECRET });
  if (env.MICROSOFT_CLIENT_SECRET_NEXT) credentials.push({ id: 'secret_next', kind: 'secret', secret: env.MICROSOFT_CLIENT_SECRET_NEXT });
  return credentials;
}

/** True when the app registration can authenticate at all (an id and at least one credential). */
export function hasClientCredentials(env: Env): boolean {
  return Boolean(env.MICROSOFT_CLIENT_ID && (env.MICROSOFT_CLIENT_SECRET || env.MICROSOFT_CLIENT_SECRET_NEXT || env.MICROSOFT_CLIENT_CERTIFICATE));
}

const globalForApp = globalThis as typeof globalThis & {
  __mailbridgeAppIdentity?: { key: string; client: IdentityClient; memory: ClientCredentialMemory };
};

/** The identity client of the configured app registration, or null when none is configured. */
export function appIdentityClient(env: Env): IdentityClient | null {
  if (!env.MICROSOFT_CLIENT_ID || !hasClientCredentials(env)) return null;
  const authorityHost = env.MICROSOFT_AUTHORITY_HOST.replace(/\/+$/, '');
  // Settings identify the client; the secret values are not part of the key (only presence).
  const key = [env.MICROSOFT_CLIENT_ID, authorityHost, env.MICROSOFT_TENANT, Boolean(env.MICROSOFT_CLIENT_CERTIFICATE), Boolean(env.MICROSOFT_CLIENT_SECRET), Boolean(env.MICROSOFT_CLIENT_SECRET_NEXT)].join('|');
  const existing = globalForApp.__mailbridgeAppIdentity;
  if (existing?.key === key) return existing.client;
  const memory: ClientCredentialMemory = {};
  const credentials = clientCredentialsFromEnv(env);
  for (const credential of credentials) {
    if (credential.kind !== 'certificate') continue;
    const expiry = certificateExpiry(credential.certificate.notAfter, Date.now());
    if (expiry) {
      log[expiry.level](
        { outcome: 'client_certificate_expiring', credential: credential.id, daysLeft: expiry.daysLeft, notAfter: new Date(credential.certificate.notAfter).toISOString() },
        expiry.level === 'error' ? 'MICROSOFT_CLIENT_CERTIFICATE has expired: Microsoft refuses it' : 'MICROSOFT_CLIENT_CERTIFICATE expires soon: upload a new one (docs/operations.md §4.2)',
      );
    }
  }
  const client = createIdentityClient({
    authorityHost,
    tenant: env.MICROSOFT_TENANT,
    clientId: env.MICROSOFT_CLIENT_ID,
    credentials,
    credentialMemory: memory,
    onCredentialRejected({ credential, code, next }) {
      log.warn(
        { outcome: 'client_credential_rejected', credential, code, next },
        'Microsoft refused one of the app credentials; trying the next one (replace or remove the refused one)',
      );
    },
    onCredentialSelected({ credential, previous }) {
      const level = previous === undefined && credential === credentials[0]?.id ? 'info' : 'warn';
      log[level]({ outcome: 'client_credential_selected', credential, previous: previous ?? null }, 'the app authenticates with this credential');
    },
  });
  globalForApp.__mailbridgeAppIdentity = { key, client, memory };
  return client;
}

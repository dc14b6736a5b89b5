// Public API of the local Microsoft identity platform + Graph emulator. Tests and the standalone
// script (scripts/emulator.ts) start it here; the service only ever sees its HTTP surface.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DriveEmulator } from './drive';
import type { EmulatorContext } from './context';
import { FailureQueue, type TokenFailure } from './failures';
import { Sleeper } from './http';
import { registerCertificate } from './identity/client-auth';
import { createSigningKeys } from './identity/keys';
import { parseScope, type ResourceName } from './identity/scopes';
import { newSecret, recordSecret } from './ledger';
import { createEmulatorServer } from './server';
import { EmulatorState, type EmulatorStats, type EmulatorUser, type TokenRequestLogEntry } from './state';

export type { TokenFailure } from './failures';
export type { ResourceName } from './identity/scopes';
export type { EmulatorStats, EmulatorUser, TokenRequestLogEntry } from './state';
export type { GraphCaller } from './drive';

export interface MicrosoftEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** PEM certificates registered on the app (certificate credentials), valid until their notAfter. */
  certificates?: string[];
  /** Display name of the app registration, as it appears in consent errors. */
  appName?: string;
  /** Tenant of users added without one. */
  tenantId?: string;
  /** Registered redirect URIs; unset accepts any http(s) URI. */
  redirectUris?: string[];
  accessTokenTtlSeconds?: number;
  strictRotation?: boolean;
  latencyMs?: number;
}

export interface MicrosoftEmulator {
  /** http://HOST:PORT — MICROSOFT_AUTHORITY_HOST. */
  readonly url: string;
  /** `${url}/v1.0` — MICROSOFT_GRAPH_URL. */
  readonly graphUrl: string;
  /** Dovecot's introspection_url. */
  readonly introspectionUrl: string;
  /** The test SMTP server's token check: active only for tokens carrying SMTP.Send. */
  readonly smtpIntrospectionUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Tenant of users added without one. */
  readonly tenantId: string;
  readonly drive: DriveEmulator;
  /** Every token request received, newest last; no secret values. */
  readonly tokenRequestLog: readonly TokenRequestLogEntry[];

  tokenUrl(tenant?: string): string;
  authorizeUrl(tenant?: string): string;
  metadataUrl(tenant?: string): string;

  addUser(input: { email: string; name?: string; tenantId?: string }): EmulatorUser;
  setDefaultUser(email: string | null): void;

  /** A refresh token as if the user had consented to `scopes` and signed in. */
  issueRefreshToken(input: { email: string; scopes: string[] }): string;
  /** An access token for one resource (permissions: those consented, else the usual ones). */
  issueAccessToken(input: { email: string; resource: ResourceName; ttlSeconds?: number; scopes?: string[] }): string;

  /**
   * Admin consent for the whole tenant (default: the default tenant): every user of it may have
   * tokens minted for these permissions although this app never asked them (e.g. `Files.Read.All`).
   */
  grantTenantConsent(input: { scopes: string[]; tenantId?: string }): void;

  /** Later refreshes of this user's existing grants fail with invalid_grant (default AADSTS50173). */
  revokeGrants(email: string, options?: { aadsts?: number }): void;
  /** Issued access tokens (of one user, or all) stop being accepted by introspection and Graph. */
  expireAccessTokens(email?: string): void;
  /**
   * Another client secret on the app registration (a new one during rotation); returns its value.
   * `expiresInSeconds` on the emulator's clock; unset never expires.
   */
  addClientSecret(input?: { value?: string; expiresInSeconds?: number }): string;
  /** The secret expires now: requests presenting it get AADSTS7000222. */
  expireClientSecret(value: string): void;
  /** The secret is deleted from the registration: requests presenting it get AADSTS7000215. */
  removeClientSecret(value: string): void;
  /** Uploads a PEM certificate to the registration; its end date defaults to the certificate's notAfter. */
  addClientCertificate(pem: string, options?: { expiresInSeconds?: number }): void;
  /** Deletes the certificate credential (its assertions then get AADSTS700027, key not found). */
  removeClientCertificate(pem: string): void;
  setStrictRotation(strict: boolean): void;
  setLatency(ms: number): void;
  setAccessTokenTtl(seconds: number): void;
  setRedirectUris(uris: string[] | null): void;
  /** Moves the emulator's clock (token and code expiry, 90-day refresh-token inactivity). */
  advanceClock(seconds: number): void;

  failTokenRequests(failure: TokenFailure): void;
  clearTokenFailures(): void;

  stats(): EmulatorStats;
  resetStats(): void;
  close(): Promise<void>;
}

const DEFAULT_PERMISSIONS: Record<ResourceName, string[]> = {
  imap: ['IMAP.AccessAsUser.All'],
  graph: ['Files.Read.All', 'User.Read'],
};

export async function startMicrosoftEmulator(options: MicrosoftEmulatorOptions = {}): Promise<MicrosoftEmulator> {
  const clientSecret = options.clientSecret ?? newSecret(30);
  recordSecret(clientSecret);
  const state = new EmulatorState({
    clientId: options.clientId ?? randomUUID(),
    clientSecret,
    appName: options.appName ?? 'Mailbridge',
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
    strictRotation: options.strictRotation ?? false,
    latencyMs: options.latencyMs ?? 0,
    redirectUris: options.redirectUris ?? null,
    defaultTenantId: (options.tenantId ?? randomUUID()).toLowerCase(),
  });
  for (const pem of options.certificates ?? []) state.clientCertificates.push(registerCertificate(pem));
  let url = '';
  const ctx: EmulatorContext = {
    state,
    keys: await createSigningKeys(),
    failures: new FailureQueue(),
    sleeper: new Sleeper(),
    drive: new DriveEmulator({ baseUrl: () => url, recordSecret }),
    baseUrl: () => url,
  };
  const server = createEmulatorServer(ctx);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const consentAll = (user: EmulatorUser, scopes: string[]) => {
    for (const parsed of scopes.map(parseScope)) {
      if (parsed.kind === 'resource') state.addConsent(user.oid, state.config.clientId, parsed.resource, [parsed.permission]);
    }
  };

  return {
    url,
    graphUrl: `${url}/v1.0`,
    introspectionUrl: `${url}/introspect`,
    smtpIntrospectionUrl: `${url}/introspect/smtp`,
    clientId: state.config.clientId,
    clientSecret,
    tenantId: state.config.defaultTenantId,
    drive: ctx.drive,
    get tokenRequestLog() {
      return state.tokenRequestLog;
    },
    tokenUrl: (tenant = 'common') => `${url}/${tenant}/oauth2/v2.0/token`,
    authorizeUrl: (tenant = 'common') => `${url}/${tenant}/oauth2/v2.0/authorize`,
    metadataUrl: (tenant = 'common') => `${url}/${tenant}/v2.0/.well-known/openid-configuration`,

    addUser: (input) => ({ ...state.addUser(input) }),
    setDefaultUser(email) {
      state.defaultUserOid = email === null ? null : state.requireUser(email).oid;
    },

    issueRefreshToken({ email, scopes }) {
      const user = state.requireUser(email);
      consentAll(user, scopes);
      return state.issueRefreshToken(state.newFamily(user.oid, state.config.clientId, scopes).id);
    },
    issueAccessToken({ email, resource, ttlSeconds, scopes }) {
      const user = state.requireUser(email);
      const consented = state.consented(user.oid, state.config.clientId, resource);
      const permissions = scopes ?? (consented.length > 0 ? consented : DEFAULT_PERMISSIONS[resource]);
      return state.issueAccessToken({ userOid: user.oid, clientId: state.config.clientId, resource, scopes: permissions, ttlSeconds }).value;
    },

    grantTenantConsent({ scopes, tenantId }) {
      const tid = tenantId ?? state.config.defaultTenantId;
      for (const parsed of scopes.map(parseScope)) {
        if (parsed.kind === 'resource') state.addTenantConsent(tid, state.config.clientId, parsed.resource, [parsed.permission]);
      }
    },
    addClientSecret(input = {}) {
      const value = input.value ?? newSecret(30);
      recordSecret(value);
      state.clientSecrets.push({ value, expiresAt: input.expiresInSeconds === undefined ? null : state.now() + input.expiresInSeconds * 1000 });
      return value;
    },
    expireClientSecret(value) {
      const secret = state.clientSecrets.find((s) => s.value === value);
      if (!secret) throw new Error('emulator: no such client secret');
      secret.expiresAt = state.now() - 1;
    },
    removeClientSecret(value) {
      const i = state.clientSecrets.findIndex((s) => s.value === value);
      if (i >= 0) state.clientSecrets.splice(i, 1);
    },
    addClientCertificate(pem, opts = {}) {
      state.clientCertificates.push(registerCertificate(pem, opts.expiresInSeconds === undefined ? undefined : state.now() + opts.expiresInSeconds * 1000));
    },
    removeClientCertificate(pem) {
      const { x5tS256 } = registerCertificate(pem);
      const i = state.clientCertificates.findIndex((c) => c.x5tS256 === x5tS256);
      if (i >= 0) state.clientCertificates.splice(i, 1);
    },
    revokeGrants: (email, opts = {}) => state.revokeGrants(email, opts.aadsts ?? 50173),
    expireAccessTokens: (email) => state.expireAccessTokens(email),
    setStrictRotation(strict) {
      state.config.strictRotation = strict;
    },
    setLatency(ms) {
      state.config.latencyMs = ms;
    },
    setAccessTokenTtl(seconds) {
      state.config.accessTokenTtlSeconds = seconds;
    },
    setRedirectUris(uris) {
      state.config.redirectUris = uris;
    },
    advanceClock: (seconds) => state.advanceClock(seconds),

    failTokenRequests: (failure) => ctx.failures.add(failure),
    clearTokenFailures: () => ctx.failures.clear(),

    stats: () => structuredClone(state.stats),
    resetStats: () => state.resetStats(),
    async close() {
      ctx.sleeper.wakeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

// The emulator's memory: users, consent, grant families, and the tokens and codes it issued.
// Everything is synchronous so that one request's read-modify-write can never interleave with
// another's (Node runs each handler's synchronous part to completion).
import { createHash, randomUUID } from 'node:crypto';
import { newSecret } from './ledger';
import type { RegisteredCertificate, RegisteredSecret } from './identity/client-auth';
import { canonicalPermission, permissionKey, RESOURCES, type ResourceName } from './identity/scopes';

export interface EmulatorUser {
  oid: string;
  tid: string;
  email: string;
  name: string;
}

/** One sign-in's refresh-token lineage; revocation works on families issued before it. */
export interface GrantFamily {
  id: string;
  userOid: string;
  clientId: string;
  /** Scopes of the authorization that started it (what a refresh without `scope` gets). */
  scopes: string[];
  createdAt: number;
  revoked?: { aadsts: number; at: number };
}

export interface RefreshTokenRecord {
  familyId: string;
  issuedAt: number;
  lastUsedAt: number;
  used: boolean;
}

export interface AccessTokenRecord {
  userOid: string;
  clientId: string;
  resource: ResourceName;
  audience: string;
  /** Permissions in `scp` form (bare names, e.g. "Files.Read.All"). */
  scopes: string[];
  issuedAt: number;
  expiresAt: number;
}

export interface AuthCodeRecord {
  userOid: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  tenant: string;
  issuedAt: number;
  expiresAt: number;
  redeemed: boolean;
}

export interface TokenRequestLogEntry {
  at: number;
  tenant: string;
  grantType: string;
  resource: ResourceName | null;
  /** HTTP status sent, or 0 while in flight / when the connection was dropped. */
  status: number;
  error?: string;
  injected: boolean;
}

export interface EmulatorStats {
  token: { total: number; authorization_code: number; refresh_token: number; other: number; failed: number; byResource: Record<ResourceName, number> };
  introspect: number;
  authorize: number;
  graph: number;
}

export interface EmulatorConfig {
  clientId: string;
  clientSecret: string;
  appName: string;
  accessTokenTtlSeconds: number;
  strictRotation: boolean;
  latencyMs: number;
  /** Registered redirect URIs; null accepts any http(s) URI (a test app registered everything). */
  redirectUris: string[] | null;
  defaultTenantId: string;
}

export const CONSUMERS_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
export const CODE_TTL_MS = 10 * 60_000;
/** Microsoft's refresh tokens die after 90 days without use. */
export const REFRESH_INACTIVITY_MS = 90 * 24 * 3600_000;

function emptyStats(): EmulatorStats {
  return {
    token: { total: 0, authorization_code: 0, refresh_token: 0, other: 0, failed: 0, byResource: { imap: 0, graph: 0 } },
    introspect: 0,
    authorize: 0,
    graph: 0,
  };
}

export class EmulatorState {
  readonly users = new Map<string, EmulatorUser>(); // by oid
  defaultUserOid: string | null = null;
  /** userOid|clientId → resource → permissionKey → permission as first consented. */
  private readonly consent = new Map<string, Map<ResourceName, Map<string, string>>>();
  readonly families = new Map<string, GrantFamily>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  readonly codes = new Map<string, AuthCodeRecord>();
  stats: EmulatorStats = emptyStats();
  readonly tokenRequestLog: TokenRequestLogEntry[] = [];
  private clockOffsetMs = 0;
  /** The app registration's client secrets (the first one is config.clientSecret). */
  readonly clientSecrets: RegisteredSecret[];
  /** The app registration's certificate credentials. */
  readonly clientCertificates: RegisteredCertificate[] = [];
  /** Client assertion ids already presented → until when they are remembered (epoch ms). */
  readonly usedAssertionIds = new Map<string, number>();

  constructor(readonly config: EmulatorConfig) {
    this.clientSecrets = [{ value: config.clientSecret, expiresAt: null }];
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  advanceClock(seconds: number): void {
    this.clockOffsetMs += seconds * 1000;
  }

  resetStats(): void {
    this.stats = emptyStats();
    this.tokenRequestLog.length = 0;
  }

  // ---- users

  addUser(input: { email: string; name?: string; tenantId?: string }): EmulatorUser {
    const existing = this.userByEmail(input.email);
    if (existing) return existing;
    const local = input.email.split('@')[0] ?? input.email;
    const tid = input.tenantId ?? this.config.defaultTenantId;
    const user: EmulatorUser = {
      // Derived, like Microsoft's stable object ids: the same user in the same tenant keeps its id
      // across emulator restarts (the sandbox's stored account links still match).
      oid: stableUuid(`${tid}|${input.email.toLowerCase()}`),
      tid,
      email: input.email,
      name: input.name ?? local.replace(/[._-]+/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase()),
    };
    this.users.set(user.oid, user);
    return user;
  }

  userByEmail(email: string): EmulatorUser | undefined {
    const wanted = email.toLowerCase();
    for (const user of this.users.values()) if (user.email.toLowerCase() === wanted) return user;
    return undefined;
  }

  requireUser(email: string): EmulatorUser {
    const user = this.userByEmail(email);
    if (!user) throw new Error(`emulator: no user ${email}; addUser() first`);
    return user;
  }

  knownTenants(): Set<string> {
    const tenants = new Set([this.config.defaultTenantId]);
    for (const user of this.users.values()) tenants.add(user.tid);
    return tenants;
  }

  // ---- consent (what the user agreed to for this app; grows with incremental consent)

  addConsent(userOid: string, clientId: string, resource: ResourceName, permissions: string[]): void {
    const key = `${userOid}|${clientId}`;
    let byResource = this.consent.get(key);
    if (!byResource) this.consent.set(key, (byResource = new Map()));
    let perms = byResource.get(resource);
    if (!perms) byResource.set(resource, (perms = new Map()));
    for (const permission of permissions) {
      if (permission === '.default') continue;
      if (!perms.has(permissionKey(permission))) perms.set(permissionKey(permission), canonicalPermission(permission));
    }
  }

  /**
   * Admin consent: an administrator granted the app these permissions for every user of the
   * tenant, whether or not the app ever asked a user for them.
   */
  addTenantConsent(tenantId: string, clientId: string, resource: ResourceName, permissions: string[]): void {
    this.addConsent(tenantKey(tenantId), clientId, resource, permissions);
  }

  consented(userOid: string, clientId: string, resource: ResourceName): string[] {
    const own = this.consent.get(`${userOid}|${clientId}`)?.get(resource);
    const tid = this.users.get(userOid)?.tid;
    const tenant = tid === undefined ? undefined : this.consent.get(`${tenantKey(tid)}|${clientId}`)?.get(resource);
    const merged = new Map([...(tenant ?? []), ...(own ?? [])]);
    return [...merged.values()];
  }

  hasConsent(userOid: string, clientId: string, resource: ResourceName, permission: string): boolean {
    const key = permissionKey(permission);
    if (this.consent.get(`${userOid}|${clientId}`)?.get(resource)?.has(key)) return true;
    const tid = this.users.get(userOid)?.tid;
    return tid !== undefined && (this.consent.get(`${tenantKey(tid)}|${clientId}`)?.get(resource)?.has(key) ?? false);
  }

  // ---- tokens

  newFamily(userOid: string, clientId: string, scopes: string[]): GrantFamily {
    const family: GrantFamily = { id: randomUUID(), userOid, clientId, scopes, createdAt: this.now() };
    this.families.set(family.id, family);
    return family;
  }

  issueRefreshToken(familyId: string): string {
    // Microsoft's refresh tokens are opaque and long; the "0.A" prefix mirrors what work accounts get.
    const value = newSecret(96, '0.A');
    const now = this.now();
    this.refreshTokens.set(value, { familyId, issuedAt: now, lastUsedAt: now, used: false });
    return value;
  }

  issueAccessToken(input: { userOid: string; clientId: string; resource: ResourceName; scopes: string[]; ttlSeconds?: number }): { value: string; record: AccessTokenRecord } {
    const value = newSecret(64);
    const issuedAt = this.now();
    const ttl = input.ttlSeconds ?? this.config.accessTokenTtlSeconds;
    const record: AccessTokenRecord = {
      userOid: input.userOid,
      clientId: input.clientId,
      resource: input.resource,
      audience: RESOURCES[input.resource].audience,
      scopes: input.scopes,
      issuedAt,
      expiresAt: issuedAt + ttl * 1000,
    };
    this.accessTokens.set(value, record);
    return { value, record };
  }

  /** The access token's record if it is still valid (and, when given, for that resource). */
  validAccessToken(value: string, resource?: ResourceName): { record: AccessTokenRecord; user: EmulatorUser } | null {
    const record = this.accessTokens.get(value);
    if (!record || record.expiresAt <= this.now()) return null;
    if (resource && record.resource !== resource) return null;
    const user = this.users.get(record.userOid);
    return user ? { record, user } : null;
  }

  issueCode(record: Omit<AuthCodeRecord, 'issuedAt' | 'expiresAt' | 'redeemed'>): string {
    // Real codes are long opaque strings too; length matters for the ledger's scan (>= 16 chars).
    const value = newSecret(96, '1.A');
    const issuedAt = this.now();
    this.codes.set(value, { ...record, issuedAt, expiresAt: issuedAt + CODE_TTL_MS, redeemed: false });
    return value;
  }

  // ---- grant control

  revokeGrants(email: string, aadsts: number): void {
    const user = this.requireUser(email);
    const at = this.now();
    for (const family of this.families.values()) {
      if (family.userOid === user.oid && !family.revoked) family.revoked = { aadsts, at };
    }
  }

  expireAccessTokens(email?: string): void {
    const user = email === undefined ? undefined : this.requireUser(email);
    const past = this.now() - 1;
    for (const record of this.accessTokens.values()) {
      if (!user || record.userOid === user.oid) record.expiresAt = Math.min(record.expiresAt, past);
    }
  }
}

/** Tenant-wide consent lives beside users' own, under a key no user oid can take. */
const tenantKey = (tenantId: string) => `tenant:${tenantId.toLowerCase()}`;

/** A UUID-shaped id derived from `seed` (version 5 style: sha-1 based, RFC 4122 variant). */
function stableUuid(seed: string): string {
  const hex = createHash('sha1').update(`mailbridge-emulator/user/${seed}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

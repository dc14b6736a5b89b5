// Scope strings → resources, the way the v2.0 endpoint reads them. Pure: no state, no I/O.
// Microsoft issues an access token for exactly one resource per request; bare permission names
// (e.g. "User.Read") mean Microsoft Graph, and openid/profile/email/offline_access belong to
// no resource at all.

export type ResourceName = 'imap' | 'graph';

export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** Audience (aud) of each resource's access tokens, and the hosts that name it in scopes. */
export const RESOURCES: Record<ResourceName, { audience: string; hosts: string[] }> = {
  imap: { audience: 'https://outlook.office.com', hosts: ['https://outlook.office.com', 'https://outlook.office365.com'] },
  graph: { audience: 'https://graph.microsoft.com', hosts: ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'] },
};

export type ParsedScope =
  | { kind: 'oidc'; raw: string; name: string }
  | { kind: 'resource'; raw: string; resource: ResourceName; permission: string }
  | { kind: 'unknown'; raw: string; resourceUri: string };

export function splitScopeParam(param: string | null | undefined): string[] {
  return (param ?? '').split(/\s+/).filter((s) => s.length > 0);
}

export function parseScope(raw: string): ParsedScope {
  const lower = raw.toLowerCase();
  if ((OIDC_SCOPES as readonly string[]).includes(lower)) return { kind: 'oidc', raw, name: lower };
  const slash = raw.lastIndexOf('/');
  if (slash < 0) return { kind: 'resource', raw, resource: 'graph', permission: raw };
  const resourceUri = raw.slice(0, slash).toLowerCase().replace(/\/+$/, '');
  const permission = raw.slice(slash + 1);
  for (const [name, def] of Object.entries(RESOURCES) as [ResourceName, (typeof RESOURCES)[ResourceName]][]) {
    if (def.hosts.includes(resourceUri)) return { kind: 'resource', raw, resource: name, permission };
  }
  return { kind: 'unknown', raw, resourceUri };
}

const KNOWN_PERMISSIONS = [
  'IMAP.AccessAsUser.All', 'POP.AccessAsUser.All', 'SMTP.Send', 'EWS.AccessAsUser.All',
  'User.Read', 'Mail.Read', 'Mail.ReadWrite', 'Files.Read', 'Files.Read.All', 'Files.ReadWrite',
  'Files.ReadWrite.All', 'Sites.Read.All', 'Sites.ReadWrite.All',
];

/** Microsoft's own spelling of a permission (scopes are case-insensitive; `scp` uses this spelling). */
export function canonicalPermission(permission: string): string {
  return KNOWN_PERMISSIONS.find((p) => p.toLowerCase() === permission.toLowerCase()) ?? permission;
}

/** Case-insensitive identity of a permission, as Microsoft compares them. */
export function permissionKey(permission: string): string {
  return permission.toLowerCase();
}

export const DEFAULT_PERMISSION = '.default';

export type ScopeRequest =
  | { ok: true; resource: ResourceName | null; permissions: string[]; oidc: string[] }
  | { ok: false; problem: 'multiple_resources' | 'unknown_resource'; resourceUri?: string };

/**
 * Reads a token request's scope list. `resource` is null when only OpenID scopes were asked
 * for (Microsoft then answers for Graph, its default resource).
 */
export function readScopeRequest(scopes: string[]): ScopeRequest {
  const resources = new Set<ResourceName>();
  const permissions: string[] = [];
  const oidc: string[] = [];
  for (const raw of scopes) {
    const parsed = parseScope(raw);
    if (parsed.kind === 'oidc') oidc.push(parsed.name);
    else if (parsed.kind === 'unknown') return { ok: false, problem: 'unknown_resource', resourceUri: parsed.resourceUri };
    else {
      resources.add(parsed.resource);
      permissions.push(parsed.permission);
    }
  }
  if (resources.size > 1) return { ok: false, problem: 'multiple_resources' };
  const [resource] = [...resources];
  return { ok: true, resource: resource ?? null, permissions, oidc };
}

/** The first resource named in a scope list (what an authorization code redeems for by default). */
export function firstResource(scopes: string[]): ResourceName | null {
  for (const raw of scopes) {
    const parsed = parseScope(raw);
    if (parsed.kind === 'resource') return parsed.resource;
  }
  return null;
}

/** How a permission appears in a token response's `scope`: Graph by bare name, others by URI. */
export function displayPermission(resource: ResourceName, permission: string): string {
  return resource === 'graph' ? permission : `${RESOURCES[resource].audience}/${permission}`;
}

// The tenant path segment: common, organizations, consumers, or a tenant id this emulator knows.
import { CONSUMERS_TENANT_ID, type EmulatorUser } from '../state';

export type Tenant =
  | { kind: 'common' | 'organizations'; segment: string }
  | { kind: 'consumers'; segment: string; tid: string }
  | { kind: 'tenant'; segment: string; tid: string };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function resolveTenant(segment: string, known: Set<string>): Tenant | null {
  const lower = segment.toLowerCase();
  if (lower === 'common' || lower === 'organizations') return { kind: lower, segment: lower };
  if (lower === 'consumers' || lower === CONSUMERS_TENANT_ID) return { kind: 'consumers', segment: lower, tid: CONSUMERS_TENANT_ID };
  if (GUID.test(lower) && known.has(lower)) return { kind: 'tenant', segment: lower, tid: lower };
  return null;
}

/**
 * Issuer as the metadata states it: the multi-tenant endpoints publish the `{tenantid}` template
 * (the id token carries the concrete issuer, with its `tid`); consumers and a tenant id publish
 * the concrete one, as Microsoft does.
 */
export function metadataIssuer(baseUrl: string, tenant: Tenant): string {
  return 'tid' in tenant ? `${baseUrl}/${tenant.tid}/v2.0` : `${baseUrl}/{tenantid}/v2.0`;
}

export function tokenIssuer(baseUrl: string, tid: string): string {
  return `${baseUrl}/${tid}/v2.0`;
}

/** Whether this user may sign in through this tenant's endpoints. */
export function userFitsTenant(user: EmulatorUser, tenant: Tenant): boolean {
  switch (tenant.kind) {
    case 'common': return true;
    case 'organizations': return user.tid !== CONSUMERS_TENANT_ID;
    case 'consumers':
    case 'tenant': return user.tid === tenant.tid;
  }
}

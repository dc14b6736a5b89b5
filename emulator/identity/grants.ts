// Shared shapes of the token endpoint's grant handlers.
import type { AadContext, AadError } from '../errors';
import type { TokenResponseBody } from './issue';
import type { Tenant } from './tenants';

export type GrantResult = { ok: true; body: TokenResponseBody } | { ok: false; error: AadError };

export interface GrantRequest {
  form: URLSearchParams;
  clientId: string;
  tenant: Tenant;
  /** Builds a Microsoft error with the request's context filled in. */
  fail: (codes: number[], context?: AadContext, overrides?: { error?: string }) => GrantResult;
}

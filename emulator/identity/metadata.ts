// OpenID Provider metadata and JWKS, shaped like login.microsoftonline.com's v2.0 documents.
import { metadataIssuer, type Tenant } from './tenants';
import type { SigningKeys } from './keys';

export function openIdConfiguration(baseUrl: string, tenant: Tenant): Record<string, unknown> {
  const base = `${baseUrl}/${tenant.segment}`;
  const host = new URL(baseUrl).host;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: metadataIssuer(baseUrl, tenant),
    request_uri_parameter_supported: false,
    // Microsoft serves userinfo from Graph; here Graph lives on the same host.
    userinfo_endpoint: `${baseUrl}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: tenant.kind === 'tenant' ? 'EU' : null,
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: host,
    rbac_url: 'https://pas.windows.net',
  };
}

export function jwks(baseUrl: string, keys: SigningKeys): { keys: Record<string, unknown>[] } {
  return { keys: [{ ...keys.publicJwk, issuer: `${baseUrl}/{tenantid}/v2.0` }] };
}

// OpenID metadata and keys as Microsoft publishes them, and id tokens that verify against them
// once `{tenantid}` is replaced by the token's `tid`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '@/emulator';
import { signIn } from './helpers';

let em: MicrosoftEmulator;
beforeAll(async () => {
  em = await startMicrosoftEmulator();
  em.addUser({ email: 'ada@contoso.com', name: 'Ada Lovelace' });
});
afterAll(() => em.close());

const getJson = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('openid-configuration', () => {
  it.each(['common', 'organizations'])('publishes the {tenantid} issuer template for %s', async (tenant) => {
    const { status, body } = await getJson(em.metadataUrl(tenant));
    expect(status).toBe(200);
    expect(body).toMatchObject({
      issuer: `${em.url}/{tenantid}/v2.0`,
      authorization_endpoint: `${em.url}/${tenant}/oauth2/v2.0/authorize`,
      token_endpoint: `${em.url}/${tenant}/oauth2/v2.0/token`,
      jwks_uri: `${em.url}/${tenant}/discovery/v2.0/keys`,
      end_session_endpoint: `${em.url}/${tenant}/oauth2/v2.0/logout`,
      userinfo_endpoint: `${em.url}/oidc/userinfo`,
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['pairwise'],
      tenant_region_scope: null,
    });
    expect(body.response_types_supported).toContain('code');
    expect(body.scopes_supported).toEqual(['openid', 'profile', 'email', 'offline_access']);
    expect(body.claims_supported).toEqual(expect.arrayContaining(['tid', 'nonce', 'preferred_username', 'email']));
  });

  it('publishes the concrete issuer for a tenant id and for consumers', async () => {
    expect((await getJson(em.metadataUrl(em.tenantId))).body.issuer).toBe(`${em.url}/${em.tenantId}/v2.0`);
    expect((await getJson(em.metadataUrl('consumers'))).body.issuer).toBe(`${em.url}/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0`);
  });

  it('answers an unknown tenant with AADSTS90002', async () => {
    const { status, body } = await getJson(em.metadataUrl('00000000-1111-2222-3333-444444444444'));
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
  });

  it('serves a JWKS with a kid', async () => {
    const { body } = await getJson(`${em.url}/common/discovery/v2.0/keys`);
    const keys = body.keys as Record<string, string>[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', e: 'AQAB' });
    expect(keys[0]!.kid).toMatch(/^[\w-]{20,}$/);
  });
});

describe('id_token', () => {
  it('verifies against the JWKS with the tid-substituted issuer, audience and nonce', async () => {
    const { status, body } = await signIn(em, { nonce: 'nonce-123' });
    expect(status).toBe(200);
    const idToken = body.id_token as string;
    const { tid } = decodeJwt(idToken) as { tid: string };
    const metadata = (await getJson(em.metadataUrl())).body;
    const issuer = (metadata.issuer as string).replace('{tenantid}', tid);
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri as string));
    const { payload, protectedHeader } = await jwtVerify(idToken, jwks, { issuer, audience: em.clientId, algorithms: ['RS256'] });
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload).toMatchObject({
      tid: em.tenantId,
      nonce: 'nonce-123',
      preferred_username: 'ada@contoso.com',
      email: 'ada@contoso.com',
      name: 'Ada Lovelace',
      ver: '2.0',
    });
    expect(payload.oid).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.sub).not.toBe(payload.oid);
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload.nbf).toBe(payload.iat);
  });

  it('is refused against another tenant\'s issuer', async () => {
    const { body } = await signIn(em);
    const jwks = createRemoteJWKSet(new URL(`${em.url}/common/discovery/v2.0/keys`));
    await expect(jwtVerify(body.id_token as string, jwks, { issuer: `${em.url}/common/v2.0`, audience: em.clientId })).rejects.toThrow();
  });

  it('carries the tenant of a user from another tenant', async () => {
    const other = '3f1a3a7e-0000-4000-8000-0000000000aa';
    em.addUser({ email: 'bob@fabrikam.com', tenantId: other });
    const { body } = await signIn(em, { loginHint: 'bob@fabrikam.com', tenant: other });
    const payload = decodeJwt(body.id_token as string);
    expect(payload).toMatchObject({ tid: other, iss: `${em.url}/${other}/v2.0`, preferred_username: 'bob@fabrikam.com' });
  });
});

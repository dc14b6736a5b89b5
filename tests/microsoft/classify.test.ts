import { describe, expect, it } from 'vitest';
import { classifyNetworkFailure, classifyTokenFailure, parseRetryAfter, type TokenErrorBody } from '@/lib/microsoft';

// Microsoft's sources each row below stands on.
const AADSTS_REFERENCE = 'https://learn.microsoft.com/entra/identity-platform/reference-error-codes';
const TOKEN_ENDPOINT_ERRORS = 'https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#error-codes-for-token-endpoint-errors';
const MSAL_INTERACTION_CODES = 'AzureAD/microsoft-authentication-library-for-js: lib/msal-common/src/error/InteractionRequiredAuthErrorCodes.ts';
const MSAL_INTERACTION_SUBERRORS = 'AzureAD/microsoft-authentication-library-for-js: lib/msal-common/src/error/InteractionRequiredAuthError.ts (InteractionRequiredAuthSubErrorMessage)';
const MSAL_NON_UI_SUBERRORS = 'AzureAD/microsoft-authentication-library-for-dotnet: src/client/Microsoft.Identity.Client/MsalServiceExceptionFactory.cs (s_nonUiSubErrors)';
/** AADSTS70000 with the consent meaning, as Microsoft sent it (invalid_grant, no suberror). */
const AADSTS70000_CONSENT_SEEN = 'https://github.com/AzureAD/microsoft-authentication-library-for-js/issues/3303';

// Microsoft sends error_codes alongside a generic `error`; the code decides.
const aadsts = (code: number, error = 'invalid_grant', status = 400) =>
  classifyTokenFailure({ status, body: { error, error_codes: [code] } });

interface Row {
  /** What Microsoft sends. */
  body: TokenErrorBody;
  status?: number;
  /** What the classification must contain (toEqual: nothing more). */
  expected: Record<string, unknown>;
  /** Microsoft's source for this row. */
  source: string;
}

// Each row: the body, what it must classify as, and Microsoft's source for it.
const rows: [string, Row][] = [
  // Issue 11 (1): MSAL's "codes potentially returned by server" that mean interaction required.
  ['login_required → reauth', { body: { error: 'login_required' }, expected: { kind: 'reauth', code: 'login_required' }, source: MSAL_INTERACTION_CODES }],
  ['bad_token → reauth', { body: { error: 'bad_token' }, expected: { kind: 'reauth', code: 'bad_token' }, source: MSAL_INTERACTION_CODES }],
  ['interaction_required + AADSTS50076 → reauth', { body: { error: 'interaction_required', error_codes: [50076] }, expected: { kind: 'reauth', code: 'AADSTS50076' }, source: MSAL_INTERACTION_CODES }],
  ['consent_required → reauth for that resource', { body: { error: 'consent_required' }, expected: { kind: 'reauth', code: 'consent_required', consent: true }, source: MSAL_INTERACTION_CODES }],
  ['invalid_grant + suberror bad_token → reauth', { body: { error: 'invalid_grant', suberror: 'bad_token' }, expected: { kind: 'reauth', code: 'invalid_grant:bad_token' }, source: MSAL_INTERACTION_SUBERRORS }],
  ['invalid_grant + suberror basic_action → reauth', { body: { error: 'invalid_grant', suberror: 'basic_action' }, expected: { kind: 'reauth', code: 'invalid_grant:basic_action' }, source: MSAL_INTERACTION_SUBERRORS }],
  ['AADSTS50055 + suberror user_password_expired → reauth', { body: { error: 'invalid_grant', suberror: 'user_password_expired', error_codes: [50055] }, expected: { kind: 'reauth', code: 'AADSTS50055' }, source: MSAL_INTERACTION_SUBERRORS }],
  // Issue 11 (2): MSAL's non-UI suberrors are read before the code that would mark the mailbox.
  ['invalid_grant + client_mismatch (with AADSTS70000) → credential, not reauth', { body: { error: 'invalid_grant', suberror: 'client_mismatch', error_codes: [70000] }, expected: { kind: 'credential', code: 'invalid_grant:client_mismatch' }, source: MSAL_NON_UI_SUBERRORS }],
  ['invalid_grant + protection_policy_required (with a code that would mark the mailbox) → credential, not reauth', { body: { error: 'invalid_grant', suberror: 'protection_policy_required', error_codes: [53003] }, expected: { kind: 'credential', code: 'invalid_grant:protection_policy_required' }, source: MSAL_NON_UI_SUBERRORS }],
  // Issue 11 (3): AADSTS70000 — one body for two meanings.
  ['AADSTS70000 alone → reauth that may be a missing consent', { body: { error: 'invalid_grant', error_codes: [70000] }, expected: { kind: 'reauth', code: 'AADSTS70000', grantOrConsent: true }, source: `${AADSTS_REFERENCE} (70000 InvalidGrant: the refresh token isn't valid); ${AADSTS70000_CONSENT_SEEN}` }],
  ['AADSTS70000 + suberror consent_required → consent', { body: { error: 'invalid_grant', suberror: 'consent_required', error_codes: [70000] }, expected: { kind: 'reauth', code: 'AADSTS70000', consent: true }, source: MSAL_INTERACTION_SUBERRORS }],
  ['AADSTS70000 with AADSTS70008 → the specific code, no doubt left', { body: { error: 'invalid_grant', error_codes: [70000, 70008] }, expected: { kind: 'reauth', code: 'AADSTS70008' }, source: AADSTS_REFERENCE }],
  ['AADSTS65001 + consent_required → consent', { body: { error: 'invalid_grant', suberror: 'consent_required', error_codes: [65001] }, expected: { kind: 'reauth', code: 'AADSTS65001', consent: true }, source: AADSTS_REFERENCE }],
  // Issue 11 (4): per-tenant conditions pause that tenant, not the app.
  ['unauthorized_client + AADSTS700016 → tenant', { body: { error: 'unauthorized_client', error_codes: [700016] }, expected: { kind: 'tenant', code: 'AADSTS700016' }, source: `${AADSTS_REFERENCE} (700016 UnauthorizedClient_DoesNotMatchRequest: not installed by the tenant's administrator); ${TOKEN_ENDPOINT_ERRORS} (unauthorized_client)` }],
  ['unauthorized_client alone → tenant', { body: { error: 'unauthorized_client' }, expected: { kind: 'tenant', code: 'unauthorized_client' }, source: TOKEN_ENDPOINT_ERRORS }],
  ['invalid_resource + AADSTS500011 → tenant', { body: { error: 'invalid_resource', error_codes: [500011] }, expected: { kind: 'tenant', code: 'AADSTS500011' }, source: `${AADSTS_REFERENCE} (500011 InvalidResourceServicePrincipalNotFound: not found in the tenant); ${TOKEN_ENDPOINT_ERRORS} (invalid_resource)` }],
  ['invalid_resource alone → tenant', { body: { error: 'invalid_resource' }, expected: { kind: 'tenant', code: 'invalid_resource' }, source: TOKEN_ENDPOINT_ERRORS }],
  ['AADSTS70001 (application disabled in the tenant) → tenant', { body: { error: 'unauthorized_client', error_codes: [70001] }, expected: { kind: 'tenant', code: 'AADSTS70001' }, source: AADSTS_REFERENCE }],
  ['AADSTS700016 wrapped in invalid_client → still the tenant', { status: 401, body: { error: 'invalid_client', error_codes: [700016] }, expected: { kind: 'tenant', code: 'AADSTS700016' }, source: AADSTS_REFERENCE }],
  // The client credential itself: everyone alike.
  ['invalid_client + AADSTS7000215 → app', { status: 401, body: { error: 'invalid_client', error_codes: [7000215] }, expected: { kind: 'app', code: 'AADSTS7000215' }, source: `${AADSTS_REFERENCE} (7000215 InvalidClientSecretProvided)` }],
  ['invalid_client + AADSTS7000222 → app', { status: 401, body: { error: 'invalid_client', error_codes: [7000222] }, expected: { kind: 'app', code: 'AADSTS7000222' }, source: `${AADSTS_REFERENCE} (7000222 InvalidClientSecretExpiredKeysProvided)` }],
  ['invalid_client alone → app', { status: 401, body: { error: 'invalid_client' }, expected: { kind: 'app', code: 'invalid_client' }, source: TOKEN_ENDPOINT_ERRORS }],
  ['AADSTS7000215 wrapped in invalid_request → app', { body: { error: 'invalid_request', error_codes: [7000215] }, expected: { kind: 'app', code: 'AADSTS7000215' }, source: AADSTS_REFERENCE }],
  ['invalid_tenant + AADSTS90002 (the configured tenant) → app', { body: { error: 'invalid_tenant', error_codes: [90002] }, expected: { kind: 'app', code: 'AADSTS90002' }, source: AADSTS_REFERENCE }],
  // Transient and loop codes decide whatever error wraps them.
  ['interaction_required + AADSTS50087 → transient', { body: { error: 'interaction_required', error_codes: [50087] }, expected: { kind: 'transient', code: 'AADSTS50087' }, source: AADSTS_REFERENCE }],
  ['unknown 4xx error → credential (nobody else paused)', { body: { error: 'invalid_scope', error_codes: [70011] }, expected: { kind: 'credential', code: 'invalid_scope' }, source: TOKEN_ENDPOINT_ERRORS }],
];

describe('classifyTokenFailure: what Microsoft documents', () => {
  it.each(rows)('%s', (_name, row) => {
    expect(row.source).toMatch(/^https:\/\/(learn\.microsoft\.com|github\.com\/AzureAD)\/|^AzureAD\/microsoft-authentication-library-for-(js|dotnet): /);
    expect(classifyTokenFailure({ status: row.status ?? 400, body: row.body })).toEqual(row.expected);
  });
});

describe('classifyTokenFailure', () => {
  it.each([50173, 70008, 700082, 700084, 70043, 50076, 50078, 50079, 53003, 65001, 50057, 50055, 50133])(
    'AADSTS%i means the grant is gone → reauth',
    (code) => {
      expect(aadsts(code)).toMatchObject({ kind: 'reauth', code: `AADSTS${code}` });
      expect(aadsts(code).grantOrConsent).toBeUndefined();
    },
  );

  it.each([7000222, 7000215])('AADSTS%i is the app’s own credential → app', (code) => {
    expect(aadsts(code, 'invalid_client', 401)).toEqual({ kind: 'app', code: `AADSTS${code}` });
    // Even when Microsoft wraps it in another error string, the code wins.
    expect(aadsts(code, 'invalid_request', 400).kind).toBe('app');
  });

  it.each([700016, 70001, 500011])('AADSTS%i concerns one tenant → tenant', (code) => {
    expect(aadsts(code, 'invalid_grant').kind).toBe('tenant');
    expect(aadsts(code, 'invalid_request').kind).toBe('tenant');
  });

  it.each([50033, 50087, 90006, 90024, 90033, 90055, 70012, 90012])('AADSTS%i is transient', (code) => {
    // These arrive as invalid_grant too; they must never mark the credential.
    expect(aadsts(code)).toEqual({ kind: 'transient', code: `AADSTS${code}` });
  });

  it('AADSTS50196 (loop detected) backs off hard', () => {
    expect(aadsts(50196, 'invalid_grant').kind).toBe('loop');
  });

  it.each(['invalid_grant', 'interaction_required', 'consent_required', 'login_required', 'bad_token'])('%s without codes → reauth', (error) => {
    expect(classifyTokenFailure({ status: 400, body: { error } })).toMatchObject({ kind: 'reauth', code: error });
  });

  it('marks consent failures, which concern one resource rather than the whole grant', () => {
    expect(aadsts(65001)).toEqual({ kind: 'reauth', code: 'AADSTS65001', consent: true });
    expect(classifyTokenFailure({ status: 400, body: { error: 'invalid_grant', suberror: 'consent_required' } }).consent).toBe(true);
    expect(aadsts(70008).consent).toBeUndefined();
    // AADSTS70000 alone is not known to be consent: strict-rotation reuse sends the same body.
    expect(aadsts(70000).consent).toBeUndefined();
  });

  it('keeps the suberror in the code', () => {
    expect(classifyTokenFailure({ status: 400, body: { error: 'invalid_grant', suberror: 'consent_required' } })).toEqual({
      kind: 'reauth',
      code: 'invalid_grant:consent_required',
      consent: true,
    });
  });

  it.each([429, 500, 502, 503, 504])('HTTP %i is transient, with Retry-After kept', (status) => {
    expect(classifyTokenFailure({ status, body: null, retryAfterSeconds: 7 })).toEqual({
      kind: 'transient',
      code: `http_${status}`,
      retryAfterSeconds: 7,
    });
  });

  it('temporarily_unavailable is transient', () => {
    expect(classifyTokenFailure({ status: 400, body: { error: 'temporarily_unavailable' } }).kind).toBe('transient');
  });

  it('never reads the description text', () => {
    const body = { error: 'server_error', error_description: 'AADSTS70008: token expired' } as never;
    expect(classifyTokenFailure({ status: 500, body }).kind).toBe('transient');
    const consentText = {
      error: 'invalid_grant',
      error_codes: [70000],
      error_description: 'AADSTS70000: The user must first sign in and grant the client application access to the requested scope.',
    } as never;
    expect(classifyTokenFailure({ status: 400, body: consentText })).toEqual({ kind: 'reauth', code: 'AADSTS70000', grantOrConsent: true });
  });

  it('an unknown 4xx error is neither the user’s fault nor anyone else’s', () => {
    expect(classifyTokenFailure({ status: 400, body: { error: 'invalid_scope' } }).kind).toBe('credential');
  });

  it('network errors and timeouts are transient', () => {
    expect(classifyNetworkFailure(new TypeError('fetch failed'))).toEqual({ kind: 'transient', code: 'network_error' });
    expect(classifyNetworkFailure(new DOMException('t', 'TimeoutError'))).toEqual({ kind: 'transient', code: 'timeout' });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

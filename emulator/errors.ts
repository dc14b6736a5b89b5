// Microsoft-shaped error bodies: the identity platform's OAuth errors (AADSTS codes with trace and
// correlation ids baked into error_description) and Graph's `{"error":{"code","message"}}`.
// Messages follow Microsoft's wording so that code classifying errors sees what it will see live.
import { randomUUID } from 'node:crypto';

export interface AadContext {
  clientId?: string;
  appName?: string;
  scope?: string;
  resource?: string;
  tenant?: string;
  param?: string;
  grantType?: string;
  responseType?: string;
  redirectUri?: string;
  expectedRedirectUri?: string;
  email?: string;
  issuedAt?: Date;
  validFrom?: Date;
  /** Why a client assertion was refused (the part Microsoft puts after its fixed text). */
  reason?: string;
}

interface AadCode {
  error: string;
  status?: number;
  suberror?: string;
  message: (c: AadContext) => string;
}

const q = (v: string | undefined, fallback: string) => v ?? fallback;
const iso = (d: Date | undefined) => (d ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const AADSTS: Record<number, AadCode> = {
  28000: { error: 'invalid_request', message: (c) => `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${q(c.scope, '')} is not valid.` },
  50011: { error: 'invalid_request', message: (c) => `The redirect URI '${q(c.redirectUri, '')}' specified in the request does not match the redirect URIs configured for the application '${q(c.clientId, '')}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.` },
  50020: { error: 'invalid_request', message: (c) => `User account '${q(c.email, '')}' from identity provider 'live.com' does not exist in tenant '${q(c.tenant, '')}' and cannot access the application '${q(c.clientId, '')}'(${q(c.appName, '')}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.` },
  50027: { error: 'invalid_client', status: 401, message: (c) => `Invalid JWT token. ${q(c.reason, 'Token format not valid.')}` },
  50055: { error: 'invalid_grant', suberror: 'user_password_expired', message: () => 'The password is expired.' },
  50057: { error: 'invalid_grant', message: () => 'The user account is disabled.' },
  50076: { error: 'interaction_required', message: (c) => `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${q(c.resource, '00000003-0000-0000-c000-000000000000')}'.` },
  50079: { error: 'interaction_required', message: (c) => `Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '${q(c.resource, '00000003-0000-0000-c000-000000000000')}'.` },
  50133: { error: 'invalid_grant', message: () => 'Session is invalid due to expiration or recent password change.' },
  50173: { error: 'invalid_grant', message: (c) => `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${iso(c.issuedAt)}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${iso(c.validFrom)}'.` },
  53003: { error: 'invalid_grant', message: () => 'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.' },
  54005: { error: 'invalid_grant', message: () => 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.' },
  65001: { error: 'invalid_grant', suberror: 'consent_required', message: (c) => `The user or administrator has not consented to use the application with ID '${q(c.clientId, '')}' named '${q(c.appName, '')}'. Send an interactive authorization request for this user and resource.` },
  70000: { error: 'invalid_grant', message: () => "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid." },
  70002: { error: 'invalid_grant', message: () => 'Error validating credentials.' },
  70003: { error: 'unsupported_grant_type', message: (c) => `The app requested an unsupported grant type '${q(c.grantType, '')}'.` },
  70005: { error: 'unsupported_response_type', message: (c) => `response_type '${q(c.responseType, '')}' is not enabled for the application.` },
  70008: { error: 'invalid_grant', message: () => 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.' },
  70011: { error: 'invalid_scope', message: (c) => `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${q(c.scope, '')} is not valid.` },
  70043: { error: 'invalid_grant', message: () => 'The refresh token has expired or is invalid due to sign-in frequency checks by conditional access.' },
  90002: { error: 'invalid_tenant', message: (c) => `Tenant '${q(c.tenant, '')}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.` },
  90033: { error: 'temporarily_unavailable', status: 503, message: () => 'A transient error has occurred. Please try again.' },
  500011: { error: 'invalid_resource', message: (c) => `The resource principal named ${q(c.resource, '')} was not found in the tenant named ${q(c.tenant, '')}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.` },
  500112: { error: 'invalid_grant', message: (c) => `The reply address '${q(c.redirectUri, '')}' does not match the reply address '${q(c.expectedRedirectUri, '')}' provided when requesting Authorization code.` },
  501481: { error: 'invalid_grant', message: () => 'The Code_Verifier does not match the code_challenge supplied in the authorization request.' },
  501491: { error: 'invalid_request', message: () => 'Invalid size of Code_Challenge parameter.' },
  700016: { error: 'unauthorized_client', message: (c) => `Application with identifier '${q(c.clientId, '')}' was not found in the directory '${q(c.tenant, '')}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.` },
  700082: { error: 'invalid_grant', message: (c) => `The refresh token has expired due to inactivity. The token was issued on ${iso(c.issuedAt)} and was inactive for 90.00:00:00.` },
  900144: { error: 'invalid_request', message: (c) => `The request body must contain the following parameter: '${q(c.param, '')}'.` },
  900561: { error: 'invalid_request', message: () => 'The endpoint only accepts POST, OPTIONS requests. Received a GET request.' },
  700021: { error: 'invalid_client', status: 401, message: () => "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials ." },
  700024: { error: 'invalid_client', status: 401, message: (c) => `Client assertion is not within its valid time range. ${q(c.reason, '')}`.trim() },
  700027: { error: 'invalid_client', status: 401, message: (c) => `Client assertion contains an invalid signature. ${q(c.reason, '')}`.trim() + ` Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${q(c.clientId, '')}'.` },
  7000222: { error: 'invalid_client', status: 401, message: (c) => `The provided client secret keys for app '${q(c.clientId, '')}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.` },
  7000215: { error: 'invalid_client', status: 401, message: (c) => `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${q(c.clientId, '')}'.` },
  7000218: { error: 'invalid_client', status: 401, message: () => "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." },
  9002313: { error: 'invalid_request', message: () => 'Invalid request. Request is malformed or invalid.' },
};

export interface AadErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
}

export interface AadError {
  status: number;
  body: AadErrorBody;
}

/** "2024-07-17 14:42:13Z", the form Microsoft uses in timestamp and error_description. */
export function aadTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export interface AadErrorInput {
  codes: number[];
  baseUrl: string;
  context?: AadContext;
  /** Overrides of what the catalog says for the first code. */
  error?: string;
  status?: number;
  suberror?: string;
  correlationId?: string;
  now?: Date;
}

export function aadError(input: AadErrorInput): AadError {
  const [first] = input.codes;
  const entry = first === undefined ? undefined : AADSTS[first];
  const now = input.now ?? new Date();
  const timestamp = aadTimestamp(now);
  const traceId = randomUUID();
  const correlationId = input.correlationId ?? randomUUID();
  const context = input.context ?? {};
  const messages = input.codes.map((code) => `AADSTS${code}: ${AADSTS[code]?.message(context) ?? 'An error occurred.'}`);
  const description = `${messages.join(' ')}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`;
  const suberror = input.suberror ?? entry?.suberror;
  const body: AadErrorBody = {
    error: input.error ?? entry?.error ?? 'invalid_request',
    error_description: description,
    error_codes: input.codes,
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${input.baseUrl}/error?code=${first ?? 0}`,
    ...(suberror ? { suberror } : {}),
  };
  return { status: input.status ?? entry?.status ?? (body.error === 'invalid_client' ? 401 : 400), body };
}

/** The error most often behind a given HTTP status, for failure injection without an explicit error. */
export function defaultErrorForStatus(status: number): { error: string; codes: number[] } {
  if (status === 401) return { error: 'invalid_client', codes: [7000215] };
  if (status === 429 || status >= 500) return { error: status === 500 ? 'server_error' : 'temporarily_unavailable', codes: [90033] };
  return { error: 'invalid_grant', codes: [70008] };
}

/** The AADSTS code Microsoft pairs with an OAuth error name, when a test names only the error. */
export function defaultCodesForError(error: string): number[] {
  switch (error) {
    case 'invalid_client': return [7000215];
    case 'interaction_required': return [50076];
    case 'consent_required': return [65001];
    case 'invalid_scope': return [70011];
    case 'invalid_request': return [900144];
    case 'unauthorized_client': return [700016];
    case 'temporarily_unavailable':
    case 'server_error': return [90033];
    default: return [70008];
  }
}

export interface GraphErrorBody {
  error: { code: string; message: string; innerError: { date: string; 'request-id': string; 'client-request-id': string } };
}

export function graphError(code: string, message: string, clientRequestId?: string): GraphErrorBody {
  const requestId = randomUUID();
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
        'request-id': requestId,
        'client-request-id': clientRequestId ?? requestId,
      },
    },
  };
}

// Classifies a failed token request from the structured fields of Microsoft's error body
// (`error`, `suberror`, `error_codes`) and the HTTP status — never from the description text,
// which is localized and changes without notice. Pure: no I/O.
//
// The fields are read in this order, each step deciding only what it can decide for sure:
// 1. `error` where the OAuth error alone names the condition and its scope: `invalid_client` is
//    the app's own credential; `unauthorized_client` / `invalid_resource` are the app not being
//    installed in the user's tenant; `interaction_required`, `login_required`, `consent_required`
//    and `bad_token` mean the user must sign in again (MSAL's InteractionRequiredAuthError);
//    `temporarily_unavailable` is transient. A transient or loop code still wins over an
//    interaction error: Microsoft pairs generic errors with such codes.
// 2. `suberror`, before any code that would mark the credential: `client_mismatch` and
//    `protection_policy_required` are not the user's to fix (MSAL's non-UI suberrors), and the
//    interaction suberrors (`consent_required`, `bad_token`, `basic_action`, …) are.
// 3. `error_codes` for what a generic `error` (mostly `invalid_grant`) leaves open.
// 4. The HTTP status, then the remaining `error`.

export type FailureKind =
  /** The grant is gone: the owner must sign in again. Never retried. */
  | 'reauth'
  /**
   * The app's own client credential is broken (secret invalid or expired, `invalid_client`):
   * every credential fails alike. An operator alert; pauses all refreshes.
   */
  | 'app'
  /**
   * The app cannot act in the credential's tenant (not installed there, disabled there, the
   * resource missing there): every credential of that tenant fails alike, no other. Pauses
   * that tenant's credentials only.
   */
  | 'tenant'
  /**
   * This credential cannot be refreshed for a reason signing in again does not fix (MSAL's
   * non-UI suberrors), or for a reason Microsoft did not say (an unknown 4xx): never marks the
   * credential, backs it off hard, pauses nobody else.
   */
  | 'credential'
  /** Worth retrying later with backoff; never marks the credential. */
  | 'transient'
  /** AADSTS50196: Microsoft detected a request loop; back off hard. */
  | 'loop';

export interface Classification {
  kind: FailureKind;
  /** A short machine-readable code for logs and the credential's lastError (no secrets). */
  code: string;
  /** Seconds the server asked us to wait, when it said. */
  retryAfterSeconds?: number;
  /**
   * The user never consented to the scope asked for (AADSTS65001, consent_required): a reauth
   * that concerns that resource only, not the grant as a whole.
   */
  consent?: true;
  /**
   * AADSTS70000 with nothing else to go on: Microsoft sends this same body both when the
   * refresh token is no longer valid (reused after strict rotation, revoked) and when the scope
   * asked for was never granted ("the user must first grant the client application access to
   * the requested scope"). Whether the grant still mints its other resource tells them apart;
   * until then it is a reauth.
   */
  grantOrConsent?: true;
}

export interface TokenErrorBody {
  error?: string;
  suberror?: string;
  error_codes?: number[];
}

const REAUTH_CODES = new Set([
  50173, // grant expired: password changed or token revoked
  70008, // refresh token or code expired (e.g. 90 days idle)
  700082, // refresh token expired due to inactivity
  700084, // SPA refresh token lifetime exceeded
  70043, // refresh token expired or invalid due to sign-in frequency checks (Conditional Access)
  50076, // MFA required (location/strong auth)
  50078, // presented MFA claim expired
  50079, // user must enroll for MFA
  53003, // blocked by Conditional Access
  65001, // consent not granted
  50057, // user account disabled
  50055, // password expired
  50133, // session invalid: expired or recent password change
  70000, // invalid grant: refresh token not valid — or the scope never granted (see grantOrConsent)
]);

/** The app's own client credential: every request fails alike. */
const APP_CODES = new Set([
  7000222, // client secret expired
  7000215, // invalid client secret
  7000218, // request carries no client_secret / client_assertion
  700027, // client assertion signature invalid, certificate not registered or expired on the app
  700024, // client assertion not within its valid time range (clock skew, or a stale assertion)
  700021, // client assertion issuer/subject does not match client_id
  50027, // client assertion is not a valid JWT (malformed, wrong audience, replayed jti)
  90002, // the token endpoint's tenant (MICROSOFT_TENANT) not found
]);

/** Conditions Microsoft describes per tenant: the app (or the resource) is not there. */
const TENANT_CODES = new Set([
  700016, // application not found in the directory (not installed in that tenant)
  70001, // application disabled / not found in the tenant
  500011, // resource principal not found in the tenant
]);

const TRANSIENT_CODES = new Set([
  50033, // retry error
  50087, // sign-in failure, transient
  90006, // server error
  90024, // internal error (domain lookup)
  90033, // service busy
  90055, // too many requests (throttled)
  70012, // server error while authenticating the user
  90012, // request timed out / server error
]);

const LOOP_CODE = 50196;
const CONSENT_CODE = 65001;
const GRANT_OR_CONSENT_CODE = 70000;

/** OAuth errors that name interaction required (MSAL InteractionRequiredAuthErrorCodes). */
const INTERACTION_ERRORS = new Set(['interaction_required', 'login_required', 'consent_required', 'bad_token']);
/** Suberrors MSAL treats as interaction required (InteractionRequiredAuthSubErrorMessage). */
const INTERACTION_SUBERRORS = new Set(['consent_required', 'bad_token', 'message_only', 'additional_action', 'basic_action', 'user_password_expired']);
/** Suberrors MSAL.NET excludes from "UI required" (MsalServiceExceptionFactory s_nonUiSubErrors). */
const NON_UI_SUBERRORS = new Set(['client_mismatch', 'protection_policy_required']);

export function classifyTokenFailure(input: {
  status: number;
  body?: TokenErrorBody | null;
  retryAfterSeconds?: number;
}): Classification {
  const { status, body } = input;
  const codes = Array.isArray(body?.error_codes) ? body.error_codes.filter((c) => Number.isInteger(c)) : [];
  const error = typeof body?.error === 'string' ? body.error : undefined;
  const suberror = typeof body?.suberror === 'string' ? body.suberror : undefined;
  const done = (c: Classification): Classification =>
    input.retryAfterSeconds === undefined ? c : { ...c, retryAfterSeconds: input.retryAfterSeconds };
  const aadsts = (code: number) => `AADSTS${code}`;
  const firstOf = (set: Set<number>) => codes.find((c) => set.has(c));
  const isConsent = error === 'consent_required' || suberror === 'consent_required' || codes.includes(CONSENT_CODE);
  const reauth = (code: string, opts: { grantOrConsent?: boolean } = {}): Classification => {
    if (isConsent) return done({ kind: 'reauth', code, consent: true });
    return done(opts.grantOrConsent ? { kind: 'reauth', code, grantOrConsent: true } : { kind: 'reauth', code });
  };
  // The code a log line names: the most specific known code, else the error (and suberror).
  const named = () => {
    const known = codes.find((c) => REAUTH_CODES.has(c));
    if (known !== undefined) return aadsts(known);
    return suberror && error ? `${error}:${suberror}` : (error ?? suberror ?? `http_${status}`);
  };

  // Loop detection and transient codes are about this request, whatever error wraps them.
  if (codes.includes(LOOP_CODE)) return done({ kind: 'loop', code: aadsts(LOOP_CODE) });
  const transient = firstOf(TRANSIENT_CODES);
  if (transient !== undefined) return done({ kind: 'transient', code: aadsts(transient) });

  // 1. The OAuth error, where it decides by itself.
  const withCode = (set: Set<number>, fallback: string) => {
    const code = firstOf(set);
    return code === undefined ? fallback : aadsts(code);
  };
  if (error === 'invalid_client') {
    // A code naming the tenant is more specific than the generic client error.
    const tenant = firstOf(TENANT_CODES);
    return tenant === undefined ? done({ kind: 'app', code: withCode(APP_CODES, error) }) : done({ kind: 'tenant', code: aadsts(tenant) });
  }
  // The tenant of the token endpoint's path is this deployment's MICROSOFT_TENANT: not found, it
  // fails every request.
  if (error === 'invalid_tenant') return done({ kind: 'app', code: withCode(APP_CODES, error) });
  if (error === 'unauthorized_client' || error === 'invalid_resource') {
    return done({ kind: 'tenant', code: withCode(TENANT_CODES, error) });
  }
  if (error === 'temporarily_unavailable') return done({ kind: 'transient', code: error });
  if (error !== undefined && INTERACTION_ERRORS.has(error)) return reauth(named());

  // 2. The suberror, before any code that would mark the credential.
  if (suberror !== undefined && NON_UI_SUBERRORS.has(suberror)) {
    return done({ kind: 'credential', code: error ? `${error}:${suberror}` : suberror });
  }
  if (suberror !== undefined && INTERACTION_SUBERRORS.has(suberror)) return reauth(named());

  // 3. The codes a generic error (invalid_grant, invalid_request) leaves open.
  const app = firstOf(APP_CODES);
  if (app !== undefined) return done({ kind: 'app', code: aadsts(app) });
  const tenant = firstOf(TENANT_CODES);
  if (tenant !== undefined) return done({ kind: 'tenant', code: aadsts(tenant) });
  const gone = firstOf(REAUTH_CODES);
  if (gone !== undefined) {
    // 70000 alongside a code that says what happened is that code's; alone it is ambiguous.
    const specific = codes.find((c) => REAUTH_CODES.has(c) && c !== GRANT_OR_CONSENT_CODE);
    if (specific !== undefined) return reauth(aadsts(specific));
    return reauth(aadsts(GRANT_OR_CONSENT_CODE), { grantOrConsent: true });
  }

  // 4. The status, then what is left of the error.
  if (status === 429 || status >= 500) return done({ kind: 'transient', code: `http_${status}` });
  if (error === 'invalid_grant') return reauth(suberror ? `${error}:${suberror}` : error);
  // Anything else (invalid_request, invalid_scope, unknown bodies) is a defect on our side or an
  // unknown condition: not the user's fault, so it must not mark the credential — and nothing
  // says it concerns anyone else, so it must not pause anyone else either.
  if (status >= 400 && status < 500 && error !== undefined) return done({ kind: 'credential', code: error });
  return done({ kind: 'transient', code: error ?? `http_${status}` });
}

/** Network errors and timeouts never reached Microsoft's logic: always transient. */
export function classifyNetworkFailure(error: unknown): Classification {
  const name = error instanceof Error ? error.name : '';
  const code = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network_error';
  return { kind: 'transient', code };
}

/** Parses a Retry-After header: delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

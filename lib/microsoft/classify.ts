// Classifies a failed token request from the structured fields of Microsoft's error body
// (`error`, `suberror`, `error_codes`) and the HTTP status — never from the description text,
// which is localized and changes without notice. Pure: no I/O.

export type FailureKind =
  /** The grant is gone: the owner must sign in again. Never retried. */
  | 'reauth'
  /** The app registration itself is broken (secret expired, wrong client): an operator alert. */
  | 'app'
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
  500011, // resource principal not found in the tenant
]);

const APP_CODES = new Set([
  7000222, // client secret expired
  7000215, // invalid client secret
  700016, // application not found in the directory
  70001, // application disabled / not found in tenant
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

const REAUTH_ERRORS = new Set(['invalid_grant', 'interaction_required', 'consent_required']);

export function classifyTokenFailure(input: {
  status: number;
  body?: TokenErrorBody | null;
  retryAfterSeconds?: number;
}): Classification {
  const { status, body } = input;
  const codes = Array.isArray(body?.error_codes) ? body.error_codes.filter((c) => Number.isInteger(c)) : [];
  const consent = codes.includes(CONSENT_CODE) || body?.error === 'consent_required' || body?.suberror === 'consent_required';
  const withRetry = (c: Classification): Classification => {
    const base = input.retryAfterSeconds === undefined ? c : { ...c, retryAfterSeconds: input.retryAfterSeconds };
    return consent && c.kind === 'reauth' ? { ...base, consent: true } : base;
  };

  // Specific AADSTS codes decide first: `invalid_grant` also carries transient codes such as 50033.
  if (codes.includes(LOOP_CODE)) return withRetry({ kind: 'loop', code: `AADSTS${LOOP_CODE}` });
  const transient = codes.find((c) => TRANSIENT_CODES.has(c));
  if (transient !== undefined) return withRetry({ kind: 'transient', code: `AADSTS${transient}` });
  const app = codes.find((c) => APP_CODES.has(c));
  if (app !== undefined) return withRetry({ kind: 'app', code: `AADSTS${app}` });
  const reauth = codes.find((c) => REAUTH_CODES.has(c));
  if (reauth !== undefined) return withRetry({ kind: 'reauth', code: `AADSTS${reauth}` });

  if (status === 429 || status >= 500) return withRetry({ kind: 'transient', code: `http_${status}` });

  const error = typeof body?.error === 'string' ? body.error : undefined;
  const suberror = typeof body?.suberror === 'string' ? body.suberror : undefined;
  if (error === 'temporarily_unavailable') return withRetry({ kind: 'transient', code: error });
  if (error === 'invalid_client' || error === 'unauthorized_client') return withRetry({ kind: 'app', code: error });
  if (error !== undefined && REAUTH_ERRORS.has(error)) {
    return withRetry({ kind: 'reauth', code: suberror ? `${error}:${suberror}` : error });
  }
  if (suberror !== undefined && REAUTH_ERRORS.has(suberror)) return withRetry({ kind: 'reauth', code: suberror });

  // Anything else (invalid_request, invalid_scope, unknown bodies) is a defect on our side or
  // an unknown condition: not the user's fault, so it must not mark the credential.
  if (status >= 400 && status < 500 && error !== undefined) return withRetry({ kind: 'app', code: error });
  return withRetry({ kind: 'transient', code: error ?? `http_${status}` });
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

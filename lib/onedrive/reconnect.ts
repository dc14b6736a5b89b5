// Consent asked only when missing (SPEC §4): OneDrive features first try to mint a Graph token;
// only when Microsoft answers that the grant lacks consent (consent_required, AADSTS65001) — or is
// gone altogether — does the caller get 409 needs_reauth with `reconnectUrl`, the same-origin path
// that asks for exactly that consent and comes back to `returnTo`.
import { AppError } from '../errors';
import { isSameSitePath } from '../http/return-to';
import { RefreshFailedError } from '../tokens/ensure-fresh-token';

/** `/api/mail/connect?files=1&account=<id>&returnTo=<path>`: reconnect with OneDrive access. */
export function oneDriveReconnectUrl(accountId: string, returnTo?: string): string {
  const params = new URLSearchParams({ files: '1', account: accountId });
  if (returnTo !== undefined && isSameSitePath(returnTo)) params.set('returnTo', returnTo);
  return `/api/mail/connect?${params.toString()}`;
}

export function needsOneDriveConsent(accountId: string, returnTo: string | undefined, message: string, cause?: unknown): AppError {
  return new AppError('needs_reauth', message, { reconnectUrl: oneDriveReconnectUrl(accountId, returnTo), ...(cause === undefined ? {} : { cause }) });
}

/**
 * Runs a Graph token request; a refusal that only the account's owner can fix becomes 409 with
 * `reconnectUrl`. Transient failures (503) and everything else pass through unchanged.
 */
export async function withGraphConsent<T>(input: { accountId: string; returnTo?: string | undefined; mint: () => Promise<T> }): Promise<T> {
  try {
    return await input.mint();
  } catch (error) {
    if (error instanceof RefreshFailedError && error.classification.kind === 'reauth') {
      const message = error.classification.consent
        ? 'This Microsoft account has not allowed OneDrive access yet. Reconnect it with OneDrive access to continue.'
        : 'This Microsoft account must be reconnected before its OneDrive can be read.';
      throw needsOneDriveConsent(input.accountId, input.returnTo, message, error);
    }
    throw error;
  }
}

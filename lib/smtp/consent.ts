// Consent asked only when missing (SPEC §4), as for OneDrive: sending first tries to mint an SMTP
// token; only when Microsoft answers that the grant lacks SMTP.Send (consent_required,
// AADSTS65001) — or is gone altogether — is the answer 409 needs_reauth with `reconnectUrl`, the
// same-origin path that asks for that consent and comes back to `returnTo`.
import { AppError } from '../errors';
import { isSameSitePath } from '../http/return-to';
import { RefreshFailedError } from '../tokens/ensure-fresh-token';

/** `/api/mail/connect?send=1&account=<id>&returnTo=<path>`: reconnect with permission to send. */
export function sendReconnectUrl(accountId: string, returnTo?: string): string {
  const params = new URLSearchParams({ send: '1', account: accountId });
  if (returnTo !== undefined && isSameSitePath(returnTo)) params.set('returnTo', returnTo);
  return `/api/mail/connect?${params.toString()}`;
}

export async function withSendConsent<T>(input: { accountId: string; returnTo?: string | undefined; mint: () => Promise<T> }): Promise<T> {
  try {
    return await input.mint();
  } catch (error) {
    if (error instanceof RefreshFailedError && error.classification.kind === 'reauth') {
      const message = error.classification.consent
        ? 'This Microsoft account has not allowed sending mail yet. Reconnect it with permission to send, then send again.'
        : 'This Microsoft account must be reconnected before it can send mail.';
      throw new AppError('needs_reauth', message, { reconnectUrl: sendReconnectUrl(input.accountId, input.returnTo), cause: error });
    }
    throw error;
  }
}

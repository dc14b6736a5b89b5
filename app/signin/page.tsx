import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { currentUserId, microsoftSettings } from '@/lib/auth';
import { sameSitePathOr } from '@/lib/http/return-to';
import { SignInButton } from '../_components/sign-in-button';

export const metadata: Metadata = { title: 'Sign in' };

// next-auth's error codes, in words a person can act on.
const ERRORS: Record<string, string> = {
  OAuthCallback: 'Microsoft sign-in did not complete. Please try again.',
  OAuthSignin: 'Could not start Microsoft sign-in. Please try again.',
  Callback: 'You are signed in, but your mailbox could not be connected. Try again, or add it from your mailboxes.',
  OAuthAccountNotLinked: 'This Microsoft account belongs to another Mailbridge user.',
  AccessDenied: 'Sign-in was declined.',
  SessionRequired: 'Please sign in to continue.',
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const error = typeof params.error === 'string' ? params.error : undefined;
  // Same-site paths only: `//host` and `/\\host` would leave the site.
  const callbackUrl = sameSitePathOr(params.callbackUrl, '/inbox');
  if (!error && (await currentUserId())) redirect(callbackUrl);
  const configured = microsoftSettings() !== null;
  return (
    <main id="main" className="centered">
      <div className="card narrow">
        <h1>Mailbridge</h1>
        <p className="muted">Your Microsoft 365 and Outlook mailboxes over IMAP, kept connected in the background.</p>
        {error ? (
          <p className="alert error" role="alert">
            {ERRORS[error] ?? 'Sign-in failed. Please try again.'}
          </p>
        ) : null}
        {configured ? (
          <SignInButton callbackUrl={callbackUrl} />
        ) : (
          <p className="alert warning" role="alert">
            Microsoft sign-in is not configured on this server (MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET or MICROSOFT_CLIENT_CERTIFICATE).
          </p>
        )}
        <p className="fine-print">
          Signing in connects your mailbox: Mailbridge keeps an encrypted refresh token so it can read mail over IMAP.
          You can disconnect it any time.
        </p>
      </div>
    </main>
  );
}

import { getEnv } from '@/lib/env';

/** Impossible to miss: in the sandbox nothing is real Microsoft, and people should know. */
export function SandboxBanner() {
  if (!getEnv().SANDBOX) return null;
  return (
    <div className="sandbox-banner" role="note">
      <strong>Local sandbox</strong> — sign-in and mail come from a Microsoft emulator and a local IMAP server on
      this machine. Nothing is sent to Microsoft.
    </div>
  );
}

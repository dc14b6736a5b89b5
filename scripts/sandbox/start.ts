// The local sandbox behind `npm run dev` when no Microsoft app registration is configured: the
// project's Microsoft emulator in-process on a fixed port, and (where Debian's Dovecot is
// installed and we run as root) a private IMAP server with sample mail for the demo user.
import { existsSync } from 'node:fs';
import { startMicrosoftEmulator, type MicrosoftEmulator } from '../../emulator';
import { startDovecot, type Dovecot } from '../../tests/support/dovecot';
import { startSmtpServer, type TestSmtpServer } from '../../tests/support/smtp';
import { sampleMessages } from './sample-mail';

// Stable across restarts (same values as `npm run emulator`), so sessions and settings line up.
const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e';
const TENANT_ID = '72f988bf-0000-4000-8000-000000000001';
export const DEMO_USER = 'demo@contoso.onmicrosoft.com';

export interface Sandbox {
  env: Record<string, string>;
  emulator: MicrosoftEmulator;
  dovecot: Dovecot | null;
  /** A local SMTP submission server (STARTTLS, XOAUTH2) delivering into that Dovecot. */
  smtp: TestSmtpServer | null;
  /** Why there is no local IMAP server, when there is none. */
  dovecotSkipped?: string;
  stop(): Promise<void>;
}

export async function startSandbox(options: { emulatorPort: number }): Promise<Sandbox> {
  const emulator = await startMicrosoftEmulator({ port: options.emulatorPort, clientId: CLIENT_ID, tenantId: TENANT_ID, appName: 'Mailbridge (sandbox)' });
  emulator.addUser({ email: DEMO_USER, name: 'Demo User' });
  emulator.setDefaultUser(DEMO_USER);

  const env: Record<string, string> = {
    SANDBOX: 'true',
    MICROSOFT_CLIENT_ID: emulator.clientId,
    MICROSOFT_CLIENT_SECRET: emulator.clientSecret,
    MICROSOFT_TENANT: 'common',
    MICROSOFT_AUTHORITY_HOST: emulator.url,
    MICROSOFT_GRAPH_URL: emulator.graphUrl,
  };

  let dovecot: Dovecot | null = null;
  let smtp: TestSmtpServer | null = null;
  let dovecotSkipped: string | undefined;
  if (!existsSync('/usr/sbin/dovecot')) dovecotSkipped = 'Dovecot is not installed (apt-get install dovecot-imapd)';
  else if (process.getuid?.() !== 0) dovecotSkipped = 'a private Dovecot needs root to start';
  else {
    try {
      dovecot = await startDovecot({ introspectionUrl: emulator.introspectionUrl });
      for (const message of sampleMessages(DEMO_USER)) {
        await dovecot.save(DEMO_USER, message.eml, { ...(message.mailbox ? { mailbox: message.mailbox } : {}), ...(message.flags ? { flags: message.flags } : {}) });
      }
      Object.assign(env, { IMAP_HOST: dovecot.host, IMAP_PORT: String(dovecot.port), IMAP_SECURE: 'false', IMAP_ALLOW_PRIVATE_HOSTS: 'true' });
      // Sending: mail to any address lands in that address's mailbox on the same Dovecot; the
      // demo user's copy goes to Sent Items, as at Microsoft. Its self-signed certificate is
      // trusted by the dev server through NODE_EXTRA_CA_CERTS (validation stays on).
      const local = dovecot;
      smtp = await startSmtpServer({ introspectionUrl: emulator.smtpIntrospectionUrl, deliverTo: local });
      Object.assign(env, smtp.appEnv);
    } catch (error) {
      dovecotSkipped = `Dovecot did not start (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
    }
  }

  return {
    env,
    emulator,
    dovecot,
    smtp,
    ...(dovecotSkipped ? { dovecotSkipped } : {}),
    async stop() {
      await smtp?.stop().catch(() => {});
      await dovecot?.stop().catch(() => {});
      await emulator.close().catch(() => {});
    },
  };
}

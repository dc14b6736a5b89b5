// This process's IMAP service, wired to the database, the token layer and the keyring. Kept on
// globalThis so Next.js development reloads don't leak pools of open sessions.
import { getDb } from '../db';
import { getSecretBox } from '../crypto';
import { getEnv } from '../env';
import { childLogger } from '../log';
import { ensureFreshToken } from '../tokens';
import { createAccountLoader, createPasswordRejectionRecorder } from './account-loader';
import { createImapService, type ImapService } from './service';

const globalForImap = globalThis as typeof globalThis & { __mailbridgeImap?: ImapService };

export function getImapService(): ImapService {
  if (globalForImap.__mailbridgeImap) return globalForImap.__mailbridgeImap;
  const env = getEnv();
  const service = createImapService({
    loadAccount: createAccountLoader({ db: getDb, secrets: getSecretBox() }),
    ensureFreshToken,
    oauthEndpoint: { host: env.IMAP_HOST, port: env.IMAP_PORT, secure: env.IMAP_SECURE },
    log: childLogger('imap'),
    onPasswordRejected: createPasswordRejectionRecorder({ db: getDb }),
    allowPrivateHosts: env.IMAP_ALLOW_PRIVATE_HOSTS,
  });
  globalForImap.__mailbridgeImap = service;
  return service;
}

/** Logs out every pooled session (process shutdown). */
export async function shutdownImap(): Promise<void> {
  const service = globalForImap.__mailbridgeImap;
  globalForImap.__mailbridgeImap = undefined;
  await service?.shutdown();
}

/** Ends every live-update stream and logs out the IDLE sessions (first step of shutdown). */
export async function closeMailWatchers(): Promise<void> {
  await globalForImap.__mailbridgeImap?.closeWatchers();
}

// This process's SMTP service, wired to the database, the token layer and the keyring.
import { getSecretBox } from '../crypto';
import { getDb } from '../db';
import { getEnv } from '../env';
import { childLogger } from '../log';
import { ensureFreshToken } from '../tokens';
import { createSmtpAccountLoader, createSmtpService, type SmtpService } from './service';

const globalForSmtp = globalThis as typeof globalThis & { __mailbridgeSmtp?: SmtpService };

export function getSmtpService(): SmtpService {
  if (globalForSmtp.__mailbridgeSmtp) return globalForSmtp.__mailbridgeSmtp;
  const env = getEnv();
  const service = createSmtpService({
    loadAccount: createSmtpAccountLoader({ db: getDb, secrets: getSecretBox() }),
    ensureFreshToken,
    oauthEndpoint: { host: env.SMTP_HOST, port: env.SMTP_PORT, secure: env.SMTP_SECURE },
    log: childLogger('smtp'),
    allowPrivateHosts: env.IMAP_ALLOW_PRIVATE_HOSTS,
  });
  globalForSmtp.__mailbridgeSmtp = service;
  return service;
}

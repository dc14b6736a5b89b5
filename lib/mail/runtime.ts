// The process-wide mail context: this process's database, IMAP pool, keyring and cache.
import { getCache } from '../cache';
import { getSecretBox } from '../crypto';
import { getDb } from '../db';
import { getImapService } from '../imap/runtime';
import { forgetCachedAccessTokens } from '../tokens/access-token-cache';
import type { MailContext } from './context';

export async function getMailContext(): Promise<MailContext> {
  return {
    db: await getDb(),
    imap: getImapService(),
    secrets: getSecretBox(),
    // Straight to the cache rather than through the token service, which needs the Microsoft
    // app settings: disconnecting a password mailbox must work on a server without them. Every
    // instance's in-process token cache hears of it (the cache's invalidation channel).
    forgetCachedTokens: (credentialId) => forgetCachedAccessTokens(getCache(), credentialId),
  };
}

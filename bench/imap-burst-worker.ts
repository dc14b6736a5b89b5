// One app instance of the IMAP burst benchmark, in its own OS process: its own PostgreSQL pool
// (production size), IMAP session pool and event loop, against the shared database and Dovecot.
// Reads commands from stdin, one JSON line each: {"burst": n, "at": epochMs} fires n first-page
// requests through lib/mail at `at` and answers {"ms": [...], "fetches", "peakSessions",
// "opened", "mismatches"}; {"quit": true} ends it. The access token comes from the parent (the
// token layer's cost is one lookup per session opened, not part of a burst).
import { createInterface } from 'node:readline';
import type { ImapFlow } from 'imapflow';
import pino from 'pino';
import { createSecretBox, keyringFromKeys } from '../lib/crypto';
import { createDb } from '../lib/db';
import { createAccountLoader, createImapService } from '../lib/imap';
import { listMessages, type MailContext } from '../lib/mail';

const config = JSON.parse(process.argv[2] ?? '{}') as {
  databaseUrl: string;
  keyBase64: string;
  imapHost: string;
  imapPort: number;
  accessToken: string;
  userId: string;
  credentialId: string;
  page: number;
  newestUid: number;
};

async function main() {
  const { db, close } = await createDb({ url: config.databaseUrl });
  const secrets = createSecretBox(keyringFromKeys(Buffer.from(config.keyBase64, 'base64')));
  const imap = createImapService({
    loadAccount: createAccountLoader({ db: async () => db, secrets }),
    ensureFreshToken: async () => ({ accessToken: config.accessToken, expiresAt: Date.now() + 3_600_000 }),
    oauthEndpoint: { host: config.imapHost, port: config.imapPort, secure: false },
    log: pino({ level: 'silent' }),
    allowPrivateHosts: true,
  });
  const ctx: MailContext = { db, imap, secrets, forgetCachedTokens: async () => {} };
  const page = () => listMessages({ userId: config.userId, accountId: config.credentialId, mailbox: 'INBOX', limit: String(config.page), ctx });

  let fetches = 0;
  const counted = new WeakSet<ImapFlow>();
  const countFetches = () =>
    imap.withSession(config.credentialId, async (client) => {
      if (counted.has(client)) return;
      counted.add(client);
      const original = client.fetchAll.bind(client);
      client.fetchAll = ((...args: Parameters<ImapFlow['fetchAll']>) => {
        fetches++;
        return original(...args);
      }) as ImapFlow['fetchAll'];
    });
  await page(); // warm: a session, the database pool
  await db.$queryRaw`SELECT 1`;

  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const command = JSON.parse(line) as { burst?: number; at?: number; alone?: boolean; quit?: boolean };
    if (command.quit) break;
    await countFetches();
    const before = fetches;
    if (command.alone) {
      const t = performance.now();
      await page();
      process.stdout.write(`${JSON.stringify({ ms: [performance.now() - t] })}\n`);
      continue;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, (command.at ?? 0) - Date.now())));
    let peakSessions = 0;
    const watch = setInterval(() => (peakSessions = Math.max(peakSessions, imap.stats().open[config.credentialId] ?? 0)), 1);
    let mismatches = 0;
    const ms = await Promise.all(
      Array.from({ length: command.burst ?? 0 }, async () => {
        const t = performance.now();
        const result = await page();
        if (result.messages.length !== config.page || result.messages[0]?.uid !== config.newestUid) mismatches++;
        return performance.now() - t;
      }),
    );
    clearInterval(watch);
    peakSessions = Math.max(peakSessions, imap.stats().open[config.credentialId] ?? 0);
    process.stdout.write(`${JSON.stringify({ ms, fetches: fetches - before, peakSessions, opened: imap.stats().opened, mismatches })}\n`);
  }
  await imap.shutdown();
  await close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`imap burst worker failed: ${(error as Error).name}: ${(error as Error).message}\n`);
    process.exit(1);
  },
);

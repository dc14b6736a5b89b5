// `npm run secrets:rotate`: re-seals every stored secret under TOKEN_ENCRYPTION_KEY, safe to run
// while the service is serving. Rotation:
//   1. deploy with the new key as TOKEN_ENCRYPTION_KEY and the old one in TOKEN_ENCRYPTION_KEYS_OLD;
//   2. run this command (with the same configuration);
//   3. once it reports that old keys can be removed, drop them from TOKEN_ENCRYPTION_KEYS_OLD.
// Prints counts only. Exit code 1 when some secret could not be opened or the run failed.
import { getKeyring, resealAll, type ResealLogger, type ResealSummary } from '../lib/crypto';
import { closeDb, getDb } from '../lib/db';

const printer: ResealLogger = {
  info: (fields, message) => console.log(`${message} ${format(fields)}`),
  error: (fields, message) => console.error(`${message} ${format(fields)}`),
};

function format(fields: object): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

async function run(): Promise<ResealSummary> {
  const keyring = getKeyring();
  const db = await getDb();
  console.log(`re-sealing stored secrets under key ${keyring.currentKeyId} (${keyring.keys.size - 1} old key(s) accepted)`);
  let summary = await resealAll({ db, keyring, logger: printer });
  printColumns(summary);
  // Values changed while the first pass ran were written by the service; a second pass checks
  // that they, too, are under the current key (an instance still sealing with the old key would
  // show up here again).
  if (summary.total.changedConcurrently > 0) {
    console.log(`${summary.total.changedConcurrently} value(s) changed during the pass; checking them again`);
    summary = await resealAll({ db, keyring, logger: printer });
    printColumns(summary);
  }
  return summary;
}

function printColumns(summary: ResealSummary): void {
  for (const [column, c] of Object.entries(summary.columns)) {
    console.log(
      `${column}: ${c.scanned} stored, ${c.resealed} re-sealed, ${c.alreadyCurrent} already current, ` +
        `${c.changedConcurrently} changed concurrently, ${c.failed} unreadable`,
    );
  }
}

run()
  .then(async (summary) => {
    const { failed, changedConcurrently } = summary.total;
    if (failed > 0) {
      console.error(
        `${failed} secret(s) could not be opened with any configured key and were left as they are; ` +
          'their mailboxes need to be reconnected.',
      );
    } else if (changedConcurrently > 0) {
      console.log('values kept changing during the run: run the command again before removing old keys.');
    } else {
      console.log(`every stored secret is sealed under key ${summary.keyId}: old keys can be removed.`);
    }
    await closeDb();
    process.exit(failed > 0 ? 1 : 0);
  })
  .catch(async (error: unknown) => {
    // Configuration and database errors name variables and hosts, never secrets.
    console.error(`secrets:rotate failed: ${error instanceof Error ? error.message : String(error)}`);
    await closeDb().catch(() => {});
    process.exit(1);
  });

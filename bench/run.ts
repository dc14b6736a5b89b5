// `npm run bench`: every benchmark, each printing ratios against a baseline from the same run.
// Needs PostgreSQL and Redis on loopback (scripts/setup-system.sh starts them).
import { benchCronRefresh } from './cron-refresh';
import { benchImapInbox } from './imap-inbox';
import { benchMail } from './mail';
import { benchOneDriveSync } from './onedrive-sync';
import { benchTokenLayer } from './token-layer';

const benches: Record<string, () => Promise<void>> = {
  tokens: benchTokenLayer,
  cron: benchCronRefresh,
  onedrive: benchOneDriveSync,
  imap: benchImapInbox,
  mail: benchMail,
};

async function main() {
  const only = process.argv.slice(2);
  for (const [name, run] of Object.entries(benches)) {
    if (only.length > 0 && !only.includes(name)) continue;
    await run();
  }
}

main().then(
  () => process.exit(),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

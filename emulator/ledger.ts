// Every secret the emulator hands out is written to the suite's ledger (SECRET_LEDGER), so the
// suite can prove at the end that none of them reached a log line. Read the variable on each call:
// the global setup sets it after modules may already have been imported.
import { appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export function recordSecret(secret: string): void {
  const ledger = process.env.SECRET_LEDGER;
  if (!ledger || secret.length === 0) return;
  appendFileSync(ledger, `${secret}\n`);
}

/** A fresh opaque secret (base64url), already recorded in the ledger. */
export function newSecret(bytes = 48, prefix = ''): string {
  const secret = `${prefix}${randomBytes(bytes).toString('base64url')}`;
  recordSecret(secret);
  return secret;
}

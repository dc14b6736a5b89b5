// Runs once per `vitest run`. Every process of the suite (workers, spawned children, emulators)
// appends its logs to one file, and every emulator records each secret it issues in a ledger;
// at the end the suite fails if any issued secret ever reached a log line.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export default function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'mailbridge-suite-'));
  (process.env as Record<string, string>).NODE_ENV = 'test';
  process.env.LOG_LEVEL ??= 'debug';
  process.env.LOG_FILE = path.join(dir, 'suite.log');
  process.env.SECRET_LEDGER = path.join(dir, 'issued-secrets.txt');
  process.env.SUITE_DIR = dir;

  return function teardown() {
    const ledger = process.env.SECRET_LEDGER!;
    const logFile = process.env.LOG_FILE!;
    if (!existsSync(ledger) || !existsSync(logFile)) return;
    const secrets = readFileSync(ledger, 'utf8').split('\n').filter((s) => s.length >= 16);
    const logs = readFileSync(logFile, 'utf8');
    const leaked = secrets.filter((s) => logs.includes(s));
    if (leaked.length > 0) {
      // A throw here is only printed by vitest; the exit code is what fails CI.
      console.error(`FAIL log scan: ${leaked.length} issued secret(s) appeared in the suite's logs (${logFile})`);
      process.exitCode = 1;
      return;
    }
    console.log(`log scan: ${secrets.length} issued secrets, none in ${logs.length} bytes of logs`);
  };
}

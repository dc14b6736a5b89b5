// Opening the embedded PGlite database. PGlite is one Postgres backend inside this process; two
// processes (a dev server and `npm run db:migrate`, say) on one directory would corrupt it, so a
// lock file names the owner and a second opener gets a clear error instead.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';

// Lock files this process holds. A lock naming our own pid that is not in here was left by an
// earlier process that had the same pid (containers restart as pid 1): stale, not in use.
const registry = globalThis as typeof globalThis & { __mailbridgePgliteLocks?: Set<string> };
const held = (registry.__mailbridgePgliteLocks ??= new Set<string>());

export interface OpenPglite {
  pglite: PGlite;
  close(): Promise<void>;
}

/** `dir` undefined: in memory. */
export async function openPglite(dir: string | undefined): Promise<OpenPglite> {
  if (dir === undefined) {
    const pglite = await PGlite.create();
    return { pglite, close: () => pglite.close() };
  }
  await mkdir(dir, { recursive: true });
  const lockPath = path.join(dir, '..', 'pglite.lock');
  acquireLock(lockPath);
  try {
    const pglite = await PGlite.create(dir);
    return {
      pglite,
      close: async () => {
        try {
          // Without this the PGlite instance keeps the process alive.
          await pglite.close();
        } finally {
          releaseLock(lockPath);
        }
      },
    };
  } catch (error) {
    releaseLock(lockPath);
    throw error;
  }
}

function releaseLock(lockPath: string): void {
  held.delete(lockPath);
  rmSync(lockPath, { force: true });
}

function acquireLock(lockPath: string, retried = false): void {
  try {
    const fd = openSync(lockPath, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    held.add(lockPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || retried) throw error;
    const owner = Number(readFileSync(lockPath, 'utf8').trim());
    const ours = owner === process.pid;
    if ((ours && held.has(lockPath)) || (!ours && Number.isInteger(owner) && owner > 0 && isAlive(owner))) {
      throw new Error(
        `The embedded database in ${path.dirname(lockPath)} is in use by process ${owner}; ` +
          'stop it first (or set DATABASE_URL to use PostgreSQL).',
      );
    }
    // Left behind by a process that died without closing: take it over.
    rmSync(lockPath, { force: true });
    acquireLock(lockPath, true);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

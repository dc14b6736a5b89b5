// Redis for tests: a private redis-server for tests that stop, pause or freeze Redis (the shared
// instance on 6379 is never touched by those), and prefix cleanup on the shared one.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { freePort, waitFor } from './net';

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Kill the server (SIGKILL): connections drop, new ones are refused. */
  stop(): Promise<void>;
  /** Start it again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>;
  /** `CLIENT PAUSE <ms> ALL`: connections stay open, commands get no answer until it ends. */
  pause(ms: number): Promise<void>;
  /** SIGSTOP: the kernel still accepts connections, the server answers nothing. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  async function launch(): Promise<void> {
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
      { stdio: 'ignore' },
    );
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    child = proc;
    await waitFor(() => ping(port), { timeoutMs: 10_000, what: `redis-server on port ${port}` });
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGCONT'); // a frozen process would not act on anything else until resumed
    proc.kill('SIGKILL');
    await exited;
  }

  await launch();

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    pause: async (ms) => {
      const result = spawnSync('redis-cli', ['-p', String(port), 'CLIENT', 'PAUSE', String(ms), 'ALL'], {
        encoding: 'utf8',
      });
      if (result.stdout.trim() !== 'OK') throw new Error(`CLIENT PAUSE failed: ${result.stdout}${result.stderr}`);
    },
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
  };
}

/** True when a server on the port answers PING (raw RESP, so no client library is involved). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => finish(data.toString().startsWith('+PONG')));
  });
}

/** The machine's shared Redis, which tests use under their own key prefixes. */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/** Keys under `prefix` on the shared Redis (SCAN, never KEYS). */
export async function keysWithPrefix(admin: Redis, prefix: string): Promise<string[]> {
  if (admin.status === 'wait') await admin.connect();
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

/** Deletes this test's keys only: never FLUSHDB, the shared server belongs to every test. */
export async function deleteKeysWithPrefix(prefix: string): Promise<void> {
  const admin = new Redis(SHARED_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const keys = await keysWithPrefix(admin, prefix);
    if (keys.length > 0) await admin.del(...keys);
  } finally {
    admin.disconnect();
  }
}

// The production build (`next start`) with everything it talks to, for end-to-end tests: a fresh
// PostgreSQL database, a Redis key prefix of its own, the Microsoft emulator, a private Dovecot
// (XOAUTH2 only, tokens checked against the emulator) and fresh secrets. One per test file.
//   const app = await startApp({ users: ['ada@contoso.test'] });
//   const ada = await app.signIn('ada@contoso.test');
//   await ada.getJson('/api/mail/accounts');
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMicrosoftEmulator, type MicrosoftEmulator, type MicrosoftEmulatorOptions } from '@/emulator';
import type { PrismaClient } from '@/lib/db';
import { createTestDatabase } from './db';
import { startDovecot, type Dovecot } from './dovecot';
import { HttpClient } from './http-client';
import { freePort, waitFor } from './net';

const ROOT = path.resolve(__dirname, '../..');
const NEXT_BIN = path.join(ROOT, 'node_modules/next/dist/bin/next');

export interface StartAppOptions {
  /** Emulator users created up front. */
  users?: string[];
  /** Start a private Dovecot and point IMAP_* at it (default true). */
  dovecot?: boolean;
  emulator?: MicrosoftEmulatorOptions;
  /** Extra or overriding environment for the app. */
  env?: Record<string, string>;
  /** Redis for the access-token cache (default: the shared local one, under a private prefix). */
  redisUrl?: string | null;
  /**
   * `next start` processes sharing the database, cache, secrets and servers (default 1), as
   * behind a load balancer. `url` is the first; `urls` all of them.
   */
  instances?: number;
}

export interface SignedIn extends HttpClient {
  userId: string;
  email: string;
}

export interface TestApp {
  readonly url: string;
  /** Every instance's base URL (`urls[0] === url`). */
  readonly urls: string[];
  readonly emulator: MicrosoftEmulator;
  readonly dovecot: Dovecot | null;
  /** The app's database, for seeding and assertions. */
  readonly db: PrismaClient;
  readonly cronSecret: string;
  client(): HttpClient;
  /** A client signed in through the emulator (the user is added to it when missing). */
  signIn(email: string, client?: HttpClient): Promise<SignedIn>;
  /** What the app printed (stdout and stderr), for diagnosing a failure. */
  output(): string;
  /**
   * Secrets the emulator issued (tokens, codes, the client secret) that appeared in any answer
   * the app gave a client of this app: must always be empty.
   */
  secretsInResponses(): string[];
  /**
   * Sends SIGTERM to one instance, as a platform stopping it does, and waits (up to `waitMs`) for
   * it to exit on its own: how long it took and how it ended.
   */
  terminate(instance?: number, waitMs?: number): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

export async function startApp(options: StartAppOptions = {}): Promise<TestApp> {
  if (!existsSync(path.join(ROOT, '.next/BUILD_ID'))) {
    throw new Error('No production build in .next: run `npm test` (it builds first) or `npx next build`.');
  }
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => {});
  };
  try {
    const database = await createTestDatabase({ poolSize: 3 });
    cleanups.push(() => database.close());
    const emulator = await startMicrosoftEmulator(options.emulator);
    cleanups.push(() => emulator.close());
    for (const email of options.users ?? []) emulator.addUser({ email });

    let dovecot: Dovecot | null = null;
    if (options.dovecot !== false) {
      dovecot = await startDovecot({ introspectionUrl: emulator.introspectionUrl });
      cleanups.push(() => dovecot!.stop());
    }

    const ports = await Promise.all(Array.from({ length: options.instances ?? 1 }, () => freePort()));
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);
    const url = urls[0]!;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'mb-app-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const cronSecret = randomBytes(24).toString('base64url');
    const redisUrl = options.redisUrl === undefined ? 'redis://127.0.0.1:6379' : options.redisUrl;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `mbtest:${randomBytes(6).toString('hex')}:` } : {}),
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      AUTH_SECRET: randomBytes(32).toString('base64url'),
      NEXTAUTH_URL: url,
      MICROSOFT_CLIENT_ID: emulator.clientId,
      MICROSOFT_CLIENT_SECRET: emulator.clientSecret,
      MICROSOFT_TENANT: 'common',
      MICROSOFT_AUTHORITY_HOST: emulator.url,
      MICROSOFT_GRAPH_URL: emulator.graphUrl,
      ...(dovecot ? { IMAP_HOST: dovecot.host, IMAP_PORT: String(dovecot.port), IMAP_SECURE: 'false', IMAP_ALLOW_PRIVATE_HOSTS: 'true' } : {}),
      CRON_SECRET: cronSecret,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      ...(process.env.LOG_FILE ? { LOG_FILE: process.env.LOG_FILE } : {}),
      ...options.env,
    };

    // Every instance answers as the one public URL (NEXTAUTH_URL), as behind a load balancer.
    let output = '';
    const capture = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-200_000);
      // Into the suite log too: the end-of-suite scan then covers whatever Next.js prints.
      if (process.env.LOG_FILE) appendFileSync(process.env.LOG_FILE, text);
    };
    const children: ChildProcess[] = [];
    await Promise.all(
      ports.map(async (port, i) => {
        const child = spawn(process.execPath, [NEXT_BIN, 'start', '-p', String(port), '-H', '127.0.0.1'], {
          cwd: ROOT,
          env: { ...env, PORT: String(port) } as unknown as NodeJS.ProcessEnv,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        children[i] = child;
        cleanups.push(() => stopChild(child));
        child.stdout?.on('data', capture);
        child.stderr?.on('data', capture);
        await waitFor(
          async () => {
            if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`);
            const response = await fetch(`${urls[i]}/api/health`, { signal: AbortSignal.timeout(2_000) });
            return response.status === 200;
          },
          { timeoutMs: 60_000, intervalMs: 100, what: 'the app to answer /api/health' },
        ).catch((error: unknown) => {
          throw new Error(`${String(error)}\n--- app output ---\n${output}`);
        });
      }),
    );

    const clients: HttpClient[] = [];
    const track = (client: HttpClient) => {
      if (!clients.includes(client)) clients.push(client);
      return client;
    };
    const app: TestApp = {
      url,
      urls,
      emulator,
      dovecot,
      db: database.db,
      cronSecret,
      client: () => track(new HttpClient(url)),
      async signIn(email, client = new HttpClient(url)) {
        track(client);
        emulator.addUser({ email });
        const userId = await signInThroughEmulator(client, email, database.db);
        return Object.assign(client, { userId, email });
      },
      output: () => output,
      secretsInResponses() {
        const ledger = process.env.SECRET_LEDGER;
        if (!ledger || !existsSync(ledger)) return [];
        const secrets = readFileSync(ledger, 'utf8').split('\n').filter((s) => s.length >= 16);
        const answers = clients.flatMap((c) => c.transcript).join('\n');
        return secrets.filter((s) => answers.includes(s)).map((s) => `${s.slice(0, 4)}… (${s.length} chars)`);
      },
      async terminate(instance = 0, waitMs = 20_000) {
        const child = children[instance]!;
        const started = Date.now();
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          child.once('exit', (code, signal) => resolve({ code, signal })),
        );
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), waitMs);
        const end = await exited;
        clearTimeout(timer);
        return { ms: Date.now() - started, ...end };
      },
      stop: cleanup,
    };
    return app;
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** /api/auth/signin/microsoft → emulator authorize → /api/auth/callback/microsoft → callbackUrl. */
export async function signInThroughEmulator(client: HttpClient, email: string, db: PrismaClient): Promise<string> {
  const { body: csrf } = await client.getJson<{ csrfToken: string }>('/api/auth/csrf');
  const start = `/api/auth/signin/microsoft?login_hint=${encodeURIComponent(email)}`;
  const response = await client.fetch(start, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrfToken: csrf.csrfToken, callbackUrl: `${client.baseUrl}/inbox` }),
  });
  const { hops, finalUrl } = await client.follow(response, start, { stop: (u) => !u.includes('/api/auth/') && u.startsWith(client.baseUrl) });
  if (new URL(finalUrl).pathname !== '/inbox') {
    throw new Error(`sign-in did not reach /inbox: ${hops.map((h) => `${h.status} ${redact(h.url)}`).join(' → ')} → ${redact(finalUrl)}`);
  }
  const user = await db.user.findUnique({ where: { email: email.toLowerCase() }, select: { id: true } });
  if (!user) throw new Error(`no user row for ${email} after sign-in`);
  return user.id;
}

/** Hop URLs carry codes and state: keep them out of assertion messages (and so out of logs). */
function redact(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}${u.search ? `?${[...u.searchParams.keys()].join('&')}` : ''}`;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

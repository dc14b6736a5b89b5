// `npm run dev`. With a Microsoft app registration configured (MICROSOFT_CLIENT_ID), just
// `next dev`. Without one, a clearly labelled local sandbox: the project's Microsoft emulator
// and, where possible, a local Dovecot with sample mail, so sign-in and the inbox work offline.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadEnvConfig } from '@next/env';
import pretty from 'pino-pretty';
import { devAuthSecret } from './sandbox/auth-secret';
import { DEMO_USER, startSandbox, type Sandbox } from './sandbox/start';

const root = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  // The same .env files `next dev` reads, so "is Microsoft configured?" is answered the same way.
  loadEnvConfig(root, true, { info: () => {}, error: console.error });
  const port = Number(process.env.PORT ?? 3000);
  const baseUrl = process.env.NEXTAUTH_URL ?? process.env.AUTH_URL ?? process.env.APP_URL ?? `http://localhost:${port}`;
  const dataDir = process.env.DATA_DIR ?? '.data';
  const env: Record<string, string | undefined> = { ...process.env, PORT: String(port), NEXTAUTH_URL: baseUrl };
  env.AUTH_SECRET ??= process.env.NEXTAUTH_SECRET ?? devAuthSecret(dataDir);

  let sandbox: Sandbox | null = null;
  if (!process.env.MICROSOFT_CLIENT_ID) {
    const emulatorPort = Number(process.env.EMULATOR_PORT ?? 4010);
    sandbox = await startSandbox({ emulatorPort }).catch((error: unknown) => {
      const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${emulatorPort} is in use (set EMULATOR_PORT)` : String(error);
      throw new Error(`the local sandbox could not start: ${reason}`);
    });
    Object.assign(env, sandbox.env);
  }

  // The service logs JSON lines (what log collectors want in production); in development they are
  // made readable here, outside the service. Lines that are not JSON (Next.js's own) pass through.
  // LOG_FORMAT=json keeps them raw.
  const readable = process.env.LOG_FORMAT !== 'json';
  const next = spawn(process.execPath, [require.resolve('next/dist/bin/next'), 'dev', '-p', String(port)], {
    cwd: root,
    env: env as NodeJS.ProcessEnv,
    stdio: readable ? ['inherit', 'pipe', 'pipe'] : 'inherit',
  });
  if (readable) {
    next.stdout?.pipe(readableLogs(1));
    next.stderr?.pipe(readableLogs(2));
  }
  printBanner({ baseUrl, sandbox, dataDir });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (next.exitCode === null) next.kill('SIGTERM');
    await sandbox?.stop();
    process.exit(code);
  };
  next.on('exit', (code) => void stop(code ?? 0));
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
}

function readableLogs(fd: 1 | 2): NodeJS.WritableStream {
  return pretty({
    destination: fd,
    colorize: process.stdout.isTTY,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,module',
    messageFormat: '[{module}] {msg}',
  });
}

function printBanner({ baseUrl, sandbox, dataDir }: { baseUrl: string; sandbox: Sandbox | null; dataDir: string }): void {
  const lines = sandbox
    ? [
        '',
        '  ┌─ LOCAL SANDBOX ─ no MICROSOFT_CLIENT_ID configured ─────────────────────',
        `  │ Open ${baseUrl} and choose "Sign in with Microsoft".`,
        `  │ Microsoft emulator: ${sandbox.emulator.url} (signs you in as ${DEMO_USER})`,
        sandbox.dovecot
          ? `  │ IMAP: local Dovecot on ${sandbox.dovecot.host}:${sandbox.dovecot.port} with sample mail (XOAUTH2 only)`
          : `  │ IMAP: none — ${sandbox.dovecotSkipped}; the inbox will show a connection error`,
        sandbox.smtp
          ? `  │ SMTP: local submission server on ${sandbox.smtp.host}:${sandbox.smtp.port} (STARTTLS, XOAUTH2); sent mail lands in the local Dovecot`
          : '  │ SMTP: none (needs the local Dovecot); sending will fail to connect',
        `  │ Data (database, keys) lives in ${dataDir}/. Nothing here talks to Microsoft.`,
        '  └──────────────────────────────────────────────────────────────────────────',
        '',
      ]
    : ['', `  Mailbridge (Microsoft sign-in configured): open ${baseUrl}`, ''];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run dev: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

// `npm run emulator`: prints URLs and the service's environment, never the client secret.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const cwd = mkdtempSync(path.join(tmpdir(), 'emulator-script-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

it('prints where it listens and the environment, keeps the secret in .data/emulator.env', async () => {
  const secret = 'standalone-test-secret-0123456789';
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'scripts/emulator.ts')], {
    cwd,
    env: { ...process.env, EMULATOR_PORT: '0', EMULATOR_CLIENT_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('set +a')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`emulator exited early (${code})`)));
    });
    const authority = /MICROSOFT_AUTHORITY_HOST=(\S+)/.exec(out)?.[1];
    expect(authority).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).toContain(`MICROSOFT_GRAPH_URL=${authority}/v1.0`);
    expect(out).toContain('MICROSOFT_CLIENT_ID=');
    expect(out).not.toContain(secret);
    expect(readFileSync(path.join(cwd, '.data/emulator.env'), 'utf8')).toContain(`MICROSOFT_CLIENT_SECRET=${secret}`);
    const metadata = (await (await fetch(`${authority}/common/v2.0/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(metadata.issuer).toBe(`${authority}/{tenantid}/v2.0`);
  } finally {
    child.kill('SIGTERM');
  }
}, 30_000);

// The app authenticates to Microsoft's token endpoint in one place: the identity client's
// requestToken, through the one process-wide client of lib/microsoft/app-client.ts. A second
// client built elsewhere would keep its own memory of which credential works (and could skip the
// fallback); a client_secret or client_assertion written elsewhere would bypass both.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'generated' || name === 'node_modules') return [];
    if (statSync(full).isDirectory()) return sources(full);
    return /\.(ts|tsx)$/.test(name) ? [full] : [];
  });
}

const files = [...sources(path.join(ROOT, 'lib')), ...sources(path.join(ROOT, 'app'))];
const rel = (f: string) => path.relative(ROOT, f);
const using = (pattern: RegExp) => files.filter((f) => pattern.test(readFileSync(f, 'utf8'))).map(rel).sort();

describe('one way to authenticate the app', () => {
  test('the scan sees the service code', () => {
    expect(files.map(rel)).toContain('lib/microsoft/identity-client.ts');
    expect(files.length).toBeGreaterThan(100);
  });

  test('only the app client builds an identity client', () => {
    expect(using(/createIdentityClient\(/)).toEqual(['lib/microsoft/app-client.ts', 'lib/microsoft/identity-client.ts']);
  });

  test('client_secret and client_assertion are written only by the credential module (and redacted by the logger)', () => {
    expect(using(/['"`]client_secret['"`]|\bclient_secret:/)).toEqual(['lib/log.ts', 'lib/microsoft/client-credentials.ts']);
    expect(using(/['"`]client_assertion['"`]|\bclient_assertion:/)).toEqual(['lib/log.ts', 'lib/microsoft/client-credentials.ts']);
  });
});

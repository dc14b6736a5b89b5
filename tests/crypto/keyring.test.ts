import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CryptoConfigError, DEV_KEY_FILE, keyIdOf, loadKeyring, open, seal, type KeyringEnv } from '@/lib/crypto';
import { newKey } from './helpers';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mb-crypto-'));
  dirs.push(dir);
  return dir;
}

function env(overrides: Partial<KeyringEnv>): KeyringEnv {
  return { NODE_ENV: 'development', DATA_DIR: dataDir(), TOKEN_ENCRYPTION_KEY: undefined, TOKEN_ENCRYPTION_KEYS_OLD: '', ...overrides };
}

function configError(fn: () => unknown): CryptoConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoConfigError);
    return error as CryptoConfigError;
  }
  throw new Error('expected a configuration error');
}

function capture() {
  const lines: string[] = [];
  const logger = pino(
    new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  );
  return { logger, lines };
}

describe('loadKeyring', () => {
  it('names each key by a short stable fingerprint', () => {
    const current = newKey();
    const old1 = newKey();
    const old2 = newKey();
    const keyring = loadKeyring(
      env({ TOKEN_ENCRYPTION_KEY: current.base64, TOKEN_ENCRYPTION_KEYS_OLD: ` ${old1.base64}, ${old2.raw.toString('base64url')} ,` }),
    );
    expect(keyring.currentKeyId).toMatch(/^[0-9a-f]{8}$/);
    expect(keyring.currentKeyId).toBe(keyIdOf(current.raw));
    expect([...keyring.keys.keys()]).toEqual([keyIdOf(current.raw), keyIdOf(old1.raw), keyIdOf(old2.raw)]);
    // Same key, same id, in every process: nothing to number or configure.
    expect(loadKeyring(env({ TOKEN_ENCRYPTION_KEY: current.raw.toString('base64url') })).currentKeyId).toBe(keyring.currentKeyId);
    // A key listed again among the old ones is simply the same key.
    expect(loadKeyring(env({ TOKEN_ENCRYPTION_KEY: current.base64, TOKEN_ENCRYPTION_KEYS_OLD: current.base64 })).keys.size).toBe(1);
  });

  it('never exposes key material when logged or serialized', () => {
    const key = newKey();
    const keyring = loadKeyring(env({ TOKEN_ENCRYPTION_KEY: key.base64 }));
    const { logger, lines } = capture();
    logger.info({ keyring, keys: [...keyring.keys.values()] }, 'keyring');
    const shown = lines.join('') + JSON.stringify(keyring) + String(keyring.keys.get(keyring.currentKeyId));
    expect(shown).not.toContain(key.base64);
    expect(shown).not.toContain(key.raw.toString('hex'));
  });

  it.each([
    ['too short', Buffer.alloc(16, 7).toString('base64')],
    ['too long', Buffer.alloc(33, 7).toString('base64')],
    ['not base64', 'this is not a key at all, not even close!!!!'],
    ['hex instead of base64', Buffer.alloc(32, 7).toString('hex')],
  ])('rejects a current key that is %s, naming the variable but not the value', (_case, value) => {
    const error = configError(() => loadKeyring(env({ TOKEN_ENCRYPTION_KEY: value })));
    expect(error.message).toContain('TOKEN_ENCRYPTION_KEY');
    expect(error.message).not.toContain(value);
  });

  it('rejects a bad old key, naming which entry', () => {
    const bad = Buffer.alloc(31, 9).toString('base64');
    const error = configError(() =>
      loadKeyring(env({ TOKEN_ENCRYPTION_KEY: newKey().base64, TOKEN_ENCRYPTION_KEYS_OLD: `${newKey().base64},${bad}` })),
    );
    expect(error.message).toContain('TOKEN_ENCRYPTION_KEYS_OLD (entry 2)');
    expect(error.message).not.toContain(bad);
  });

  it('refuses to start in production without a key, and writes nothing', () => {
    const e = env({ NODE_ENV: 'production' });
    const error = configError(() => loadKeyring(e));
    expect(error.message).toContain('TOKEN_ENCRYPTION_KEY');
    expect(error.message).toContain('production');
    expect(existsSync(path.join(e.DATA_DIR, DEV_KEY_FILE))).toBe(false);
  });

  it('in development, generates a private key file once and keeps using it', () => {
    const e = env({ DATA_DIR: path.join(dataDir(), 'nested', '.data') });
    const first = capture();
    const keyring = loadKeyring(e, { logger: first.logger });
    const file = path.join(e.DATA_DIR, DEV_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = readFileSync(file, 'utf8').trim();
    expect(Buffer.from(stored, 'base64')).toHaveLength(32);
    expect(first.lines).toHaveLength(1);
    expect(JSON.parse(first.lines[0]!)).toMatchObject({ level: 40, generated: true });
    expect(first.lines[0]).not.toContain(stored);

    const second = capture();
    const again = loadKeyring(e, { logger: second.logger });
    expect(again.currentKeyId).toBe(keyring.currentKeyId);
    expect(JSON.parse(second.lines[0]!)).toMatchObject({ generated: false });
    expect(open(again, seal(keyring, 'survives a restart', 'aad'), 'aad')).toBe('survives a restart');
  });

  it('in development, reports a corrupt key file by path without its content', () => {
    const e = env({});
    const content = 'corrupted-key-file-content';
    writeFileSync(path.join(e.DATA_DIR, DEV_KEY_FILE), content);
    const error = configError(() => loadKeyring(e));
    expect(error.message).toContain(DEV_KEY_FILE);
    expect(error.message).not.toContain(content);
  });
});

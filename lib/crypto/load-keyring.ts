// The keyring from configuration. Production must configure TOKEN_ENCRYPTION_KEY; development
// gets a generated key kept under DATA_DIR, so secrets survive restarts without any setup.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Env } from '../env';
import { CryptoConfigError } from './errors';
import { KEY_BYTES, keyringFromKeys, parseKey, type Keyring } from './keyring';

export type KeyringEnv = Pick<Env, 'NODE_ENV' | 'DATA_DIR' | 'TOKEN_ENCRYPTION_KEY' | 'TOKEN_ENCRYPTION_KEYS_OLD'>;

export const DEV_KEY_FILE = 'encryption.key';

export function loadKeyring(env: KeyringEnv, options: { logger?: Logger } = {}): Keyring {
  const old = env.TOKEN_ENCRYPTION_KEYS_OLD.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s, i) => parseKey(s, `TOKEN_ENCRYPTION_KEYS_OLD (entry ${i + 1})`));

  const configured = env.TOKEN_ENCRYPTION_KEY?.trim();
  if (configured) return keyringFromKeys(parseKey(configured, 'TOKEN_ENCRYPTION_KEY'), old);

  if (env.NODE_ENV === 'production') {
    throw new CryptoConfigError(
      'TOKEN_ENCRYPTION_KEY is required in production (base64 of 32 random bytes: openssl rand -base64 32)',
    );
  }
  const file = path.resolve(env.DATA_DIR, DEV_KEY_FILE);
  const { key, generated } = readOrCreateDevKey(file);
  options.logger?.warn(
    { file, generated },
    'TOKEN_ENCRYPTION_KEY is not set: using a development key from DATA_DIR (never do this in production)',
  );
  return keyringFromKeys(key, old);
}

function readOrCreateDevKey(file: string): { key: Buffer; generated: boolean } {
  try {
    return { key: parseKey(readFileSync(file, 'utf8'), file), generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written aside, then linked into place: link fails if another process got there first, so two
  // dev processes starting together agree on one key and nobody reads a half-written file.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, file);
    return { key: parseKey(readFileSync(file, 'utf8'), file), generated: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: parseKey(readFileSync(file, 'utf8'), file), generated: false };
  } finally {
    unlinkSync(temp);
  }
}

import { randomBytes } from 'node:crypto';
import { keyringFromKeys, type Keyring } from '@/lib/crypto';

export interface TestKey {
  raw: Buffer;
  base64: string;
}

export function newKey(): TestKey {
  const raw = randomBytes(32);
  return { raw, base64: raw.toString('base64') };
}

export function ring(current: TestKey, ...old: TestKey[]): Keyring {
  return keyringFromKeys(current.raw, old.map((k) => k.raw));
}

import { randomBytes } from 'node:crypto';
import { keyIdOf, keyringFromKeys, type Keyring } from '@/lib/crypto';

export interface TestKey {
  raw: Buffer;
  base64: string;
  id: string;
}

export function newKey(): TestKey {
  const raw = randomBytes(32);
  return { raw, base64: raw.toString('base64'), id: keyIdOf(raw) };
}

export function ring(current: TestKey, ...old: TestKey[]): Keyring {
  return keyringFromKeys(current.raw, old.map((k) => k.raw));
}

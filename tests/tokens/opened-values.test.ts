// The Redis hit path does not decrypt the same Redis value twice, and that never lets a changed,
// tampered or moved value through: only bytes identical to ones opened under the same key are
// reused.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cacheAad, type SecretBox } from '@/lib/crypto';
import { createTokenFixture, type TokenFixture } from '../support/tokens';

let f: TokenFixture;
beforeAll(async () => {
  f = await createTokenFixture();
});
afterAll(async () => {
  await f?.close();
});

function countingSecrets(): SecretBox & { opens: () => number } {
  let opens = 0;
  return {
    seal: (p, aad) => f.secrets.seal(p, aad),
    open: (s, aad) => {
      opens += 1;
      return f.secrets.open(s, aad);
    },
    isCurrent: (s) => f.secrets.isCurrent(s),
    opens: () => opens,
  };
}

it('reuses an opened value only while Redis returns the very same bytes under the same key', async () => {
  const x = await f.seedCredential();
  const y = await f.seedCredential();
  const secrets = countingSecrets();
  const tokens = f.service({ secrets, l1: false });
  const tx = await tokens.ensureFreshToken(x.credentialId, 'imap');
  const ty = await tokens.ensureFreshToken(y.credentialId, 'imap');
  const keyX = `at:${x.credentialId}:imap`;
  const keyY = `at:${y.credentialId}:imap`;

  // Same bytes: not opened again.
  let opens = secrets.opens();
  expect(await tokens.ensureFreshToken(x.credentialId, 'imap')).toEqual(tx);
  expect(secrets.opens()).toBe(opens);

  // The same token sealed again (new IV): different bytes, opened.
  await f.cache.set(keyX, f.secrets.seal(JSON.stringify(tx), cacheAad(keyX)), 60_000);
  opens = secrets.opens();
  expect(await tokens.ensureFreshToken(x.credentialId, 'imap')).toEqual(tx);
  expect(secrets.opens()).toBe(opens + 1);

  // Tampered bytes: opened, refused, answered from the database.
  const sealed = (await f.cache.get(keyX))!;
  const tampered = sealed.slice(0, 40) + (sealed[40] === 'A' ? 'B' : 'A') + sealed.slice(41);
  await f.cache.set(keyX, tampered, 60_000);
  expect(await tokens.ensureFreshToken(x.credentialId, 'imap')).toEqual(tx);

  // X's value moved under Y's key: never served as Y's token.
  await f.cache.set(keyY, (await f.cache.get(keyX))!, 60_000);
  await f.cache.set(keyX, f.secrets.seal(JSON.stringify(tx), cacheAad(keyX)), 60_000);
  await tokens.ensureFreshToken(x.credentialId, 'imap');
  await f.cache.set(keyY, (await f.cache.get(keyX))!, 60_000);
  expect(await tokens.ensureFreshToken(y.credentialId, 'imap')).toEqual(ty);
});

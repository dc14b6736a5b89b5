// Key rotation on a real PostgreSQL database: rows sealed under an old key are re-sealed under
// the current one, a row changed between read and write keeps its newer value, and an unreadable
// row is reported and left alone.
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  accessTokenAad,
  open,
  passwordAad,
  smtpPasswordAad,
  refreshTokenAad,
  resealAll,
  seal,
  sealedKeyId,
  type Keyring,
  type ResealDb,
} from '@/lib/crypto';
import type { PrismaClient } from '@/lib/db';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { newKey, ring } from './helpers';

const oldKey = newKey();
const currentKey = newKey();
const oldRing = ring(oldKey);
const rotating = ring(currentKey, oldKey);
const currentOnly = ring(currentKey);

const refresh = (id: string) => `refresh-token-of-${id}-0123456789`;
const password = (id: string) => `imap-password-of-${id}-0123456789`;
const smtpPassword = (id: string) => `smtp-password-of-${id}-0123456789`;
const access = (id: string, resource: string) => `access-token-of-${id}-${resource}-0123456789`;

const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const d of databases.splice(0)) await d.close();
});

async function database(): Promise<PrismaClient> {
  const d = await createTestDatabase({ poolSize: 3 });
  databases.push(d);
  return d.db;
}

/**
 * cred-a: refresh token and two access tokens under the old key; cred-b: refresh token under the
 * old key, one access token already current; cred-c: a password mailbox under the old key;
 * cred-d: already current; cred-e: disconnected (no secrets).
 */
async function seed(db: PrismaClient): Promise<void> {
  const user = await db.user.create({ data: { email: 'owner@example.com' } });
  const credential = (id: string, keyring: Keyring, kind: 'oauth2' | 'password' | 'none') =>
    db.mailCredential.create({
      data: {
        id,
        userId: user.id,
        email: `${id}@example.com`,
        authType: kind === 'password' ? 'password' : 'oauth2',
        refreshTokenSealed: kind === 'oauth2' ? seal(keyring, refresh(id), refreshTokenAad(id)) : null,
        passwordSealed: kind === 'password' ? seal(keyring, password(id), passwordAad(id)) : null,
        smtpPasswordSealed: kind === 'password' ? seal(keyring, smtpPassword(id), smtpPasswordAad(id)) : null,
      },
    });
  await credential('cred-a', oldRing, 'oauth2');
  await credential('cred-b', oldRing, 'oauth2');
  await credential('cred-c', oldRing, 'password');
  await credential('cred-d', currentOnly, 'oauth2');
  await credential('cred-e', oldRing, 'none');
  const accessToken = (credentialId: string, resource: string, keyring: Keyring) =>
    db.accessToken.create({
      data: {
        credentialId,
        resource,
        tokenSealed: seal(keyring, access(credentialId, resource), accessTokenAad(credentialId, resource)),
        expiresAt: new Date(Date.now() + 3_600_000),
        tokenVersion: 0,
      },
    });
  await accessToken('cred-a', 'graph', oldRing);
  await accessToken('cred-a', 'imap', oldRing);
  await accessToken('cred-b', 'imap', currentOnly);
}

/** Every stored secret opens with the current key alone, i.e. the old key can be dropped. */
async function expectAllCurrent(db: PrismaClient, except: string[] = []): Promise<void> {
  for (const c of await db.mailCredential.findMany()) {
    if (except.includes(c.id)) continue;
    if (c.refreshTokenSealed !== null) {
      expect(sealedKeyId(c.refreshTokenSealed)).toBe(currentKey.id);
      expect(open(currentOnly, c.refreshTokenSealed, refreshTokenAad(c.id))).toBe(refresh(c.id));
    }
    if (c.passwordSealed !== null) {
      expect(sealedKeyId(c.passwordSealed)).toBe(currentKey.id);
      expect(open(currentOnly, c.passwordSealed, passwordAad(c.id))).toBe(password(c.id));
    }
    if (c.smtpPasswordSealed !== null) {
      expect(sealedKeyId(c.smtpPasswordSealed)).toBe(currentKey.id);
      expect(open(currentOnly, c.smtpPasswordSealed, smtpPasswordAad(c.id))).toBe(smtpPassword(c.id));
    }
  }
  for (const t of await db.accessToken.findMany()) {
    expect(sealedKeyId(t.tokenSealed)).toBe(currentKey.id);
    expect(open(currentOnly, t.tokenSealed, accessTokenAad(t.credentialId, t.resource))).toBe(
      access(t.credentialId, t.resource),
    );
  }
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
  return { logger, text: () => lines.join('') };
}

describe('resealAll', () => {
  it('re-seals every secret under the current key, in batches, and is idempotent', async () => {
    const db = await database();
    await seed(db);
    const { logger, text } = capture();

    const summary = await resealAll({ db, keyring: rotating, batchSize: 2, logger });

    expect(summary.keyId).toBe(currentKey.id);
    expect(summary.columns['MailCredential.refreshTokenSealed']).toEqual({
      scanned: 3,
      resealed: 2,
      alreadyCurrent: 1,
      changedConcurrently: 0,
      failed: 0,
    });
    expect(summary.columns['MailCredential.passwordSealed']).toMatchObject({ scanned: 1, resealed: 1 });
    expect(summary.columns['MailCredential.smtpPasswordSealed']).toMatchObject({ scanned: 1, resealed: 1 });
    expect(summary.columns['AccessToken.tokenSealed']).toMatchObject({ scanned: 3, resealed: 2, alreadyCurrent: 1 });
    expect(summary.total).toMatchObject({ scanned: 8, resealed: 6, alreadyCurrent: 2, failed: 0 });
    await expectAllCurrent(db);

    const again = await resealAll({ db, keyring: rotating, batchSize: 2 });
    expect(again.total).toMatchObject({ scanned: 8, resealed: 0, alreadyCurrent: 8 });
    expect(text()).not.toMatch(/refresh-token-of|imap-password-of|smtp-password-of|access-token-of/);
  });

  it('never overwrites a value that changed between its read and its write', async () => {
    const db = await database();
    await seed(db);
    const newerRefresh = seal(currentOnly, 'rotated-refresh-token-written-by-a-refresh', refreshTokenAad('cred-a'));
    const newerAccess = seal(currentOnly, 'access-token-written-by-a-refresh', accessTokenAad('cred-a', 'imap'));

    // A refresh lands for cred-a right after the rotation read its row, before it writes.
    const racing: ResealDb = {
      mailCredential: new Proxy(db.mailCredential, {
        get(target, prop, receiver) {
          if (prop !== 'updateMany') return Reflect.get(target, prop, receiver);
          return async (args: Parameters<typeof db.mailCredential.updateMany>[0]) => {
            if (args.where?.id === 'cred-a' && args.data.refreshTokenSealed !== undefined) {
              await db.mailCredential.update({ where: { id: 'cred-a' }, data: { refreshTokenSealed: newerRefresh } });
            }
            return target.updateMany(args);
          };
        },
      }),
      accessToken: new Proxy(db.accessToken, {
        get(target, prop, receiver) {
          if (prop !== 'updateMany') return Reflect.get(target, prop, receiver);
          return async (args: Parameters<typeof db.accessToken.updateMany>[0]) => {
            if (args.where?.credentialId === 'cred-a' && args.where.resource === 'imap') {
              await db.accessToken.update({
                where: { credentialId_resource: { credentialId: 'cred-a', resource: 'imap' } },
                data: { tokenSealed: newerAccess },
              });
            }
            return target.updateMany(args);
          };
        },
      }),
    };

    const summary = await resealAll({ db: racing, keyring: rotating, batchSize: 2 });

    expect(summary.columns['MailCredential.refreshTokenSealed']).toMatchObject({ resealed: 1, changedConcurrently: 1 });
    expect(summary.columns['AccessToken.tokenSealed']).toMatchObject({ resealed: 1, changedConcurrently: 1 });
    const a = await db.mailCredential.findUniqueOrThrow({ where: { id: 'cred-a' } });
    expect(a.refreshTokenSealed).toBe(newerRefresh);
    const t = await db.accessToken.findUniqueOrThrow({
      where: { credentialId_resource: { credentialId: 'cred-a', resource: 'imap' } },
    });
    expect(t.tokenSealed).toBe(newerAccess);
    const b = await db.mailCredential.findUniqueOrThrow({ where: { id: 'cred-b' } });
    expect(open(currentOnly, b.refreshTokenSealed!, refreshTokenAad('cred-b'))).toBe(refresh('cred-b'));
  });

  it('reports a secret no configured key opens, leaves it untouched, and goes on', async () => {
    const db = await database();
    await seed(db);
    const lost = seal(ring(newKey()), 'refresh-token-under-a-lost-key', refreshTokenAad('cred-b'));
    await db.mailCredential.update({ where: { id: 'cred-b' }, data: { refreshTokenSealed: lost } });
    const { logger, text } = capture();

    const summary = await resealAll({ db, keyring: rotating, batchSize: 2, logger });

    expect(summary.columns['MailCredential.refreshTokenSealed']).toMatchObject({ resealed: 1, failed: 1 });
    expect((await db.mailCredential.findUniqueOrThrow({ where: { id: 'cred-b' } })).refreshTokenSealed).toBe(lost);
    expect(text()).toContain('cred-b');
    expect(text()).toContain('unknown_key');
    expect(text()).not.toContain(lost.split('.')[3]);
    await expectAllCurrent(db, ['cred-b']);
  });
});

describe('npm run secrets:rotate', () => {
  it('rotates a database configured through the environment and prints counts only', async () => {
    const d = await createTestDatabase({ poolSize: 2 });
    databases.push(d);
    await seed(d.db);

    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/rotate-secrets.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        DATABASE_URL: d.url,
        TOKEN_ENCRYPTION_KEY: currentKey.base64,
        TOKEN_ENCRYPTION_KEYS_OLD: oldKey.base64,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => (output += String(c)));
    child.stderr.on('data', (c) => (output += String(c)));
    const code = await new Promise((resolve) => child.once('exit', resolve));

    expect(output).toContain('old keys can be removed');
    expect(code).toBe(0);
    expect(output).toContain('MailCredential.refreshTokenSealed: 3 stored, 2 re-sealed, 1 already current');
    expect(output).not.toMatch(/refresh-token-of|imap-password-of|access-token-of/);
    expect(output).not.toContain(currentKey.base64);
    expect(output).not.toContain(oldKey.base64);
    await expectAllCurrent(d.db);
  });
});

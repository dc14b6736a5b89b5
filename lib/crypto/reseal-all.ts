// Re-seals every stored secret under the current key, while the service keeps running. Each
// value is written back with a compare-and-set on the ciphertext that was read, so a refresh that
// stored a newer token in the meantime is never overwritten with the older one.
import type { PrismaClient } from '../db';
import { accessTokenAad, passwordAad, refreshTokenAad, smtpPasswordAad } from './aad';
import { SecretDecryptError } from './errors';
import type { Keyring } from './keyring';
import { isSealedWithCurrentKey, open, seal } from './seal';

export type ResealDb = Pick<PrismaClient, 'mailCredential' | 'accessToken'>;

/** Structural, so pino loggers and plain console adapters both fit. */
export interface ResealLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface ResealOptions {
  db: ResealDb;
  keyring: Keyring;
  batchSize?: number;
  logger?: ResealLogger;
}

export interface ResealCounts {
  /** Rows holding a value in this column. */
  scanned: number;
  /** Re-sealed under the current key. */
  resealed: number;
  alreadyCurrent: number;
  /** Changed by someone else between read and write; left with the newer value. */
  changedConcurrently: number;
  /** Could not be opened (unknown key, altered, or bound elsewhere); left untouched. */
  failed: number;
}

export const SECRET_COLUMNS = [
  'MailCredential.refreshTokenSealed',
  'MailCredential.passwordSealed',
  'MailCredential.smtpPasswordSealed',
  'AccessToken.tokenSealed',
] as const;
export type SecretColumn = (typeof SECRET_COLUMNS)[number];

export interface ResealSummary {
  keyId: string;
  columns: Record<SecretColumn, ResealCounts>;
  total: ResealCounts;
}

/** One stored secret: where it lives (for logs), its ciphertext and AAD, and how to CAS it. */
interface StoredSecret {
  ref: Record<string, string>;
  sealed: string;
  aad: string;
  /** Writes `next` only while the row still holds the ciphertext that was read; true if written. */
  replace(next: string): Promise<boolean>;
}

/** Each call reads the next batch of a column, in primary-key order. */
type BatchReader = (take: number) => Promise<StoredSecret[]>;

export async function resealAll(options: ResealOptions): Promise<ResealSummary> {
  const { keyring, logger } = options;
  const batchSize = options.batchSize ?? 200;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');

  const columns = {} as Record<SecretColumn, ResealCounts>;
  for (const column of SECRET_COLUMNS) {
    const counts = emptyCounts();
    columns[column] = counts;
    const next = READERS[column](options.db);
    for (;;) {
      const batch = await next(batchSize);
      // One row at a time: a rotation shares the database with live traffic and is not urgent.
      for (const secret of batch) await resealOne(secret, column, keyring, counts, logger);
      if (batch.length > 0) logger?.info({ column, ...counts }, 'reseal progress');
      if (batch.length < batchSize) break;
    }
  }

  const total = emptyCounts();
  for (const counts of Object.values(columns)) {
    for (const k of Object.keys(total) as Array<keyof ResealCounts>) total[k] += counts[k];
  }
  logger?.info({ keyId: keyring.currentKeyId, ...total }, 'reseal finished');
  return { keyId: keyring.currentKeyId, columns, total };
}

async function resealOne(
  secret: StoredSecret,
  column: SecretColumn,
  keyring: Keyring,
  counts: ResealCounts,
  logger: ResealLogger | undefined,
): Promise<void> {
  counts.scanned++;
  if (isSealedWithCurrentKey(keyring, secret.sealed)) {
    counts.alreadyCurrent++;
    return;
  }
  let plaintext: string;
  try {
    plaintext = open(keyring, secret.sealed, secret.aad);
  } catch (error) {
    if (!(error instanceof SecretDecryptError)) throw error;
    counts.failed++;
    logger?.error({ column, ...secret.ref, reason: error.reason, keyId: error.keyId }, 'stored secret cannot be opened');
    return;
  }
  if (await secret.replace(seal(keyring, plaintext, secret.aad))) counts.resealed++;
  else counts.changedConcurrently++;
}

const READERS: Record<SecretColumn, (db: ResealDb) => BatchReader> = {
  'MailCredential.refreshTokenSealed': (db) => {
    let after: string | undefined;
    return async (take) => {
      const rows = await db.mailCredential.findMany({
        where: { refreshTokenSealed: { not: null }, ...(after === undefined ? {} : { id: { gt: after } }) },
        orderBy: { id: 'asc' },
        take,
        select: { id: true, refreshTokenSealed: true },
      });
      after = rows.at(-1)?.id ?? after;
      return rows.flatMap(({ id, refreshTokenSealed: sealed }) =>
        sealed === null
          ? []
          : [
              {
                ref: { id },
                sealed,
                aad: refreshTokenAad(id),
                replace: async (next: string) =>
                  (
                    await db.mailCredential.updateMany({
                      where: { id, refreshTokenSealed: sealed },
                      data: { refreshTokenSealed: next },
                    })
                  ).count === 1,
              },
            ],
      );
    };
  },

  'MailCredential.passwordSealed': (db) => {
    let after: string | undefined;
    return async (take) => {
      const rows = await db.mailCredential.findMany({
        where: { passwordSealed: { not: null }, ...(after === undefined ? {} : { id: { gt: after } }) },
        orderBy: { id: 'asc' },
        take,
        select: { id: true, passwordSealed: true },
      });
      after = rows.at(-1)?.id ?? after;
      return rows.flatMap(({ id, passwordSealed: sealed }) =>
        sealed === null
          ? []
          : [
              {
                ref: { id },
                sealed,
                aad: passwordAad(id),
                replace: async (next: string) =>
                  (await db.mailCredential.updateMany({ where: { id, passwordSealed: sealed }, data: { passwordSealed: next } }))
                    .count === 1,
              },
            ],
      );
    };
  },

  'MailCredential.smtpPasswordSealed': (db) => {
    let after: string | undefined;
    return async (take) => {
      const rows = await db.mailCredential.findMany({
        where: { smtpPasswordSealed: { not: null }, ...(after === undefined ? {} : { id: { gt: after } }) },
        orderBy: { id: 'asc' },
        take,
        select: { id: true, smtpPasswordSealed: true },
      });
      after = rows.at(-1)?.id ?? after;
      return rows.flatMap(({ id, smtpPasswordSealed: sealed }) =>
        sealed === null
          ? []
          : [
              {
                ref: { id },
                sealed,
                aad: smtpPasswordAad(id),
                replace: async (next: string) =>
                  (await db.mailCredential.updateMany({ where: { id, smtpPasswordSealed: sealed }, data: { smtpPasswordSealed: next } }))
                    .count === 1,
              },
            ],
      );
    };
  },

  'AccessToken.tokenSealed': (db) => {
    let after: { credentialId: string; resource: string } | undefined;
    return async (take) => {
      const rows = await db.accessToken.findMany({
        where:
          after === undefined
            ? {}
            : {
                OR: [
                  { credentialId: { gt: after.credentialId } },
                  { credentialId: after.credentialId, resource: { gt: after.resource } },
                ],
              },
        orderBy: [{ credentialId: 'asc' }, { resource: 'asc' }],
        take,
        select: { credentialId: true, resource: true, tokenSealed: true },
      });
      after = rows.at(-1) ?? after;
      return rows.map(({ credentialId, resource, tokenSealed: sealed }) => ({
        ref: { credentialId, resource },
        sealed,
        aad: accessTokenAad(credentialId, resource),
        replace: async (next: string) =>
          (await db.accessToken.updateMany({ where: { credentialId, resource, tokenSealed: sealed }, data: { tokenSealed: next } }))
            .count === 1,
      }));
    };
  },
};

function emptyCounts(): ResealCounts {
  return { scanned: 0, resealed: 0, alreadyCurrent: 0, changedConcurrently: 0, failed: 0 };
}

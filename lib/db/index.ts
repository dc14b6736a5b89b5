// The database's public surface: import from '@/lib/db', never from ./generated directly.
export { createDb, getDb, getDbHandle, closeDb, type Db, type DbKind, type CreateDbOptions } from './client';
export { isUniqueViolation } from './errors';
export { migrate, MigrationError, type MigrateResult, type MigrationTarget } from './migrate';

export type { PrismaClient } from './generated/client';
export { Prisma, AuthType, CredentialStatus, SyncStatus, WebhookEventStatus } from './generated/client';
export type {
  User,
  Account,
  Session,
  VerificationToken,
  MailCredential,
  AccessToken,
  KnowledgeBase,
  OneDriveLink,
  KnowledgeFile,
  WebhookEvent,
} from './generated/client';

import type { Prisma } from './generated/client';
/** What an interactive transaction callback receives: pass it where a client is expected. */
export type DbTransaction = Prisma.TransactionClient;

// How many credentials are due, counted once at the start of a run to choose its concurrency.
// Capped: past the cap the run is at its concurrency bound anyway, and counting stays cheap.
import type { PrismaClient } from '../db';
import { dueCredential, type DueCriteria } from './claim-due-credentials';

export async function countDueCredentials(options: DueCriteria & { db: PrismaClient; cap: number }): Promise<number> {
  const rows = await options.db.$queryRaw<{ due: number }[]>`
    SELECT count(*)::int AS due FROM (
      SELECT 1 FROM "MailCredential" AS m WHERE ${dueCredential(options)} LIMIT ${options.cap}
    ) AS due`;
  return rows[0]?.due ?? 0;
}

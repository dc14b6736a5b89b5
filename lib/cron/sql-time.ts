// Instants in raw SQL. Prisma stores DateTime as UTC wall time in `timestamp(3)` columns; binding
// epoch milliseconds and converting in SQL keeps raw queries independent of how a driver binds a
// JS Date and of the session's time zone (PostgreSQL and PGlite alike).
import { Prisma } from '../db';

export function sqlInstant(ms: number): Prisma.Sql {
  return Prisma.sql`(to_timestamp(${ms}::float8 / 1000) AT TIME ZONE 'UTC')`;
}

/** Epoch milliseconds of a `timestamp(3)` column, as a plain number. */
export function sqlEpochMs(column: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`;
}

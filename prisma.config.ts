// Prisma CLI configuration. Deliberately does not require DATABASE_URL, so `prisma generate`
// works on a machine without a database. Migrations are applied by lib/db/migrate.ts.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  ...(process.env.DATABASE_URL ? { datasource: { url: process.env.DATABASE_URL } } : {}),
});

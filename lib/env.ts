// Configuration, validated once with zod. The only module that reads process.env.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const optionalUrl = z.preprocess(emptyToUndefined, z.url().optional());

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().positive().default(3000),
  DATABASE_URL: optionalUrl,
  /** Where the embedded PGlite database and generated development secrets live. */
  DATA_DIR: z.string().default('.data'),
  REDIS_URL: optionalUrl,
  REDIS_KEY_PREFIX: z.string().default('mb:'),
  TOKEN_ENCRYPTION_KEY: optionalString,
  TOKEN_ENCRYPTION_KEYS_OLD: z.string().default(''),
  AUTH_SECRET: optionalString,
  NEXTAUTH_SECRET: optionalString,
  NEXTAUTH_URL: optionalUrl,
  AUTH_URL: optionalUrl,
  APP_URL: optionalUrl,
  MICROSOFT_CLIENT_ID: optionalString,
  MICROSOFT_CLIENT_SECRET: optionalString,
  MICROSOFT_TENANT: z.string().min(1).default('common'),
  MICROSOFT_AUTHORITY_HOST: z.url().default('https://login.microsoftonline.com'),
  MICROSOFT_GRAPH_URL: z.url().default('https://graph.microsoft.com/v1.0'),
  IMAP_HOST: z.string().min(1).default('outlook.office365.com'),
  IMAP_PORT: z.coerce.number().int().min(1).max(65535).default(993),
  IMAP_SECURE: bool.default(true),
  /** Password mailboxes may name loopback/private hosts (local servers); off in production. */
  IMAP_ALLOW_PRIVATE_HOSTS: bool.default(false),
  TOKEN_REFRESH_SKEW_SECONDS: z.coerce.number().int().min(0).default(300),
  CRON_SECRET: optionalString,
  /** Cron: warm cached access tokens that expire within this many seconds. */
  CRON_WARM_WINDOW_SECONDS: z.coerce.number().int().min(0).max(1800).default(900),
  /** Cron: exercise refresh tokens unused this many days (Microsoft's cliff is 90). */
  /** Cron: warm tokens only for mailboxes a person used within this many hours. */
  CRON_WARM_ACTIVE_HOURS: z.coerce.number().min(0).max(720).default(4),
  CRON_IDLE_DAYS: z.coerce.number().int().min(1).max(89).default(30),
  /** Cron: report credentials whose refresh token has gone unused this many days. */
  CRON_NEAR_EXPIRY_DAYS: z.coerce.number().int().min(1).max(90).default(80),
  /** Cron: refreshes in flight, fixed. Unset: chosen per run from the backlog, the budget and the observed time per refresh. */
  CRON_CONCURRENCY: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(200).optional()),
  /** Cron: the most refreshes in flight when the concurrency is chosen (bounds the load on Microsoft and the database). */
  CRON_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(64),
  /** Cron: stop starting work after this long (further capped by the route's maxDuration). */
  CRON_BUDGET_SECONDS: z.coerce.number().int().min(1).default(40),
  /** Development sandbox: no Microsoft settings → the project's emulator stands in. */
  SANDBOX: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Append logs to this file instead of stdout (the test suite scans it for leaked secrets). */
  LOG_FILE: optionalString,
});

export type Env = z.infer<typeof schema>;

// The sandbox trusts the local emulator's sign-ins; it has no place in production.
const checked = schema.superRefine((env, ctx) => {
  if (env.SANDBOX && env.NODE_ENV === 'production') {
    ctx.addIssue({ code: 'custom', path: ['SANDBOX'], message: 'SANDBOX must not be enabled in production' });
  }
});

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = checked.safeParse(source);
  if (!result.success) {
    // Name the variables, never echo their values (some are secrets).
    const names = result.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`Invalid configuration: ${names}`);
  }
  return result.data;
}

let cached: Env | undefined;

export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** The public base URL: redirect URIs and cookies are built from it, never from the request. */
export function publicBaseUrl(env: Env = getEnv()): string {
  const url = env.NEXTAUTH_URL ?? env.AUTH_URL ?? env.APP_URL ?? `http://localhost:${env.PORT}`;
  return url.replace(/\/+$/, '');
}

// Configuration, validated once with zod. The only module that reads process.env.
import { z } from 'zod';
import { CLIENT_ASSERTION_ALGORITHMS, ClientCredentialConfigError, loadCertificateCredential, resolvePem } from './microsoft/client-credentials';

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
  /** Rotation overlap: the next client secret, used when Microsoft refuses the current one. */
  MICROSOFT_CLIENT_SECRET_NEXT: optionalString,
  /** Certificate credential: the PEM certificate uploaded to the app registration (inline or a file path). */
  MICROSOFT_CLIENT_CERTIFICATE: optionalString,
  /** Its PEM private key (inline or a file path). */
  MICROSOFT_CLIENT_CERTIFICATE_KEY: optionalString,
  MICROSOFT_CLIENT_CERTIFICATE_KEY_PASSPHRASE: optionalString,
  /** Signature algorithm of the client assertion. */
  MICROSOFT_CLIENT_ASSERTION_ALG: z.enum(CLIENT_ASSERTION_ALGORITHMS).default('PS256'),
  MICROSOFT_TENANT: z.string().min(1).default('common'),
  MICROSOFT_AUTHORITY_HOST: z.url().default('https://login.microsoftonline.com'),
  MICROSOFT_GRAPH_URL: z.url().default('https://graph.microsoft.com/v1.0'),
  IMAP_HOST: z.string().min(1).default('outlook.office365.com'),
  IMAP_PORT: z.coerce.number().int().min(1).max(65535).default(993),
  IMAP_SECURE: bool.default(true),
  /** Password mailboxes may name loopback/private hosts (local servers); off in production. */
  IMAP_ALLOW_PRIVATE_HOSTS: bool.default(false),
  /** SMTP submission for Microsoft mailboxes (SPEC §2): STARTTLS required unless SMTP_SECURE. */
  SMTP_HOST: z.string().min(1).default('smtp.office365.com'),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  SMTP_SECURE: bool.default(false),
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
  /** Operator events (lib/webhooks) are POSTed here, signed with WEBHOOK_SECRET; unset: none are written. */
  WEBHOOK_URL: optionalUrl,
  /** HMAC-SHA256 key of the Mailbridge-Signature header (at least 16 characters). */
  WEBHOOK_SECRET: z.preprocess(emptyToUndefined, z.string().min(16).optional()),
  /** Delivery attempts of one event before it is marked dead (kept for operators). */
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(12),
  /** Each delivery attempt is abandoned after this long. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /**
   * How an open inbox page learns of new mail: `sse` (server-sent events fed by IMAP IDLE; needs
   * a server that holds connections), `poll` (the page reloads its list every
   * MAIL_LIVE_POLL_SECONDS; serverless platforms), `off`. Default: `poll` on Vercel, else `sse`.
   */
  MAIL_LIVE_UPDATES: z.preprocess(emptyToUndefined, z.enum(['sse', 'poll', 'off']).optional()),
  MAIL_LIVE_POLL_SECONDS: z.coerce.number().int().min(5).max(3600).default(30),
  /** Set by Vercel on its functions ("1"). */
  VERCEL: optionalString,
  /** Development sandbox: no Microsoft settings → the project's emulator stands in. */
  SANDBOX: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Append logs to this file instead of stdout (the test suite scans it for leaked secrets). */
  LOG_FILE: optionalString,
  /** OpenTelemetry: metrics and traces go over OTLP/HTTP here (e.g. http://collector:4318); unset, none is loaded. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  /** The standard switch that turns the SDK off even with an endpoint set. */
  OTEL_SDK_DISABLED: bool.default(false),
  OTEL_SERVICE_NAME: z.string().min(1).default('mailbridge'),
  /** Milliseconds between metric exports (the SDK's standard variable). */
  OTEL_METRIC_EXPORT_INTERVAL: z.coerce.number().int().min(100).default(60_000),
});

export type Env = z.infer<typeof schema>;

// The sandbox trusts the local emulator's sign-ins; it has no place in production.
const checked = schema.superRefine((env, ctx) => {
  if (env.SANDBOX && env.NODE_ENV === 'production') {
    ctx.addIssue({ code: 'custom', path: ['SANDBOX'], message: 'SANDBOX must not be enabled in production' });
  }
  // Unsigned events would be forgeable, and a secret without a URL is a typo: both or neither.
  if ((env.WEBHOOK_URL === undefined) !== (env.WEBHOOK_SECRET === undefined)) {
    ctx.addIssue({ code: 'custom', path: [env.WEBHOOK_URL === undefined ? 'WEBHOOK_URL' : 'WEBHOOK_SECRET'], message: 'WEBHOOK_URL and WEBHOOK_SECRET go together' });
  }
  const cert = env.MICROSOFT_CLIENT_CERTIFICATE;
  const key = env.MICROSOFT_CLIENT_CERTIFICATE_KEY;
  if (cert && !key) {
    ctx.addIssue({ code: 'custom', path: ['MICROSOFT_CLIENT_CERTIFICATE_KEY'], message: 'MICROSOFT_CLIENT_CERTIFICATE_KEY is required with MICROSOFT_CLIENT_CERTIFICATE' });
  } else if (key && !cert) {
    ctx.addIssue({ code: 'custom', path: ['MICROSOFT_CLIENT_CERTIFICATE'], message: 'MICROSOFT_CLIENT_CERTIFICATE is required with MICROSOFT_CLIENT_CERTIFICATE_KEY' });
  } else if (cert && key) {
    try {
      loadCertificateCredential({
        certificatePem: resolvePem(cert, 'MICROSOFT_CLIENT_CERTIFICATE'),
        privateKeyPem: resolvePem(key, 'MICROSOFT_CLIENT_CERTIFICATE_KEY'),
        ...(env.MICROSOFT_CLIENT_CERTIFICATE_KEY_PASSPHRASE ? { passphrase: env.MICROSOFT_CLIENT_CERTIFICATE_KEY_PASSPHRASE } : {}),
      });
    } catch (error) {
      if (!(error instanceof ClientCredentialConfigError)) throw error;
      ctx.addIssue({ code: 'custom', path: [error.variable], message: error.message });
    }
  }
  if (env.MICROSOFT_CLIENT_SECRET_NEXT && env.MICROSOFT_CLIENT_SECRET_NEXT === env.MICROSOFT_CLIENT_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['MICROSOFT_CLIENT_SECRET_NEXT'], message: 'MICROSOFT_CLIENT_SECRET_NEXT is the same as MICROSOFT_CLIENT_SECRET' });
  }
});

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = checked.safeParse(source);
  if (!result.success) {
    // Name the variables, never echo their values (some are secrets). Only our own checks' messages
    // are shown: they are fixed texts that name variables.
    const names = result.error.issues.map((i) => (i.code === 'custom' ? `${i.path.join('.')} (${i.message})` : i.path.join('.'))).join(', ');
    throw new Error(`Invalid configuration: ${names}`);
  }
  return result.data;
}

let cached: Env | undefined;

export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

export type LiveUpdatesMode = 'sse' | 'poll' | 'off';

/** Serverless functions cannot hold an event stream open: there the page polls. */
export function liveUpdatesMode(env: Env = getEnv()): LiveUpdatesMode {
  return env.MAIL_LIVE_UPDATES ?? (env.VERCEL ? 'poll' : 'sse');
}

/** The public base URL: redirect URIs and cookies are built from it, never from the request. */
export function publicBaseUrl(env: Env = getEnv()): string {
  const url = env.NEXTAUTH_URL ?? env.AUTH_URL ?? env.APP_URL ?? `http://localhost:${env.PORT}`;
  return url.replace(/\/+$/, '');
}

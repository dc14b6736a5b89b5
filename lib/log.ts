// Structured logs for operators. Secrets are redacted by key wherever they appear, and code
// never passes token values to the logger in the first place.
import pino, { type Logger } from 'pino';
import { getEnv } from './env';

const SECRET_KEYS = [
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'id_token',
  'idToken',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'client_assertion',
  'clientAssertion',
  'privateKey',
  'passphrase',
  'authorization',
  'Authorization',
  // Not `code`: error codes (AADSTS…) are what operators read; authorization codes are never
  // logged under any key.
  'code_verifier',
  'cookie',
];

const redactPaths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

const env = getEnv();

export const logger: Logger = pino(
  {
    level: env.LOG_LEVEL,
    base: { service: 'mailbridge' },
    redact: { paths: redactPaths, censor: '[redacted]' },
  },
  env.LOG_FILE ? pino.destination({ dest: env.LOG_FILE, append: true, sync: true }) : undefined,
);

export function childLogger(module: string): Logger {
  return logger.child({ module });
}

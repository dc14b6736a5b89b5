// The cron route's bearer check. Both sides are hashed to equal-length digests before the
// constant-time compare, so neither the secret's length nor its prefix leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors';

export interface CronAuthConfig {
  secret: string | undefined;
  nodeEnv: 'development' | 'production' | 'test';
}

export function authorizeCron(request: Request, config: CronAuthConfig): void {
  if (!config.secret) {
    // Open only on a developer's machine; anywhere else an unset secret must not mean "anyone".
    if (config.nodeEnv === 'development') return;
    throw new AppError('unauthenticated', 'The cron route is disabled: CRON_SECRET is not configured');
  }
  const presented = bearerToken(request.headers.get('authorization'));
  if (presented === null || !sameSecret(presented, config.secret)) {
    throw new AppError('unauthenticated', 'A valid cron secret is required');
  }
}

function bearerToken(header: string | null): string | null {
  const match = header === null ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1] ?? null;
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

// Webhooks for this process, from the environment: an outbox to write events into only when
// WEBHOOK_URL and WEBHOOK_SECRET are set (lib/env.ts insists on both or neither).
import { getEnv, type Env } from '../env';
import { createOutbox, type EventOutbox } from './outbox';

export interface WebhookConfig {
  url: string;
  secret: string;
  maxAttempts: number;
  timeoutMs: number;
}

export function webhookConfig(env: Env = getEnv()): WebhookConfig | undefined {
  if (!env.WEBHOOK_URL || !env.WEBHOOK_SECRET) return undefined;
  return { url: env.WEBHOOK_URL, secret: env.WEBHOOK_SECRET, maxAttempts: env.WEBHOOK_MAX_ATTEMPTS, timeoutMs: env.WEBHOOK_TIMEOUT_MS };
}

/** The process's outbox, or undefined when webhooks are off (then no event is written). */
export function getOutbox(env: Env = getEnv()): EventOutbox | undefined {
  return webhookConfig(env) ? createOutbox() : undefined;
}

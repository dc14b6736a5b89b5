// Operator events and their payloads. Pure: each builder returns what the outbox stores (type,
// dedupe key, data), and `webhookBody` is the exact JSON a receiver gets. Data carries ids, codes
// and counts only: never a token, a secret or an upstream message.

export const WEBHOOK_EVENT_TYPES = [
  'mailbox.needs_reauth',
  'mailbox.reconnected',
  'mailbox.near_expiry',
  'app.misconfigured',
  'onedrive.sync_failed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export type WebhookData = Record<string, string | number | boolean | null>;

/** What the outbox stores. The dedupe key is unique: a second event for one change cannot exist. */
export interface WebhookEventInput {
  type: WebhookEventType;
  dedupeKey: string;
  data: WebhookData;
}

/** A UTC calendar day, `YYYY-MM-DD`: the period of "once per day" events. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** The grant of this token version is gone: once per credential and token version. */
export function needsReauthEvent(input: { credentialId: string; email: string | null; tokenVersion: number; code: string }): WebhookEventInput {
  return {
    type: 'mailbox.needs_reauth',
    dedupeKey: `mailbox.needs_reauth:${input.credentialId}:${input.tokenVersion}`,
    data: { credentialId: input.credentialId, email: input.email, code: input.code },
  };
}

/** A mailbox that needed re-authorization (or was in error) got a new grant: once per new token version. */
export function reconnectedEvent(input: { credentialId: string; email: string; tokenVersion: number; previousStatus: string }): WebhookEventInput {
  return {
    type: 'mailbox.reconnected',
    dedupeKey: `mailbox.reconnected:${input.credentialId}:${input.tokenVersion}`,
    data: { credentialId: input.credentialId, email: input.email, previousStatus: input.previousStatus },
  };
}

/** The refresh token has gone unused past CRON_NEAR_EXPIRY_DAYS: once per credential per UTC day. */
export function nearExpiryEvent(input: { credentialId: string; email: string | null; idleDays: number; thresholdDays: number; now: number }): WebhookEventInput {
  return {
    type: 'mailbox.near_expiry',
    dedupeKey: `mailbox.near_expiry:${input.credentialId}:${utcDay(input.now)}`,
    data: { credentialId: input.credentialId, email: input.email, idleDays: input.idleDays, thresholdDays: input.thresholdDays },
  };
}

/**
 * Microsoft rejects the app's own client credential: once per code per UTC day (so an alert that
 * is never fixed is repeated daily, not per refresh).
 */
export function appMisconfiguredEvent(input: { code: string; now: number }): WebhookEventInput {
  return {
    type: 'app.misconfigured',
    dedupeKey: `app.misconfigured:${input.code}:${utcDay(input.now)}`,
    data: { code: input.code, scope: 'all' },
  };
}

/**
 * A link that was healthy failed (or needs re-authorization): once per failing run that changes
 * its state, keyed by that run's lease owner (a fresh id per run).
 */
export function syncFailedEvent(input: {
  linkId: string;
  knowledgeBaseId: string;
  credentialId: string;
  outcome: 'error' | 'needs_reauth';
  code: string;
  runId: string;
}): WebhookEventInput {
  return {
    type: 'onedrive.sync_failed',
    dedupeKey: `onedrive.sync_failed:${input.linkId}:${input.runId}`,
    data: {
      linkId: input.linkId,
      knowledgeBaseId: input.knowledgeBaseId,
      credentialId: input.credentialId,
      outcome: input.outcome,
      code: input.code,
    },
  };
}

/** The JSON body POSTed for a stored event. Built once per attempt from the row, byte-stable. */
export function webhookBody(event: { id: string; type: string; createdAt: Date; data: unknown }): string {
  return JSON.stringify({ id: event.id, type: event.type, createdAt: event.createdAt.toISOString(), data: event.data });
}

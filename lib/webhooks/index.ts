// Operator webhooks: events written to an outbox with the state change that causes them, and
// delivered signed by the cron. Receivers verify with `verifyWebhookSignature`.
export {
  WEBHOOK_EVENT_TYPES,
  needsReauthEvent,
  reconnectedEvent,
  nearExpiryEvent,
  appMisconfiguredEvent,
  syncFailedEvent,
  webhookBody,
  utcDay,
  type WebhookEventType,
  type WebhookEventInput,
  type WebhookData,
} from './events';
export { signWebhook, verifyWebhookSignature, SIGNATURE_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER, DEFAULT_TOLERANCE_SECONDS, type VerifyOptions } from './signature';
export { retryDelayMs, parseRetryAfter } from './backoff';
export { createOutbox, type EventOutbox } from './outbox';
export { deliverWebhooks, claimDueEvents, type DeliverWebhooksOptions, type DeliveryResult } from './deliver';
export { getOutbox, webhookConfig, type WebhookConfig } from './runtime';

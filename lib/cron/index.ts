// The cron's public surface: the route wrapper, the run, and its parts for tests and tools.
export { runCron, type RunCronOptions } from './run-cron';
export { runScheduledCron } from './runtime';
export { cronRoute, type CronRouteOptions } from './cron-route';
export { authorizeCron, type CronAuthConfig } from './authorize-cron';
export { cronBudget, type CronBudget } from './budget';
export { claimDueCredentials, type ClaimedCredential } from './claim-due-credentials';
export { claimDueLinks, type ClaimedLink } from './claim-due-links';
export { findNearExpiry, type NearExpiry } from './find-near-expiry';
export type { SyncLink } from './sync-due-links';
export type { CronSummary } from './types';

// The instruments, made from whichever MeterProvider is registered. The metrics API has no proxy
// provider: instruments made before the SDK registers would stay no-ops, so they are (re)made
// when the registered provider changes.
import { metrics, type Counter, type Histogram, type MeterProvider } from '@opentelemetry/api';

export const METER = 'mailbridge';

export interface Instruments {
  refreshes: Counter;
  refreshDuration: Histogram;
  tokenServed: Counter;
  cronRuns: Counter;
  cronDuration: Histogram;
  cronClaimed: Counter;
  onedriveSyncs: Counter;
}

let made: { provider: MeterProvider; instruments: Instruments } | undefined;

export function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (made?.provider === provider) return made.instruments;
  const meter = provider.getMeter(METER);
  const instruments: Instruments = {
    refreshes: meter.createCounter('mailbridge.token.refreshes', {
      description: 'Refresh-token redemptions by outcome (refreshed, needs_reauth, consent_required, transient, app, tenant, credential) and classification',
    }),
    refreshDuration: meter.createHistogram('mailbridge.token.refresh.duration', {
      description: "Time of one call to Microsoft's token endpoint, by outcome",
      unit: 'ms',
      advice: { explicitBucketBoundaries: [25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000] },
    }),
    tokenServed: meter.createCounter('mailbridge.token.cache.hits', {
      description: 'Access tokens served without asking Microsoft, by the layer that had them (memory, redis, db)',
    }),
    cronRuns: meter.createCounter('mailbridge.cron.runs', { description: 'Cron runs, by whether due work was left (more) and why a run stopped early' }),
    cronDuration: meter.createHistogram('mailbridge.cron.run.duration', {
      description: 'Duration of one cron run',
      unit: 'ms',
      advice: { explicitBucketBoundaries: [100, 500, 1000, 5000, 10000, 20000, 40000, 60000, 120000] },
    }),
    cronClaimed: meter.createCounter('mailbridge.cron.claimed', { description: 'Items the cron claimed and started, by kind of work (refresh, sync)' }),
    onedriveSyncs: meter.createCounter('mailbridge.onedrive.syncs', { description: 'OneDrive folder syncs, by outcome' }),
  };
  made = { provider, instruments };
  return instruments;
}

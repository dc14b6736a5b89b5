// Failures that are no single item's fault, reported for the operator by the scope of what they
// paused. The app's own client credential broken fails every item alike: whichever half of the
// run meets it first stops the whole run, once. The app refused in one tenant pauses that
// tenant's items only: the run carries on with every other tenant, and the tenant is reported
// once per run. A credential held back for a condition of its own is reported by credential.
import type { Logger } from 'pino';
import type { PauseScope } from '../tokens';
import type { StopSignal } from './types';

export interface StopOnAppFailureOptions {
  stop: StopSignal;
  /** The classification's code, e.g. AADSTS7000215. */
  code: string;
  log: Logger;
  /** The item that met it, for the log line: { credentialId } or { linkId }. */
  item: Record<string, string>;
}

export function stopOnAppFailure({ stop, code, log, item }: StopOnAppFailureOptions): void {
  if (stop.reason !== null) return;
  stop.reason = 'app_failure';
  stop.code = code;
  log.error(
    { alert: 'operator', scope: 'all', code, ...item },
    'cron stopped: Microsoft rejected the app registration (client id/secret); fix it and the next run resumes',
  );
}

export interface ReportPauseOptions extends StopOnAppFailureOptions {
  paused: PauseScope;
}

/** Reports (and for `all`, stops on) a failure by what it paused; once per scope per run. */
export function reportPause(options: ReportPauseOptions): void {
  const { stop, paused, code, log, item } = options;
  if (paused.scope === 'all') return stopOnAppFailure(options);
  if (paused.scope === 'tenant') stop.pausedTenants.add(paused.tenantId.toLowerCase());
  const key = paused.scope === 'tenant' ? `tenant:${paused.tenantId}` : `credential:${paused.credentialId}`;
  if (stop.reported.has(key)) return;
  stop.reported.add(key);
  if (paused.scope === 'tenant') {
    log.error(
      { alert: 'operator', scope: 'tenant', tenantId: paused.tenantId, code, ...item },
      'Microsoft refused the app in this tenant (not installed or disabled there): its mailboxes are paused, other tenants carry on',
    );
  } else {
    log.error(
      { alert: 'operator', scope: 'credential', credentialId: paused.credentialId, code, ...item },
      'a mailbox cannot be refreshed for a reason its owner signing in again does not fix: it alone is backed off',
    );
  }
}

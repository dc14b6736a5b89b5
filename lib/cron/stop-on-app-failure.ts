// An app-level failure (Microsoft rejected the app registration itself) is no item's fault and
// fails every item alike: whichever half of the run meets it first stops the whole run, once.
import type { Logger } from 'pino';
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
    { alert: 'operator', code, ...item },
    'cron stopped: Microsoft rejected the app registration (client id/secret); fix it and the next run resumes',
  );
}

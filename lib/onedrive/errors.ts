// Failures of Graph calls, structured so the sync branches on fields, never on message text.
// Messages carry no URL: delta links hold tokens and download URLs are pre-authenticated.
import { BrandedError } from '../errors';

export class GraphError extends BrandedError {
  static override readonly brand: string = 'mailbridge.GraphError';
  constructor(
    readonly status: number,
    /** Graph's error code ("itemNotFound", "accessDenied"…), or "network" / "timeout". */
    readonly code: string,
    /** Milliseconds the service asked us to wait, when it said. */
    readonly retryAfterMs?: number,
  ) {
    super(`Graph request failed: ${status === 0 ? code : `${status} ${code}`}`);
    this.name = 'GraphError';
  }

  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/**
 * OneDrive for Business and SharePoint answer delta only on the drive root: a folder's delta comes
 * back 501 notSupported ("view.delta can only be called on the root"). Recognised by status and
 * code, never by message; 400 with the same code is taken to mean the same.
 */
export function isFolderDeltaUnsupported(error: unknown): boolean {
  return error instanceof GraphError && error.code === 'notSupported' && (error.status === 501 || error.status === 400);
}

/** 410 on a delta link: start over from `location` (a fresh enumeration) and reconcile. */
export class ResyncRequiredError extends BrandedError {
  static override readonly brand: string = 'mailbridge.ResyncRequiredError';
  constructor(readonly location: string | undefined) {
    super('Graph requires a resync of the delta enumeration');
    this.name = 'ResyncRequiredError';
  }
}

/** The run's deadline arrived (or a wait would cross it): stop, keeping the checkpoint. */
export class DeadlineReachedError extends BrandedError {
  static override readonly brand: string = 'mailbridge.DeadlineReachedError';
  constructor() {
    super('Sync deadline reached');
    this.name = 'DeadlineReachedError';
  }
}

/** Another worker took the link over (our lease expired): stop without touching it. */
export class LeaseLostError extends BrandedError {
  static override readonly brand: string = 'mailbridge.LeaseLostError';
  constructor() {
    super('Sync lease lost');
    this.name = 'LeaseLostError';
  }
}

export type DownloadFailure = 'expired' | 'gone' | 'transient' | 'fatal';

export class DownloadError extends BrandedError {
  static override readonly brand: string = 'mailbridge.DownloadError';
  constructor(
    readonly failure: DownloadFailure,
    readonly status: number,
  ) {
    super(`Download failed: ${failure}${status ? ` (${status})` : ''}`);
    this.name = 'DownloadError';
  }
}

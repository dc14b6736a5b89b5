// Proactive refresh of one claimed credential through the token layer, which already does the
// single flight, the cross-process lease, compare-and-set and per-credential backoff. `strict`
// makes a failed refresh throw even while an older token is still usable, so the outcome the cron
// counts is what actually happened. `due` tells it the claim just read that a refresh is due, so
// each resource costs two statements: taking the lease (which reads) and the commit (which
// releases it).
import { AppError } from '../errors';
import { RefreshFailedError, type PauseScope, type TokenService } from '../tokens';
import type { ClaimedCredential } from './claim-due-credentials';

export type RefreshOutcome =
  | { kind: 'refreshed' }
  /** Transient or unknown: the token layer recorded backoff; the credential stays active. */
  | { kind: 'failed'; code: string }
  /** The grant is gone; the token layer marked the credential. */
  | { kind: 'needs_reauth'; code: string }
  /** The app's own client credential is broken: every credential would fail alike. */
  | { kind: 'app'; code: string }
  /** Held back with others of its tenant, or alone, for a reason that is not the owner's to fix. */
  | { kind: 'paused'; code: string; paused: Exclude<PauseScope, { scope: 'all' }> };

export interface RefreshCredentialOptions {
  tokens: TokenService;
  credential: ClaimedCredential;
  warmWindowSeconds: number;
  idleBefore: number;
}

export async function refreshCredential(options: RefreshCredentialOptions): Promise<RefreshOutcome> {
  const { tokens, credential, warmWindowSeconds, idleBefore } = options;
  try {
    for (const resource of credential.warm) {
      await tokens.ensureFreshToken(credential.id, resource, { minValiditySeconds: warmWindowSeconds, strict: true, background: true, due: true });
    }
    // A warm refresh has exercised the refresh token too; asking again would only re-read.
    if (credential.idle && credential.warm.length === 0) {
      await tokens.ensureFreshToken(credential.id, 'imap', { refreshedSince: idleBefore, strict: true, background: true, due: true });
    }
    return { kind: 'refreshed' };
  } catch (error) {
    return outcomeOf(error);
  }
}

function outcomeOf(error: unknown): RefreshOutcome {
  if (error instanceof RefreshFailedError) {
    const { kind, code } = error.classification;
    if (kind === 'reauth') return { kind: 'needs_reauth', code };
    if (error.paused?.scope === 'all') return { kind: 'app', code };
    if (error.paused) return { kind: 'paused', code, paused: error.paused };
    return { kind: 'failed', code };
  }
  if (error instanceof AppError) return { kind: 'failed', code: error.code };
  // By name only: library errors can echo protocol lines.
  return { kind: 'failed', code: error instanceof Error ? error.name : 'unknown' };
}

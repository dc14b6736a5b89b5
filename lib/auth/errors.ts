// Failures of a sign-in or connect flow. Messages are fixed strings chosen here: never a code,
// a verifier, a token or an upstream description (which can echo request parameters).
import { BrandedError } from '../errors';
export type AuthFlowFailure =
  | 'state_mismatch'
  | 'missing_code'
  | 'missing_checks'
  | 'no_id_token'
  | 'id_token_invalid'
  | 'no_refresh_token'
  | 'identity_incomplete';

export class AuthFlowError extends BrandedError {
  static override readonly brand: string = 'mailbridge.AuthFlowError';
  constructor(readonly failure: AuthFlowFailure) {
    super(`Microsoft sign-in failed: ${failure}`);
    this.name = 'AuthFlowError';
  }
}

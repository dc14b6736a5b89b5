// Failure injection for the token endpoint: a queue of rules, each consumed `times` times by the
// next matching token requests, in the order the rules were added.
import type { ResourceName } from './identity/scopes';

export interface TokenFailure {
  /** How many requests fail this way (default 1). */
  times?: number;
  /** HTTP status; a 2xx status with hangMs makes a slow success instead of a failure. */
  status: number;
  error?: string;
  aadsts?: number[];
  suberror?: string;
  retryAfterSeconds?: number;
  /** Destroy the socket without answering. */
  dropConnection?: boolean;
  /** Wait this long before answering (or dropping). */
  hangMs?: number;
  /** Only requests of this grant type match (default: any). */
  grantType?: string;
  /** Only requests for this resource match (default: any). */
  resource?: ResourceName;
  /**
   * Only requests whose grant (refresh token or code) belongs to a user of this tenant match
   * (default: any): one tenant that has not installed the app, disabled it, or lacks a resource.
   */
  tenantId?: string;
}

export class FailureQueue {
  private rules: { rule: TokenFailure; remaining: number }[] = [];

  add(rule: TokenFailure): void {
    this.rules.push({ rule, remaining: rule.times ?? 1 });
  }

  take(grantType: string, resource: ResourceName | null, tenantId: string | null = null): TokenFailure | undefined {
    const index = this.rules.findIndex(({ rule }) =>
      (rule.grantType === undefined || rule.grantType === grantType) &&
      (rule.resource === undefined || rule.resource === resource) &&
      (rule.tenantId === undefined || rule.tenantId.toLowerCase() === tenantId));
    if (index < 0) return undefined;
    const entry = this.rules[index]!;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.rules.splice(index, 1);
    return entry.rule;
  }

  clear(): void {
    this.rules = [];
  }

  get pending(): number {
    return this.rules.reduce((n, r) => n + r.remaining, 0);
  }
}

// One error type for everything a client may see. Anything else becomes a generic 500.

export const ERROR_STATUS = {
  unauthenticated: 401,
  not_found: 404,
  invalid_request: 400,
  needs_reauth: 409,
  upstream_unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Seconds, when the upstream told us how long to wait. */
  readonly retryAfter?: number;

  constructor(code: ErrorCode, message: string, options: { retryAfter?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what = 'Not found') => new AppError('not_found', what);
export const invalidRequest = (message: string) => new AppError('invalid_request', message);
export const unauthenticated = () => new AppError('unauthenticated', 'Sign in to continue');

// One error type for everything a client may see (AppError); anything else becomes a generic 500.
//
// Every error class of this code base extends BrandedError. The production build bundles a module
// once per route entry and per layer, so `lib/errors.ts` (and every module declaring an error
// class) exists in several copies, each with its own class objects. Services kept on globalThis
// are built by whichever copy touched them first, so a plain `instanceof` in another route fails
// and a 409 becomes a 500. A brand registered under Symbol.for survives the copies: `instanceof`
// on a BrandedError subclass checks the brand, not the prototype chain, and keeps working in
// whichever copy asks.

const BRANDS = Symbol.for('mailbridge.error.brands');

type BrandedClass = { readonly brand?: unknown; name: string };

export class BrandedError extends Error {
  /**
   * A name unique to the class and identical in every copy of its module. Every subclass declares
   * its own (`static readonly brand = 'mailbridge.SomethingError'`); constructing one that does
   * not throws, so a class without a brand cannot go unnoticed.
   */
  static readonly brand: string = 'mailbridge.BrandedError';

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    const brands: string[] = [];
    for (let c = new.target as unknown as BrandedClass | null; c && (c as unknown) !== Error; c = Object.getPrototypeOf(c) as BrandedClass | null) {
      if (!Object.hasOwn(c, 'brand') || typeof c.brand !== 'string') throw new TypeError(`${c.name} must declare its own static brand`);
      brands.push(c.brand);
    }
    Object.defineProperty(this, BRANDS, { value: Object.freeze(brands), enumerable: false });
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const brands = (value as { [BRANDS]?: unknown })[BRANDS];
    return Array.isArray(brands) && brands.includes((this as BrandedClass).brand);
  }
}

export const ERROR_STATUS = {
  unauthenticated: 401,
  not_found: 404,
  invalid_request: 400,
  needs_reauth: 409,
  upstream_unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface AppErrorOptions {
  /** Seconds, when the upstream told us how long to wait. */
  retryAfter?: number;
  /** Same-origin path that asks for the consent this action lacks (SPEC §4, with needs_reauth). */
  reconnectUrl?: string;
  cause?: unknown;
}

export class AppError extends BrandedError {
  static override readonly brand: string = 'mailbridge.AppError';
  readonly code: ErrorCode;
  /** Seconds, when the upstream told us how long to wait. */
  readonly retryAfter?: number;
  readonly reconnectUrl?: string;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    if (options.reconnectUrl !== undefined) this.reconnectUrl = options.reconnectUrl;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what = 'Not found') => new AppError('not_found', what);
export const invalidRequest = (message: string) => new AppError('invalid_request', message);
export const unauthenticated = () => new AppError('unauthenticated', 'Sign in to continue');

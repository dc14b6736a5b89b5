// Where a flow may send a person back to: same-site paths only. `//host` and `/\host` would leave
// the site (browsers read both as scheme-relative URLs), and whitespace or control characters are
// stripped by URL parsers in ways that can turn a path into one of those. Pure.
import { z } from 'zod';

const MAX_LENGTH = 2000;
const SAME_SITE_PATH = /^\/(?![/\\])[^\s\u0000-\u001f\u007f\\]*$/;

export function isSameSitePath(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_LENGTH && SAME_SITE_PATH.test(value);
}

/** The value when it is a same-site path, else the fallback. */
export function sameSitePathOr(value: unknown, fallback: string): string {
  return isSameSitePath(value) ? value : fallback;
}

/** For query strings and bodies: a same-site path, or a 400. */
export const sameSitePath = z.string().refine(isSameSitePath, 'must be a path on this site (starting with a single /)');

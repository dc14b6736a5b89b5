// Minimal cookie reading and writing for route handlers that set their own cookies.

export interface CookieOptions {
  path: string;
  maxAgeSeconds: number;
  secure: boolean;
  httpOnly?: boolean;
  /** Lax lets the cookie ride along on the top-level redirect back from the identity provider. */
  sameSite?: 'Lax' | 'Strict';
}

const NAME = /^[A-Za-z0-9._-]+$/;

export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  if (!NAME.test(name) || /[;,\s]/.test(value)) throw new TypeError('cookie name or value has characters cookies cannot carry');
  const parts = [`${name}=${value}`, `Path=${options.path}`, `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`];
  if (options.httpOnly !== false) parts.push('HttpOnly');
  if (options.secure) parts.push('Secure');
  parts.push(`SameSite=${options.sameSite ?? 'Lax'}`);
  return parts.join('; ');
}

export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const index = pair.indexOf('=');
    if (index < 0) continue;
    if (pair.slice(0, index).trim() === name) return pair.slice(index + 1).trim();
  }
  return undefined;
}

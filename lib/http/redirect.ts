import { publicBaseUrl } from '../env';

/** A 302 to a path of this app, absolute against the configured base URL (never the request's). */
export function redirectTo(path: string, init: { setCookie?: string[] } = {}): Response {
  return redirectToUrl(`${publicBaseUrl()}${path.startsWith('/') ? path : `/${path}`}`, init);
}

export function redirectToUrl(location: string, init: { setCookie?: string[] } = {}): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store' });
  for (const cookie of init.setCookie ?? []) headers.append('set-cookie', cookie);
  return new Response(null, { status: 302, headers });
}

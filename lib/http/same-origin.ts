// CSRF defence for state-changing requests. The session cookie is SameSite=Lax, which already
// keeps it off most cross-site POSTs; this is the second layer, in the one place every route
// passes through. A browser names where a request comes from (Origin, else Sec-Fetch-Site); a
// request that names another site is refused. Requests naming neither come from non-browser
// clients (cron, scripts), which carry no ambient cookies to abuse, and pass.

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Pure: true when a browser says this state-changing request comes from another site. */
export function isCrossSiteRequest(request: Pick<Request, 'method' | 'headers'>, appOrigin: string): boolean {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return false;
  // Browsers send Origin on every non-GET fetch and form post; `null` (sandboxed frames,
  // privacy-sensitive redirects) is not this app's origin either.
  const origin = request.headers.get('origin');
  if (origin !== null) return origin !== appOrigin;
  const site = request.headers.get('sec-fetch-site');
  if (site !== null) return site !== 'same-origin' && site !== 'none';
  return false;
}

/** The origin (scheme, host, port) of a base URL such as publicBaseUrl(). */
export function originOf(baseUrl: string): string {
  return new URL(baseUrl).origin;
}

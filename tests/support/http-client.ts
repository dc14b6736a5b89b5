// A cookie-jar HTTP client for end-to-end tests: redirects are followed by hand (so a test sees
// every hop, across the app and the emulator), cookies are kept per host and path, and
// state-changing requests carry an Origin header like a browser's.

interface StoredCookie {
  value: string;
  path: string;
  expires: number | null;
}

export interface Hop {
  url: string;
  status: number;
  location: string | null;
}

export class HttpClient {
  /** host:port → name → cookie */
  private readonly jar = new Map<string, Map<string, StoredCookie>>();
  /** Every answer from the app (headers and body), for scanning them for secrets. */
  readonly transcript: string[];

  constructor(
    readonly baseUrl: string,
    transcript: string[] = [],
  ) {
    this.transcript = transcript;
  }

  url(pathOrUrl: string): string {
    return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.baseUrl}${pathOrUrl}`;
  }

  /** One request, no redirect following; cookies sent and stored. */
  async fetch(pathOrUrl: string, init: RequestInit = {}): Promise<Response> {
    const url = new URL(this.url(pathOrUrl));
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(url);
    if (cookie) headers.set('cookie', cookie);
    // As a browser on the app's own pages does: state-changing requests name their origin (the
    // app refuses cross-site ones). A test may set its own Origin to play another site.
    const method = (init.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD' && !headers.has('origin')) headers.set('origin', url.origin);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(url, response.headers.getSetCookie());
    if (url.origin === new URL(this.baseUrl).origin) {
      this.transcript.push(`${response.status} ${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${await response.clone().text()}`);
    }
    return response;
  }

  /**
   * A GET whose body the caller streams (or abandons midway, with `signal`): cookies are sent,
   * the answer's headers go into the transcript but its body does not (it is never buffered).
   */
  async stream(pathOrUrl: string, init: { signal?: AbortSignal } = {}): Promise<Response> {
    const url = new URL(this.url(pathOrUrl));
    const headers = new Headers();
    const cookie = this.cookieHeader(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { headers, redirect: 'manual', ...(init.signal ? { signal: init.signal } : {}) });
    this.store(url, response.headers.getSetCookie());
    this.transcript.push(`${response.status} ${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}`);
    return response;
  }

  get(pathOrUrl: string, init: RequestInit = {}): Promise<Response> {
    return this.fetch(pathOrUrl, { ...init, method: 'GET' });
  }

  async getJson<T = unknown>(pathOrUrl: string): Promise<{ status: number; body: T; response: Response }> {
    const response = await this.get(pathOrUrl, { headers: { accept: 'application/json' } });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T, response };
  }

  async sendJson<T = unknown>(method: string, pathOrUrl: string, body?: unknown): Promise<{ status: number; body: T; response: Response }> {
    const response = await this.fetch(pathOrUrl, {
      method,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T, response };
  }

  /**
   * Follows redirects from `response` until one would leave for a URL matching `stop` (not
   * fetched) or a non-redirect answer arrives. Returns every hop.
   */
  async follow(response: Response, from: string, options: { stop?: (url: string) => boolean; maxHops?: number } = {}): Promise<{ hops: Hop[]; last: Response; finalUrl: string }> {
    const hops: Hop[] = [];
    let current = response;
    let currentUrl = this.url(from);
    for (let i = 0; i < (options.maxHops ?? 10); i++) {
      const location = current.headers.get('location');
      hops.push({ url: currentUrl, status: current.status, location });
      if (current.status < 300 || current.status >= 400 || !location) return { hops, last: current, finalUrl: currentUrl };
      const next = new URL(location, currentUrl).toString();
      await current.body?.cancel();
      if (options.stop?.(next)) return { hops, last: current, finalUrl: next };
      currentUrl = next;
      current = await this.get(next);
    }
    throw new Error(`too many redirects from ${from}`);
  }

  cookie(name: string, host = new URL(this.baseUrl).host): string | undefined {
    return this.jar.get(host)?.get(name)?.value;
  }

  setCookie(name: string, value: string, options: { host?: string; path?: string } = {}): void {
    const host = options.host ?? new URL(this.baseUrl).host;
    let cookies = this.jar.get(host);
    if (!cookies) this.jar.set(host, (cookies = new Map()));
    cookies.set(name, { value, path: options.path ?? '/', expires: null });
  }

  /**
   * The same browser talking to another instance of the app: its cookies for this client's host
   * go along, and answers land in the same transcript.
   */
  at(baseUrl: string): HttpClient {
    const other = new HttpClient(baseUrl, this.transcript);
    const cookies = this.jar.get(new URL(this.baseUrl).host);
    if (cookies) other.jar.set(new URL(baseUrl).host, new Map([...cookies].map(([k, v]) => [k, { ...v }])));
    return other;
  }

  /** A copy of this client's cookies (e.g. to replay a request as it was). */
  clone(): HttpClient {
    const copy = new HttpClient(this.baseUrl, this.transcript);
    for (const [host, cookies] of this.jar) copy.jar.set(host, new Map([...cookies].map(([k, v]) => [k, { ...v }])));
    return copy;
  }

  private cookieHeader(url: URL): string {
    const cookies = this.jar.get(url.host);
    if (!cookies) return '';
    const now = Date.now();
    return [...cookies]
      .filter(([, c]) => (c.expires === null || c.expires > now) && pathMatches(url.pathname, c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';');
      const index = pair?.indexOf('=') ?? -1;
      if (!pair || index < 1) continue;
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      let path = '/';
      let expires: number | null = null;
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=').map((s) => s.trim());
        if (key.toLowerCase() === 'path') path = val || '/';
        if (key.toLowerCase() === 'max-age') expires = Date.now() + Number(val) * 1000;
        if (key.toLowerCase() === 'expires' && expires === null) expires = Date.parse(val);
      }
      let cookies = this.jar.get(url.host);
      if (!cookies) this.jar.set(url.host, (cookies = new Map()));
      if (value === '' || (expires !== null && expires <= Date.now())) cookies.delete(name);
      else cookies.set(name, { value, path, expires });
    }
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (cookiePath === '/' || requestPath === cookiePath) return true;
  return requestPath.startsWith(cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`);
}

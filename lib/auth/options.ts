// next-auth options, built once per process on first use (not at import: `next build` loads
// route modules without the runtime configuration).
import type { NextAuthOptions } from 'next-auth';
import { getEnv, publicBaseUrl } from '../env';
import { childLogger } from '../log';
import { createAuthAdapter } from './adapter';
import { microsoftSettings } from './microsoft';
import { microsoftProvider } from './provider';
import { storeSignInGrant } from './store-sign-in';

const log = childLogger('auth');

let cached: NextAuthOptions | undefined;

export function getAuthOptions(): NextAuthOptions {
  cached ??= buildAuthOptions();
  return cached;
}

function buildAuthOptions(): NextAuthOptions {
  const env = getEnv();
  // next-auth v4 reads its base URL from process.env.NEXTAUTH_URL itself (callback URL, cookie
  // security). Pin it to the configured public URL so nothing is ever derived from the request
  // (Next.js may hand route code `localhost` for a request made to 127.0.0.1).
  process.env.NEXTAUTH_URL = publicBaseUrl(env);
  const settings = microsoftSettings(env);
  if (!settings) log.warn('MICROSOFT_CLIENT_ID and a client credential (MICROSOFT_CLIENT_SECRET or MICROSOFT_CLIENT_CERTIFICATE) are not set: Microsoft sign-in is unavailable');
  const secret = env.AUTH_SECRET ?? env.NEXTAUTH_SECRET;
  return {
    ...(secret ? { secret } : {}),
    adapter: createAuthAdapter(),
    providers: settings ? [microsoftProvider(settings, { linkByEmail: env.SANDBOX })] : [],
    session: { strategy: 'database' },
    pages: { signIn: '/signin', error: '/signin' },
    debug: false,
    callbacks: {
      session({ session, user }) {
        return { ...session, user: { ...session.user, id: user.id } };
      },
    },
    events: {
      async signIn({ user, account }) {
        try {
          await storeSignInGrant({ user, account });
        } catch (error) {
          log.error({ userId: user.id, errName: errorName(error), failure: failureOf(error) }, 'storing the signed-in mailbox failed');
          throw error;
        }
      },
    },
    // next-auth's own logger would print whole error objects and, at debug level, cookie values
    // and token sets: only the code and the error's name are kept.
    logger: {
      error(code, metadata) {
        const err = metadata instanceof Error ? metadata : (metadata as { error?: unknown } | undefined)?.error;
        log.warn({ code, errName: errorName(err), failure: failureOf(err) }, 'next-auth error');
      },
      warn(code) {
        log.warn({ code }, 'next-auth warning');
      },
      debug() {},
    },
  };
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** Our own flow failures (and wrapped ones) carry a safe, fixed code worth logging. */
function failureOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const failure = (e as { failure?: unknown }).failure;
    if (typeof failure === 'string') return failure;
    const classification = (e as { classification?: { code?: unknown } }).classification;
    if (typeof classification?.code === 'string') return classification.code;
    // next-auth re-wraps errors by message only; ours have fixed, secret-free messages.
    const ours = /^(?:Microsoft sign-in failed: [a-z_]+|Token request failed \([a-z]+: [A-Za-z0-9_:]+\))$/.exec(e.message);
    if (ours) return ours[0];
  }
  return undefined;
}

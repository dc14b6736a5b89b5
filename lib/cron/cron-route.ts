// The one wrapper cron route handlers go through: the bearer check, the run, the summary as JSON,
// and every error mapped to SPEC §4's shape (no stack traces, no tokens).
import { getEnv } from '../env';
import { errorResponse, json } from '../http/respond';
import { childLogger } from '../log';
import { authorizeCron, type CronAuthConfig } from './authorize-cron';

const log = childLogger('cron');

export interface CronRouteOptions {
  /** Defaults to CRON_SECRET and NODE_ENV from the environment. */
  auth?: () => CronAuthConfig;
}

export function cronRoute(run: () => Promise<unknown>, options: CronRouteOptions = {}): (request: Request) => Promise<Response> {
  const auth = options.auth ?? (() => ({ secret: getEnv().CRON_SECRET, nodeEnv: getEnv().NODE_ENV }));
  return async (request) => {
    const path = new URL(request.url).pathname;
    try {
      const config = auth();
      if (!config.secret && config.nodeEnv !== 'development') {
        log.error({ alert: 'operator', path }, 'cron route called but CRON_SECRET is not set; refusing to run');
      }
      authorizeCron(request, config);
      return json(await run());
    } catch (error) {
      return errorResponse(error, { method: request.method, path });
    }
  };
}

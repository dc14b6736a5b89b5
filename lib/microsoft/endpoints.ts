// Every Microsoft URL the service uses is derived here from configuration (SPEC §2), so
// sovereign clouds and the local emulator work by changing two variables.

export interface MicrosoftEndpoints {
  authorize: string;
  token: string;
  metadata: string;
}

export function microsoftEndpoints(options: { authorityHost: string; tenant: string }): MicrosoftEndpoints {
  const base = `${options.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(options.tenant)}`;
  return {
    authorize: `${base}/oauth2/v2.0/authorize`,
    token: `${base}/oauth2/v2.0/token`,
    metadata: `${base}/v2.0/.well-known/openid-configuration`,
  };
}

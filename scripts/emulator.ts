// Standalone Microsoft identity platform + Graph emulator for local development:
//   npm run emulator   (EMULATOR_PORT, default 4010; EMULATOR_USERS=a@x,b@y for several accounts;
//                       EMULATOR_CLIENT_ID / _CLIENT_SECRET / _TENANT_ID / _ACCESS_TOKEN_TTL_SECONDS)
// Prints the URLs and the environment to point the service at it. The client secret is never
// printed: it goes to .data/emulator.env (mode 0600), which `source` or a .env loader can read.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startMicrosoftEmulator } from '../emulator';

// Stable ids across restarts, so a configured .env keeps working.
const DEFAULT_CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e';
const DEFAULT_TENANT_ID = '72f988bf-0000-4000-8000-000000000001';

async function main(): Promise<void> {
  const port = Number(process.env.EMULATOR_PORT ?? 4010);
  const emails = (process.env.EMULATOR_USERS ?? 'demo@contoso.onmicrosoft.com').split(',').map((s) => s.trim()).filter(Boolean);
  const emulator = await startMicrosoftEmulator({
    port,
    host: process.env.EMULATOR_HOST ?? '127.0.0.1',
    clientId: process.env.EMULATOR_CLIENT_ID ?? DEFAULT_CLIENT_ID,
    clientSecret: process.env.EMULATOR_CLIENT_SECRET,
    tenantId: process.env.EMULATOR_TENANT_ID ?? DEFAULT_TENANT_ID,
    accessTokenTtlSeconds: process.env.EMULATOR_ACCESS_TOKEN_TTL_SECONDS ? Number(process.env.EMULATOR_ACCESS_TOKEN_TTL_SECONDS) : undefined,
  });
  for (const email of emails) emulator.addUser({ email });

  const publicEnv = {
    MICROSOFT_AUTHORITY_HOST: emulator.url,
    MICROSOFT_GRAPH_URL: emulator.graphUrl,
    MICROSOFT_TENANT: 'common',
    MICROSOFT_CLIENT_ID: emulator.clientId,
  };
  const envFile = path.resolve('.data', 'emulator.env');
  mkdirSync(path.dirname(envFile), { recursive: true });
  const lines = Object.entries({ ...publicEnv, MICROSOFT_CLIENT_SECRET: emulator.clientSecret }).map(([k, v]) => `${k}=${v}`);
  writeFileSync(envFile, `${lines.join('\n')}\n`, { mode: 0o600 });

  const out = [
    `Microsoft emulator listening on ${emulator.url}`,
    `  metadata       ${emulator.metadataUrl()}`,
    `  token          ${emulator.tokenUrl()}`,
    `  graph          ${emulator.graphUrl}`,
    `  introspection  ${emulator.introspectionUrl}   (Dovecot passdb oauth2, introspection_mode = post)`,
    `  users          ${emails.join(', ')}${emails.length > 1 ? '  (authorize shows an account chooser)' : ''}`,
    '',
    'Point the service at it:',
    ...Object.entries(publicEnv).map(([k, v]) => `  ${k}=${v}`),
    `  MICROSOFT_CLIENT_SECRET  (in ${envFile})`,
    '',
    `All of them: set -a; . ${envFile}; set +a`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

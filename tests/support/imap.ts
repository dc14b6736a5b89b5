// Real IMAP for tests: the project's Microsoft emulator, a fresh PostgreSQL database with the
// real token layer, and a private Dovecot that checks XOAUTH2 tokens against the emulator.
import { randomBytes } from 'node:crypto';
import { childLogger } from '@/lib/log';
import { createAccountLoader, createImapService, type ImapService, type ImapServiceDeps } from '@/lib/imap';
import type { EnsureFreshTokenOptions, TokenResource } from '@/lib/tokens';
import { startDovecot, type Dovecot } from './dovecot';
import { createTokenFixture, type TokenFixture } from './tokens';

export interface EnsureCall {
  credentialId: string;
  resource: TokenResource;
  rejected: boolean;
}

export interface ImapFixture {
  tokens: TokenFixture;
  dovecot: Dovecot;
  /** Every ensureFreshToken call the IMAP services of this fixture made. */
  ensureCalls: EnsureCall[];
  /** An IMAP service on the real token layer (counting its calls); closed by close(). */
  imap(overrides?: Partial<ImapServiceDeps>): ImapService;
  close(): Promise<void>;
}

export async function createImapFixture(): Promise<ImapFixture> {
  const tokens = await createTokenFixture({ cache: 'memory' });
  const probe = `probe.${randomBytes(3).toString('hex')}@contoso.example`;
  tokens.emulator.addUser({ email: probe });
  let dovecot: Dovecot;
  try {
    dovecot = await startDovecot({
      introspectionUrl: tokens.emulator.introspectionUrl,
      ready: { user: probe, accessToken: () => tokens.emulator.issueAccessToken({ email: probe, resource: 'imap' }) },
    });
  } catch (error) {
    await tokens.close();
    throw error;
  }
  const tokenService = tokens.service();
  const ensureCalls: EnsureCall[] = [];
  const services: ImapService[] = [];

  return {
    tokens,
    dovecot,
    ensureCalls,
    imap(overrides = {}) {
      const service = createImapService({
        loadAccount: createAccountLoader({ db: async () => tokens.database.db, secrets: tokens.secrets }),
        ensureFreshToken: (credentialId: string, resource: TokenResource, options?: EnsureFreshTokenOptions) => {
          ensureCalls.push({ credentialId, resource, rejected: options?.rejectedToken !== undefined });
          return tokenService.ensureFreshToken(credentialId, resource, options);
        },
        oauthEndpoint: { host: dovecot.host, port: dovecot.port, secure: false },
        log: childLogger('imap'),
        // Dovecot runs on loopback.
        allowPrivateHosts: true,
        ...overrides,
      });
      services.push(service);
      return service;
    },
    async close() {
      await Promise.all(services.map((s) => s.shutdown()));
      await dovecot.stop();
      await tokens.close();
    },
  };
}

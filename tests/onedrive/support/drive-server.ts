// A bare HTTP server around the DriveEmulator, so the drive surface and the sync engine can be
// tested without the identity part of the emulator: bearer tokens are plain strings mapped to a
// caller here (the full emulator resolves them from signed Graph-audience tokens).
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DriveEmulator, type GraphCaller } from '@/emulator/drive';
import { recordSecret } from '@/emulator/ledger';

export interface DriveServer {
  drive: DriveEmulator;
  baseUrl: string;
  graphUrl: string;
  /** A bearer token for `email` (default scope Files.Read.All); recorded as an issued secret. */
  issueToken(email: string, scopes?: string[]): string;
  /** Makes a token answer 401 from now on, as an expired access token does. */
  expireToken(token: string): void;
  close(): Promise<void>;
}

export async function startDriveServer(): Promise<DriveServer> {
  const tokens = new Map<string, GraphCaller>();
  let baseUrl = '';
  const drive = new DriveEmulator({ baseUrl: () => baseUrl, recordSecret });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', baseUrl);
    const auth = req.headers.authorization;
    const caller = auth?.startsWith('Bearer ') ? (tokens.get(auth.slice(7)) ?? null) : null;
    drive.handle(req, res, url, caller).then(
      (handled) => {
        if (!handled) res.writeHead(404).end();
      },
      (error: unknown) => {
        res.writeHead(500).end(String(error));
      },
    );
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    drive,
    baseUrl,
    graphUrl: `${baseUrl}/v1.0`,
    issueToken(email, scopes = ['Files.Read.All']) {
      const token = `test-${randomBytes(24).toString('base64url')}`;
      recordSecret(token);
      tokens.set(token, { email, oid: email, scopes });
      return token;
    },
    expireToken(token) {
      tokens.delete(token);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

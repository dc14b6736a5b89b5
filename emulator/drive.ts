// Placeholder until the Graph drive surface lands: handles nothing. Contract used by the
// emulator's HTTP server (emulator/server.ts): every request under /v1.0/ (except /v1.0/me) and
// under /download/ is offered to `handle`, with the caller resolved from a Graph-audience bearer
// token (null when absent or invalid).
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface GraphCaller {
  email: string;
  oid: string;
  scopes: string[];
}

export interface DriveEmulatorOptions {
  /** The emulator's base URL (http://127.0.0.1:PORT), for nextLink/deltaLink/download URLs. */
  baseUrl: () => string;
  /** Record a secret the emulator hands out (download URLs carry one), for the suite's log scan. */
  recordSecret: (secret: string) => void;
}

export class DriveEmulator {
  constructor(readonly options: DriveEmulatorOptions) {}

  /** True when the request was handled (a response was sent). */
  async handle(_req: IncomingMessage, _res: ServerResponse, _url: URL, _caller: GraphCaller | null): Promise<boolean> {
    return false;
  }
}

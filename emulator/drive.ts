// Placeholder until the Graph drive surface lands: handles nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';

export async function handleDriveRequest(_req: IncomingMessage, _res: ServerResponse, _url: URL): Promise<boolean> {
  return false;
}

// The drives an account can pick folders from (SPEC §4 GET /api/mail/accounts/{id}/onedrive/drives):
// its own OneDrive first (GET /me/drive), then the other drives Graph lists as available to it
// (GET /me/drives: document libraries of its SharePoint sites), in Graph's order, without repeats.
import { GraphError } from '../errors';
import { browseFailure, openBrowser, resolveBrowseContext, type BrowseInput } from './context';

export interface DriveView {
  id: string;
  name: string;
  /** Graph's driveType: personal, business or documentLibrary. */
  driveType: string;
}

interface GraphDrive {
  id?: unknown;
  name?: unknown;
  driveType?: unknown;
}

const SELECT = 'id,name,driveType';
/** Pages of /me/drives followed at most (Graph pages hold 200 by default). */
const MAX_PAGES = 10;

export async function listDrives(input: BrowseInput): Promise<DriveView[]> {
  const ctx = await resolveBrowseContext(input.ctx);
  const graph = await openBrowser(ctx, input);
  try {
    const own = await graph.getJson<GraphDrive>(graph.url(`/me/drive?$select=${SELECT}`)).catch((error: unknown) => {
      // A user without a OneDrive licence has no default drive; libraries may still be there.
      if (error instanceof GraphError && error.status === 404) return null;
      throw error;
    });
    const out: DriveView[] = [];
    const seen = new Set<string>();
    const add = (drive: GraphDrive | null) => {
      const view = drive ? toView(drive) : null;
      if (view && !seen.has(view.id)) {
        seen.add(view.id);
        out.push(view);
      }
    };
    add(own);
    let next: string | undefined = graph.url(`/me/drives?$select=${SELECT}`);
    for (let page = 0; next && page < MAX_PAGES; page++) {
      const body: { value?: unknown; '@odata.nextLink'?: unknown } = await graph.getJson(next);
      if (Array.isArray(body.value)) for (const drive of body.value as GraphDrive[]) add(drive);
      next = typeof body['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : undefined;
    }
    return out;
  } catch (error) {
    throw browseFailure(error);
  }
}

function toView(drive: GraphDrive): DriveView | null {
  if (typeof drive.id !== 'string' || drive.id === '') return null;
  const driveType = typeof drive.driveType === 'string' ? drive.driveType : 'business';
  const name = typeof drive.name === 'string' && drive.name !== '' ? drive.name : driveType === 'documentLibrary' ? 'Documents' : 'OneDrive';
  return { id: drive.id, name, driveType };
}

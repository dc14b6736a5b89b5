// One page of the folders under a drive item, for the picker (SPEC §4 GET
// /api/mail/accounts/{id}/onedrive/children): the folders themselves, how many files sat beside
// them on this page, and an opaque cursor for the next page (Graph's nextLink, checked when it
// comes back).
import type { GraphDriveItem } from '../types';
import { browseFailure, openBrowser, resolveBrowseContext, type BrowseInput } from './context';
import { decodeChildrenCursor, encodeChildrenCursor } from './cursor';

export interface FolderView {
  id: string;
  name: string;
  isFolder: true;
  /** Graph's folder.childCount: every child, files and folders. */
  childCount: number;
  /** From the drive's root, e.g. "/Projects/2024"; null when Graph did not say. */
  path: string | null;
}

export interface ChildrenView {
  items: FolderView[];
  /** Files among the children on this page (they are not listed: only folders can be linked). */
  fileCount: number;
  nextCursor: string | null;
}

export interface ListChildrenInput extends BrowseInput {
  driveId: string;
  /** The folder to list; the drive's root when absent. */
  itemId?: string | undefined;
  cursor?: string | undefined;
  /** Children asked of Graph per page (Graph may answer fewer). */
  pageSize?: number;
}

const SELECT = 'id,name,folder,file,parentReference';
const DEFAULT_PAGE_SIZE = 100;

export async function listChildren(input: ListChildrenInput): Promise<ChildrenView> {
  const ctx = await resolveBrowseContext(input.ctx);
  // The cursor is checked before anything is sent anywhere.
  const fromCursor =
    input.cursor === undefined ? undefined : decodeChildrenCursor({ cursor: input.cursor, graphUrl: ctx.graphUrl, driveId: input.driveId, itemId: input.itemId });
  const graph = await openBrowser(ctx, input);
  const where = input.itemId === undefined ? 'root' : `items/${encodeURIComponent(input.itemId)}`;
  const url = fromCursor ?? graph.url(`/drives/${encodeURIComponent(input.driveId)}/${where}/children?$select=${SELECT}&$top=${input.pageSize ?? DEFAULT_PAGE_SIZE}`);
  try {
    const page = await graph.childrenPage(url);
    const items: FolderView[] = [];
    let fileCount = 0;
    for (const item of page.items) {
      if (item.folder) items.push(toFolder(item));
      else if (item.file) fileCount++;
    }
    return { items, fileCount, nextCursor: page.nextLink ? encodeChildrenCursor(page.nextLink) : null };
  } catch (error) {
    throw browseFailure(error);
  }
}

function toFolder(item: GraphDriveItem): FolderView {
  const name = item.name ?? '';
  return { id: item.id, name, isFolder: true, childCount: item.folder?.childCount ?? 0, path: pathOf(item.parentReference?.path, name) };
}

/** "/drive/root:/A/B" (or "/drives/{id}/root:/A/B") and "C" → "/A/B/C". */
export function pathOf(parentPath: string | undefined, name: string): string | null {
  if (parentPath === undefined) return null;
  const at = parentPath.indexOf('root:');
  if (at < 0) return null;
  let parent: string;
  try {
    parent = decodeURIComponent(parentPath.slice(at + 'root:'.length));
  } catch {
    return null;
  }
  return `${parent.replace(/\/+$/, '')}/${name}`;
}

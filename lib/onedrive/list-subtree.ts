// Listing the subtrees of folders that entered the linked folder. The drive root's delta reports
// a folder moved in from elsewhere in the drive, but not its unchanged descendants (they did not
// change as far as the drive is concerned), so they are read with /children, page by page,
// breadth first. Folders Graph says are empty (childCount 0) cost no request.
import { DeadlineReachedError, GraphError } from './errors';
import type { GraphClient } from './graph-client';
import type { GraphDriveItem } from './types';

export interface ListSubtreesOptions {
  graph: GraphClient;
  driveId: string;
  /** Folders whose descendants to list (a folder inside another one listed here is read once). */
  folderIds: readonly string[];
  clock: () => number;
  /** Epoch ms: stop with DeadlineReachedError before a request once reached. */
  deadline?: number;
}

/** Every live descendant of the folders, parents before their children. */
export async function listSubtrees(options: ListSubtreesOptions): Promise<GraphDriveItem[]> {
  const { graph, driveId, deadline, clock } = options;
  const items: GraphDriveItem[] = [];
  const queue = [...options.folderIds];
  const listed = new Set<string>();
  while (queue.length > 0) {
    const folderId = queue.shift()!;
    if (listed.has(folderId)) continue;
    listed.add(folderId);
    for (let url: string | undefined = graph.childrenUrl(driveId, folderId); url !== undefined; ) {
      if (deadline !== undefined && clock() >= deadline) throw new DeadlineReachedError();
      let page;
      try {
        page = await graph.childrenPage(url);
      } catch (error) {
        // Deleted or moved away since delta reported it: the next delta reports that too.
        if (error instanceof GraphError && error.status === 404) break;
        throw error;
      }
      for (const item of page.items) {
        items.push(item);
        if (item.folder !== undefined && item.folder.childCount !== 0) queue.push(item.id);
      }
      url = page.nextLink;
    }
  }
  return items;
}

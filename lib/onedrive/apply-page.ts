// Applying one delta page to the stored item set: pure, no I/O.
//
// Graph's delta reports the latest state of each changed item, tracked by id: parentReference
// carries no path, a renamed folder's descendants are not reported, and the same item may appear
// twice (the last occurrence wins). So paths are recomputed here from parent ids, and a folder's
// rename or move rewrites its stored subtree. An item whose parent is neither the linked folder
// nor a stored folder is outside the linked folder: it moved out (removed with its subtree at the
// walk's end) or its parent arrives on a later page (carried until then).
//
// Items of the drive root's delta (source 'root', where Graph refuses a folder's delta) are kept
// by the same rule: in scope when their parent chain, by stored ids, reaches the linked folder.
// That delta reports changes anywhere in the drive, so an unresolved item is carried only when it
// is stored (it may have moved out, or into a folder on a later page); any other one is outside
// and dropped, so the carry stays as small as the change. A folder that enters the subtree comes
// without its unchanged children: the plan names it (`enteredFolders`) for the caller to list.
import {
  SKIP_TOO_LARGE,
  SKIP_UNSUPPORTED,
  type ContentMeta,
  type DownloadRequest,
  type GraphDriveItem,
  type StoredItem,
} from './types';

export interface PlanPageInput {
  /** Item id of the linked folder. */
  rootId: string;
  /**
   * Stored items the page can touch: every id in `items`, their parents, and the subtrees of the
   * folders `subtreeRoots` names (see below).
   */
  stored: ReadonlyMap<string, StoredItem>;
  /** Items carried from earlier pages first, then this page's items. */
  items: readonly GraphDriveItem[];
  /** The walk's last page: what is still unresolved is outside the linked folder. */
  final: boolean;
  maxFileBytes: number;
  /** Which delta the items come from: the linked folder's (default) or the drive root's. */
  source?: 'folder' | 'root';
}

export interface PagePlan {
  /** Rows to create (not in `stored`) or update, in their final state. */
  writes: StoredItem[];
  /** Rows whose content must be dropped (a file now skipped). */
  clearContent: string[];
  removals: string[];
  downloads: DownloadRequest[];
  /** Unresolved items to offer again with the next page. */
  carry: GraphDriveItem[];
  /** Ids placed inside the linked folder by this page (resync bookkeeping). */
  seen: string[];
  /** The linked folder itself was deleted. */
  rootDeleted: boolean;
  /**
   * Folders placed inside the linked folder that were not stored before, parents first, leaving
   * out those Graph says are empty (childCount 0). A drive-root delta reports a folder that moved
   * in without its unchanged children; the caller lists these folders' subtrees.
   */
  enteredFolders: string[];
}

/** Latest occurrence of each id, in order of last appearance. */
function latestOccurrences(items: readonly GraphDriveItem[]): GraphDriveItem[] {
  const latest = new Map<string, GraphDriveItem>();
  for (const item of items) {
    latest.delete(item.id);
    latest.set(item.id, item);
  }
  return [...latest.values()];
}

/**
 * Stored folders among the page's items whose subtree the plan needs (deleted, renamed or moved
 * — possibly out of the linked folder). Unchanged ancestors, which delta also reports, need none,
 * so a change deep in a large tree loads only what it touches.
 */
export function subtreeRoots(stored: ReadonlyMap<string, StoredItem>, items: readonly GraphDriveItem[]): string[] {
  const roots: string[] = [];
  for (const item of latestOccurrences(items)) {
    const row = stored.get(item.id);
    if (!row?.isFolder) continue;
    const moved = item.parentReference?.id !== undefined && item.parentReference.id !== row.parentId;
    const renamed = item.name !== undefined && item.name !== row.name;
    if (item.deleted || moved || renamed || !item.folder) roots.push(item.id);
  }
  return roots;
}

export function contentHash(item: GraphDriveItem): string | null {
  const hashes = item.file?.hashes;
  return hashes?.quickXorHash ?? hashes?.sha1Hash ?? hashes?.sha256Hash ?? null;
}

/** What a driveItem says about its content. */
export function contentMeta(item: GraphDriveItem): ContentMeta {
  return {
    size: item.size ?? null,
    hash: contentHash(item),
    eTag: item.eTag ?? null,
    cTag: item.cTag ?? null,
    lastModified: item.lastModifiedDateTime ? new Date(item.lastModifiedDateTime) : null,
    mimeType: item.file?.mimeType ?? null,
  };
}

/** Whether the stored content is still the item's content: same hash and size, or same cTag. */
export function contentUnchanged(row: StoredItem | undefined, meta: ContentMeta): boolean {
  if (!row || row.state !== 'synced' || row.downloadPending || row.isFolder) return false;
  if (meta.hash !== null && row.hash !== null) return meta.hash === row.hash && meta.size === row.size;
  if (meta.cTag !== null && row.cTag !== null) return meta.cTag === row.cTag && meta.size === row.size;
  return false;
}

function sameRow(a: StoredItem, b: StoredItem): boolean {
  return (
    a.parentId === b.parentId &&
    a.name === b.name &&
    a.path === b.path &&
    a.isFolder === b.isFolder &&
    a.size === b.size &&
    a.hash === b.hash &&
    a.eTag === b.eTag &&
    a.cTag === b.cTag &&
    (a.lastModified?.getTime() ?? null) === (b.lastModified?.getTime() ?? null) &&
    a.mimeType === b.mimeType &&
    a.state === b.state &&
    a.skipReason === b.skipReason &&
    a.downloadPending === b.downloadPending
  );
}

export function planDeltaPage(input: PlanPageInput): PagePlan {
  const { rootId, maxFileBytes } = input;
  const view = new Map(input.stored);
  const children = new Map<string, Set<string>>();
  const link = (id: string, parentId: string | null) => {
    if (parentId === null) return;
    let set = children.get(parentId);
    if (!set) children.set(parentId, (set = new Set()));
    set.add(id);
  };
  const unlink = (id: string, parentId: string | null) => {
    if (parentId !== null) children.get(parentId)?.delete(id);
  };
  for (const row of view.values()) link(row.itemId, row.parentId);

  const dirty = new Set<string>();
  const removals = new Set<string>();
  const clearContent = new Set<string>();
  const downloads = new Map<string, DownloadRequest>();
  const seen = new Set<string>();
  const entered = new Set<string>();
  let rootDeleted = false;

  const removeSubtree = (id: string) => {
    const stack = [id];
    while (stack.length > 0) {
      const cur = stack.pop()!;
      stack.push(...(children.get(cur) ?? []));
      const row = view.get(cur);
      if (row) {
        unlink(cur, row.parentId);
        view.delete(cur);
        if (input.stored.has(cur)) removals.add(cur);
      }
      children.delete(cur);
      dirty.delete(cur);
      downloads.delete(cur);
      clearContent.delete(cur);
      seen.delete(cur);
      entered.delete(cur);
    }
  };

  const repathDescendants = (folderId: string) => {
    const stack = [folderId];
    while (stack.length > 0) {
      const parent = view.get(stack.pop()!)!;
      for (const childId of children.get(parent.itemId) ?? []) {
        const child = view.get(childId);
        if (!child) continue;
        const path = `${parent.path}/${child.name}`;
        if (child.path !== path) {
          view.set(childId, { ...child, path });
          dirty.add(childId);
        }
        if (child.isFolder) stack.push(childId);
      }
    }
  };

  const place = (item: GraphDriveItem, parentId: string, parentPath: string) => {
    const old = view.get(item.id);
    const name = item.name ?? old?.name ?? item.id;
    const path = parentPath === '' ? name : `${parentPath}/${name}`;
    const isFolder = item.folder !== undefined;
    const meta = contentMeta(item);
    let row: StoredItem;
    if (isFolder) {
      row = { ...meta, hash: null, mimeType: null, itemId: item.id, parentId, name, path, isFolder, state: 'synced', skipReason: null, downloadPending: false };
    } else if (item.file === undefined) {
      // Neither file nor folder (a OneNote package, for example): recorded, never downloaded.
      row = { ...meta, itemId: item.id, parentId, name, path, isFolder, state: 'skipped', skipReason: SKIP_UNSUPPORTED, downloadPending: false };
    } else if (meta.size !== null && meta.size > maxFileBytes) {
      row = { ...meta, itemId: item.id, parentId, name, path, isFolder, state: 'skipped', skipReason: SKIP_TOO_LARGE, downloadPending: false };
    } else if (old && contentUnchanged(old, meta)) {
      row = { ...old, ...meta, itemId: item.id, parentId, name, path, isFolder };
    } else {
      // Until the download lands, the row keeps describing what is stored (nothing, for a new
      // file): a crash in between leaves a pending row, never a hash without its content.
      const base: StoredItem = old && !old.isFolder
        ? old
        : { itemId: item.id, parentId, name, path, isFolder, size: null, hash: null, eTag: null, cTag: null, lastModified: null, mimeType: null, state: 'pending', skipReason: null, downloadPending: true };
      row = { ...base, parentId, name, path, downloadPending: true };
      const request: DownloadRequest = { itemId: item.id, meta };
      const url = item['@microsoft.graph.downloadUrl'];
      if (url !== undefined) request.downloadUrl = url;
      downloads.set(item.id, request);
    }
    if (!row.downloadPending) {
      downloads.delete(item.id);
      if ((row.state === 'skipped' || row.isFolder) && old && old.state !== 'skipped' && !old.isFolder) clearContent.add(item.id);
    }
    if (old && old.isFolder && !isFolder) {
      // A folder replaced by a file under the same id cannot happen in Graph, but never leave orphans.
      for (const childId of [...(children.get(item.id) ?? [])]) removeSubtree(childId);
    }
    if (old) unlink(item.id, old.parentId);
    link(item.id, parentId);
    view.set(item.id, row);
    removals.delete(item.id);
    seen.add(item.id);
    if (isFolder && !input.stored.has(item.id) && item.folder?.childCount !== 0) entered.add(item.id);
    if (!old || !sameRow(old, row)) dirty.add(item.id);
    if (isFolder && old && old.path !== path) repathDescendants(item.id);
  };

  let pending: GraphDriveItem[] = [];
  for (const item of latestOccurrences(input.items)) {
    if (item.id === rootId) {
      if (item.deleted) rootDeleted = true;
      continue;
    }
    if (item.deleted) removeSubtree(item.id);
    else pending.push(item);
  }

  // Parents normally precede children, but nothing here depends on it: resolve until no progress.
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    const rest: GraphDriveItem[] = [];
    for (const item of pending) {
      const parentId = item.parentReference?.id;
      const parent = parentId === undefined ? undefined : view.get(parentId);
      const parentPath = parentId === rootId ? '' : parent?.isFolder ? parent.path : undefined;
      if (parentId === undefined || parentPath === undefined) {
        rest.push(item);
        continue;
      }
      place(item, parentId, parentPath);
      progress = true;
    }
    pending = rest;
  }

  let carry: GraphDriveItem[] = [];
  if (input.final) {
    for (const item of pending) removeSubtree(item.id);
  } else if (input.source === 'root') {
    carry = pending.filter((item) => input.stored.has(item.id));
  } else {
    carry = pending;
  }

  return {
    writes: [...dirty].map((id) => view.get(id)!),
    clearContent: [...clearContent],
    removals: [...removals],
    downloads: [...downloads.values()],
    carry,
    seen: [...seen],
    rootDeleted,
    enteredFolders: [...entered],
  };
}

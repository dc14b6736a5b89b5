// driveItem JSON as Graph sends it, with the omissions Graph documents for delta responses:
// parentReference.path never appears in delta; OneDrive for Business leaves out cTag (and the name
// of deleted items); consumer OneDrive leaves out cTag and size of deleted items.
import type { DriveRecord, DriveStore, ItemRecord } from './store';

export const DOWNLOAD_URL = '@microsoft.graph.downloadUrl';

export interface RenderOptions {
  store: DriveStore;
  drive: DriveRecord;
  inDelta: boolean;
  /** Lower-cased $select names, or null for every property. */
  select: Set<string> | null;
  /** Issues a fresh pre-authenticated URL; only called when the URL is part of the answer. */
  downloadUrl: (item: ItemRecord) => string;
}

export function parseSelect(raw: string | null): Set<string> | null {
  if (raw === null || raw.trim() === '') return null;
  const names = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  return new Set(names.map((n) => (n === 'content.downloadurl' ? DOWNLOAD_URL.toLowerCase() : n)));
}

const wants = (select: Set<string> | null, key: string) => select === null || key === 'id' || select.has(key.toLowerCase());

export function renderItem(item: ItemRecord, options: RenderOptions): Record<string, unknown> {
  const { store, drive, inDelta, select } = options;
  const deleted = item.deletedSeq !== undefined;
  const business = drive.flavor === 'business';
  const out: Record<string, unknown> = {};
  const put = (key: string, value: () => unknown) => {
    if (wants(select, key)) out[key] = value();
  };

  put('id', () => item.id);
  if (!(deleted && business)) put('name', () => item.name);
  put('eTag', () => `"{${item.id}},${item.version}"`);
  if (!deleted && !(inDelta && business)) put('cTag', () => `"c:{${item.id}},${item.contentVersion}"`);
  if (!(deleted && !business)) put('size', () => (deleted ? item.content.length : store.size(item)));
  put('createdDateTime', () => item.createdAt.toISOString());
  put('lastModifiedDateTime', () => item.modifiedAt.toISOString());

  put('parentReference', () => {
    const ref: Record<string, unknown> = { driveType: drive.driveType, driveId: drive.id };
    if (item.parentId !== null) ref.id = item.parentId;
    const path = inDelta || deleted ? undefined : store.parentPath(item);
    if (path !== undefined) ref.path = path;
    return ref;
  });

  if (item.parentId === null) put('root', () => ({}));
  if (item.isFolder) {
    put('folder', () => (deleted ? {} : { childCount: store.children(drive.id, item.id).length }));
  } else {
    put('file', () => (deleted ? {} : { mimeType: item.mimeType, hashes: store.hashes(drive, item) }));
  }
  if (deleted) put('deleted', () => ({ state: 'deleted' }));
  if (!deleted && !item.isFolder && wants(select, DOWNLOAD_URL)) out[DOWNLOAD_URL] = options.downloadUrl(item);
  return out;
}

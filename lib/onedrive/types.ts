// Shapes shared by the sync engine's parts: Graph's driveItem as delta sends it, and the stored
// metadata of a knowledge file (everything but its content).

/** A driveItem as the delta $select returns it. Graph omits properties freely: all optional. */
export interface GraphDriveItem {
  id: string;
  name?: string;
  eTag?: string;
  cTag?: string;
  size?: number;
  lastModifiedDateTime?: string;
  parentReference?: { id?: string; driveId?: string; path?: string };
  file?: { mimeType?: string; hashes?: { quickXorHash?: string; sha1Hash?: string; sha256Hash?: string } };
  folder?: { childCount?: number };
  deleted?: { state?: string };
  root?: Record<string, never>;
  '@microsoft.graph.downloadUrl'?: string;
}

export type FileState = 'pending' | 'synced' | 'skipped';

/** The content metadata a download, once stored, makes true. */
export interface ContentMeta {
  size: number | null;
  hash: string | null;
  eTag: string | null;
  cTag: string | null;
  lastModified: Date | null;
  mimeType: string | null;
}

export interface StoredItem extends ContentMeta {
  itemId: string;
  parentId: string | null;
  name: string;
  /** Relative to the linked folder: "Specs/a.txt". */
  path: string;
  isFolder: boolean;
  state: FileState;
  skipReason: string | null;
  downloadPending: boolean;
}

export interface DownloadRequest {
  itemId: string;
  /** Pre-authenticated and short-lived: kept in memory only, never stored or logged. */
  downloadUrl?: string;
  meta: ContentMeta;
}

/** `getGraphToken({ rejectedToken })` asks the token layer for a token other than the rejected one. */
export type GetGraphToken = (options?: { rejectedToken?: string }) => Promise<string>;

export const SKIP_TOO_LARGE = 'too_large';
export const SKIP_UNSUPPORTED = 'unsupported_type';

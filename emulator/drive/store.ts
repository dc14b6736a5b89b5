// The emulated drives: items, their history and the mutations tests inject. Every mutation bumps
// the drive's change sequence; items remember when they were created, changed, moved and deleted,
// so delta can answer "what changed since sequence s, as seen from folder F" (including folders
// that moved into F, whose untouched descendants are new to F).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { quickXorHash } from './quick-xor-hash';

/**
 * business: quickXorHash, delta omits cTag (and name on deletions), delta only on the root.
 * personal: sha1Hash too, delta on any folder.
 */
export type DriveFlavor = 'business' | 'personal';

/** Graph's drive.driveType: a user's OneDrive (consumer or for Business) or a SharePoint library. */
export type DriveType = 'personal' | 'business' | 'documentLibrary';

/** A SharePoint site: its document libraries are readable by its members. */
export interface SiteRecord {
  /** Graph's composite site id: "{hostname},{site-collection-id},{web-id}". */
  id: string;
  name: string;
  displayName: string;
  webUrl: string;
  createdAt: Date;
  members: Set<string>;
  /** Members who follow the site (what GET /me/followedSites lists for them). */
  followers: Set<string>;
}

export interface DriveRecord {
  id: string;
  /** The user whose OneDrive this is; empty for a site's document library. */
  ownerEmail: string;
  rootId: string;
  /** Behaviour of the drive (hashes, delta): a document library behaves as OneDrive for Business. */
  flavor: DriveFlavor;
  driveType: DriveType;
  name: string;
  /** The site a document library belongs to. */
  siteId: string | null;
  createdAt: Date;
  /** Last change sequence handed out. */
  seq: number;
  /** Bumped by invalidateDeltaLinks: tokens of an older epoch answer 410. */
  epoch: number;
}

export interface MoveRecord {
  seq: number;
  from: string;
  to: string;
}

export interface ItemRecord {
  id: string;
  driveId: string;
  name: string;
  isFolder: boolean;
  /** null only for the drive's root. */
  parentId: string | null;
  content: Buffer;
  mimeType: string;
  createdSeq: number;
  changeSeq: number;
  deletedSeq?: number;
  moves: MoveRecord[];
  version: number;
  contentVersion: number;
  createdAt: Date;
  modifiedAt: Date;
}

export class DriveConflictError extends Error {}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function itemId(): string {
  const bytes = randomBytes(32);
  let id = '01';
  for (let i = 0; i < 32; i++) id += BASE32[bytes[i]! % 32];
  return id;
}

const MIME: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
  pdf: 'application/pdf',
  html: 'text/html',
  csv: 'text/csv',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

function mimeFor(name: string): string {
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  return MIME[ext] ?? 'application/octet-stream';
}

export class DriveStore {
  readonly drives = new Map<string, DriveRecord>();
  readonly items = new Map<string, ItemRecord>();
  readonly sites = new Map<string, SiteRecord>();

  createDrive(ownerEmail: string, flavor: DriveFlavor = 'business', name = 'OneDrive'): DriveRecord {
    return this.newDrive({ ownerEmail: ownerEmail.toLowerCase(), flavor, driveType: flavor, name, siteId: null });
  }

  createSite(input: { name: string; displayName?: string; members: string[]; followers?: string[] }): SiteRecord {
    const members = new Set(input.members.map((m) => m.toLowerCase()));
    const followers = new Set((input.followers ?? input.members).map((m) => m.toLowerCase()));
    const host = 'contoso.sharepoint.com';
    const site: SiteRecord = {
      id: `${host},${randomUUID()},${randomUUID()}`,
      name: input.name,
      displayName: input.displayName ?? input.name,
      webUrl: `https://${host}/sites/${encodeURIComponent(input.name)}`,
      createdAt: new Date(),
      members,
      followers,
    };
    this.sites.set(site.id, site);
    return site;
  }

  /** A document library of the site (SharePoint behaves as OneDrive for Business). */
  createLibrary(siteId: string, name: string): DriveRecord {
    if (!this.sites.has(siteId)) throw new Error(`no site ${siteId}`);
    return this.newDrive({ ownerEmail: '', flavor: 'business', driveType: 'documentLibrary', name, siteId });
  }

  /** Whether the user (lower-cased e-mail) may read the drive: its owner, or a member of its site. */
  canRead(drive: DriveRecord, email: string): boolean {
    if (drive.siteId === null) return drive.ownerEmail === email;
    return this.sites.get(drive.siteId)?.members.has(email) ?? false;
  }

  private newDrive(fields: Pick<DriveRecord, 'ownerEmail' | 'flavor' | 'driveType' | 'name' | 'siteId'>): DriveRecord {
    const id = `b!${randomBytes(48).toString('base64url')}`;
    const drive: DriveRecord = { id, ...fields, rootId: '', createdAt: new Date(), seq: 0, epoch: 0 };
    this.drives.set(id, drive);
    const root = this.insert(drive, null, 'root', true, Buffer.alloc(0));
    drive.rootId = root.id;
    return drive;
  }

  drive(driveId: string): DriveRecord {
    const drive = this.drives.get(driveId);
    if (!drive) throw new Error(`no drive ${driveId}`);
    return drive;
  }

  /** A live item of the drive, or undefined. */
  live(driveId: string, id: string): ItemRecord | undefined {
    const item = this.items.get(id);
    return item && item.driveId === driveId && item.deletedSeq === undefined ? item : undefined;
  }

  private need(driveId: string, id: string): ItemRecord {
    const item = this.live(driveId, id);
    if (!item) throw new Error(`no live item ${id} in drive`);
    return item;
  }

  private needFolder(driveId: string, id: string): ItemRecord {
    const folder = this.need(driveId, id);
    if (!folder.isFolder) throw new Error(`item ${id} is not a folder`);
    return folder;
  }

  children(driveId: string, folderId: string): ItemRecord[] {
    const out: ItemRecord[] = [];
    for (const item of this.items.values()) {
      if (item.driveId === driveId && item.parentId === folderId && item.deletedSeq === undefined) out.push(item);
    }
    return out.sort((a, b) => a.createdSeq - b.createdSeq);
  }

  /** Graph refuses two children with the same name (case-insensitive) in one folder. */
  private assertFreeName(driveId: string, parentId: string, name: string, except?: string): void {
    if (!name || /[/\\:*?"<>|]/.test(name)) throw new DriveConflictError(`invalid name: ${name}`);
    const lower = name.toLowerCase();
    for (const child of this.children(driveId, parentId)) {
      if (child.id !== except && child.name.toLowerCase() === lower) {
        throw new DriveConflictError(`nameAlreadyExists: ${name}`);
      }
    }
  }

  private insert(drive: DriveRecord, parentId: string | null, name: string, isFolder: boolean, content: Buffer, mimeType?: string): ItemRecord {
    const seq = ++drive.seq;
    const now = new Date();
    const item: ItemRecord = {
      id: itemId(),
      driveId: drive.id,
      name,
      isFolder,
      parentId,
      content,
      mimeType: mimeType ?? mimeFor(name),
      createdSeq: seq,
      changeSeq: seq,
      moves: [],
      version: 1,
      contentVersion: 1,
      createdAt: now,
      modifiedAt: now,
    };
    this.items.set(item.id, item);
    return item;
  }

  private touch(drive: DriveRecord, item: ItemRecord): number {
    const seq = ++drive.seq;
    item.changeSeq = seq;
    item.version++;
    item.modifiedAt = new Date();
    return seq;
  }

  addFolder(driveId: string, parentId: string, name: string): ItemRecord {
    const drive = this.drive(driveId);
    const parent = this.needFolder(driveId, parentId);
    this.assertFreeName(driveId, parentId, name);
    const folder = this.insert(drive, parentId, name, true, Buffer.alloc(0));
    this.touch(drive, parent);
    return folder;
  }

  addFile(driveId: string, parentId: string, name: string, content: Buffer, mimeType?: string): ItemRecord {
    const drive = this.drive(driveId);
    const parent = this.needFolder(driveId, parentId);
    this.assertFreeName(driveId, parentId, name);
    const file = this.insert(drive, parentId, name, false, content, mimeType);
    this.touch(drive, parent);
    return file;
  }

  updateFile(driveId: string, id: string, content: Buffer): ItemRecord {
    const drive = this.drive(driveId);
    const file = this.need(driveId, id);
    if (file.isFolder) throw new Error('cannot write content to a folder');
    file.content = content;
    file.contentVersion++;
    this.touch(drive, file);
    return file;
  }

  rename(driveId: string, id: string, name: string): ItemRecord {
    const drive = this.drive(driveId);
    const item = this.need(driveId, id);
    if (item.parentId === null) throw new Error('cannot rename the root');
    this.assertFreeName(driveId, item.parentId, name, id);
    item.name = name;
    this.touch(drive, item);
    return item;
  }

  move(driveId: string, id: string, newParentId: string, newName?: string): ItemRecord {
    const drive = this.drive(driveId);
    const item = this.need(driveId, id);
    const target = this.needFolder(driveId, newParentId);
    if (item.parentId === null) throw new Error('cannot move the root');
    for (let cur: ItemRecord | undefined = target; cur; cur = cur.parentId ? this.items.get(cur.parentId) : undefined) {
      if (cur.id === id) throw new DriveConflictError('cannot move a folder into itself');
    }
    const name = newName ?? item.name;
    this.assertFreeName(driveId, newParentId, name, id);
    const from = item.parentId;
    const seq = this.touch(drive, item);
    item.name = name;
    if (from !== newParentId) {
      item.moves.push({ seq, from, to: newParentId });
      item.parentId = newParentId;
      // Both folders' child counts changed.
      const old = this.live(driveId, from);
      if (old) this.touch(drive, old);
      this.touch(drive, target);
    }
    return item;
  }

  /** Deletes the item and its whole subtree (each descendant gets its own tombstone). */
  remove(driveId: string, id: string): void {
    const drive = this.drive(driveId);
    const item = this.need(driveId, id);
    if (item.parentId === null) throw new Error('cannot delete the root');
    const parent = this.live(driveId, item.parentId);
    const seq = ++drive.seq;
    const stack = [item];
    while (stack.length > 0) {
      const cur = stack.pop()!;
      stack.push(...this.children(driveId, cur.id));
      cur.deletedSeq = seq;
      cur.changeSeq = seq;
    }
    if (parent) this.touch(drive, parent);
  }

  /** Parent at change sequence s; undefined when the item did not exist then. */
  parentAt(item: ItemRecord, s: number): string | null | undefined {
    if (item.createdSeq > s) return undefined;
    if (item.deletedSeq !== undefined && item.deletedSeq <= s) return undefined;
    let parent: string | null = item.moves.length > 0 ? item.moves[0]!.from : item.parentId;
    for (const move of item.moves) {
      if (move.seq <= s) parent = move.to;
      else break;
    }
    return parent;
  }

  /** Whether the item sat strictly below `scopeId` at change sequence s (Infinity: now). */
  inScopeAt(item: ItemRecord, scopeId: string, s: number): boolean {
    let cur: ItemRecord | undefined = item;
    for (let guard = 0; cur && guard < 10_000; guard++) {
      const parent = s === Infinity ? (cur.deletedSeq === undefined ? cur.parentId : undefined) : this.parentAt(cur, s);
      if (parent === undefined || parent === null) return false;
      if (parent === scopeId) return true;
      cur = this.items.get(parent);
    }
    return false;
  }

  /** '/drive/root:' for children of the root, '/drive/root:/a/b' below; undefined for the root. */
  parentPath(item: ItemRecord): string | undefined {
    if (item.parentId === null) return undefined;
    const names: string[] = [];
    let cur = this.items.get(item.parentId);
    while (cur && cur.parentId !== null) {
      names.unshift(cur.name);
      cur = this.items.get(cur.parentId);
    }
    return names.length === 0 ? '/drive/root:' : `/drive/root:/${names.map(encodeURIComponent).join('/')}`;
  }

  depth(item: ItemRecord): number {
    let depth = 0;
    for (let cur = item; cur.parentId !== null; depth++) {
      const parent = this.items.get(cur.parentId);
      if (!parent) break;
      cur = parent;
    }
    return depth;
  }

  /** Resolves 'a/b/c' below the root. */
  byPath(driveId: string, path: string): ItemRecord | undefined {
    const drive = this.drive(driveId);
    let cur = this.live(driveId, drive.rootId);
    for (const part of path.split('/').filter(Boolean)) {
      if (!cur) return undefined;
      const lower = decodeURIComponent(part).toLowerCase();
      cur = this.children(driveId, cur.id).find((c) => c.name.toLowerCase() === lower);
    }
    return cur;
  }

  hashes(drive: DriveRecord, item: ItemRecord): Record<string, string> {
    const quick = quickXorHash(item.content);
    if (drive.flavor === 'business') return { quickXorHash: quick };
    return { sha1Hash: createHash('sha1').update(item.content).digest('hex').toUpperCase(), quickXorHash: quick };
  }

  /** Size of a file, or the total size of a folder's subtree, as Graph reports it. */
  size(item: ItemRecord): number {
    if (!item.isFolder) return item.content.length;
    let total = 0;
    for (const child of this.children(item.driveId, item.id)) total += this.size(child);
    return total;
  }
}

// Server-side state behind the opaque things the drive hands out: delta tokens (nextLink pages of
// a walk, deltaLinks) and pre-authenticated download URLs.
import { randomBytes } from 'node:crypto';

export interface WalkPage {
  kind: 'page';
  driveId: string;
  scopeId: string;
  epoch: number;
  walkId: string;
  offset: number;
}

export interface DeltaMark {
  kind: 'delta';
  driveId: string;
  scopeId: string;
  epoch: number;
  since: number;
}

export type DeltaToken = WalkPage | DeltaMark;

interface Walk {
  ids: string[];
  upTo: number;
}

export interface DownloadGrant {
  driveId: string;
  itemId: string;
  content: Buffer;
  mimeType: string;
  expiresAt: number;
}

const MAX_WALKS = 2_000;

export class LinkRegistry {
  private readonly tokens = new Map<string, DeltaToken>();
  private readonly walks = new Map<string, Walk>();
  private readonly downloads = new Map<string, DownloadGrant>();

  issueToken(token: DeltaToken): string {
    const id = randomBytes(24).toString('base64url');
    this.tokens.set(id, token);
    return id;
  }

  token(id: string): DeltaToken | undefined {
    return this.tokens.get(id);
  }

  startWalk(ids: string[], upTo: number): string {
    const walkId = randomBytes(12).toString('base64url');
    this.walks.set(walkId, { ids, upTo });
    // Old walks are abandoned enumerations; their tokens then answer 410 like Graph's expired ones.
    if (this.walks.size > MAX_WALKS) this.walks.delete(this.walks.keys().next().value!);
    return walkId;
  }

  walk(walkId: string): Walk | undefined {
    return this.walks.get(walkId);
  }

  grantDownload(opaque: string, grant: DownloadGrant): void {
    this.downloads.set(opaque, grant);
    if (this.downloads.size % 1000 === 0) this.sweepDownloads(Date.now());
  }

  download(opaque: string, now: number): DownloadGrant | undefined {
    const grant = this.downloads.get(opaque);
    if (grant && grant.expiresAt <= now) {
      this.downloads.delete(opaque);
      return undefined;
    }
    return grant;
  }

  private sweepDownloads(now: number): void {
    for (const [key, grant] of this.downloads) if (grant.expiresAt <= now) this.downloads.delete(key);
  }
}

// The picker's pure parts: its cursor (Graph's nextLink, checked when it comes back from a
// browser), folder paths from parentReference.path, and the reconnect URL.
import { describe, expect, test } from 'vitest';
import { decodeChildrenCursor, encodeChildrenCursor, pathOf } from '@/lib/onedrive/browse';
import { oneDriveReconnectUrl, withGraphConsent } from '@/lib/onedrive';
import { RefreshFailedError } from '@/lib/tokens';

const GRAPH = 'https://graph.microsoft.com/v1.0';
const DRIVE = 'b!AbC-12_x';
const ITEM = '01ABCDEF';
const next = (path: string) => `https://graph.microsoft.com/v1.0${path}?$select=id,name&$top=100&$skiptoken=abc`;

const decode = (cursor: string, extra: { driveId?: string; itemId?: string; graphUrl?: string } = {}) =>
  decodeChildrenCursor({ cursor, graphUrl: extra.graphUrl ?? GRAPH, driveId: extra.driveId ?? DRIVE, itemId: 'itemId' in extra ? extra.itemId : ITEM });

describe('children cursor', () => {
  test('round-trips a nextLink of the same drive and folder, verbatim', () => {
    const link = next(`/drives/${encodeURIComponent(DRIVE)}/items/${ITEM}/children`);
    const cursor = encodeChildrenCursor(link);
    expect(cursor).not.toContain('graph.microsoft.com');
    expect(decode(cursor)).toBe(link);
    // Graph may or may not percent-encode the drive id's "!".
    const raw = next(`/drives/${DRIVE}/items/${ITEM}/children`);
    expect(decode(encodeChildrenCursor(raw))).toBe(raw);
    // The drive root: root/children, or the root by its id.
    const root = next(`/drives/${DRIVE}/root/children`);
    expect(decode(encodeChildrenCursor(root), { itemId: undefined })).toBe(root);
    expect(decode(encodeChildrenCursor(next(`/drives/${DRIVE}/items/ROOTID/children`)), { itemId: undefined })).toContain('ROOTID');
    // A Graph base with a different version path is honoured.
    const beta = `http://127.0.0.1:4010/v1.0/drives/${DRIVE}/root/children?$skiptoken=2`;
    expect(decodeChildrenCursor({ cursor: encodeChildrenCursor(beta), graphUrl: 'http://127.0.0.1:4010/v1.0/', driveId: DRIVE })).toBe(beta);
  });

  test('refuses cursors for another origin, base path, drive, folder or operation, and garbage (400)', () => {
    const refused = [
      encodeChildrenCursor(`https://evil.example/v1.0/drives/${DRIVE}/items/${ITEM}/children`),
      encodeChildrenCursor(`http://graph.microsoft.com/v1.0/drives/${DRIVE}/items/${ITEM}/children`),
      encodeChildrenCursor(`https://graph.microsoft.com:444/v1.0/drives/${DRIVE}/items/${ITEM}/children`),
      encodeChildrenCursor(`https://user:pw@graph.microsoft.com/v1.0/drives/${DRIVE}/items/${ITEM}/children`),
      encodeChildrenCursor(`https://graph.microsoft.com/beta/drives/${DRIVE}/items/${ITEM}/children`),
      encodeChildrenCursor(`https://graph.microsoft.com/v1.0/drives/b!other/items/${ITEM}/children`),
      encodeChildrenCursor(`https://graph.microsoft.com/v1.0/drives/${DRIVE}/items/OTHER/children`),
      encodeChildrenCursor(`https://graph.microsoft.com/v1.0/drives/${DRIVE}/root/children`),
      encodeChildrenCursor(`https://graph.microsoft.com/v1.0/drives/${DRIVE}/items/${ITEM}/content`),
      encodeChildrenCursor(`https://graph.microsoft.com/v1.0/drives/${DRIVE}/items/${ITEM}/children/x`),
      encodeChildrenCursor(`https://graph.microsoft.com/v1.0/drives/${DRIVE}/items/${ITEM}/../../../me/children`),
      encodeChildrenCursor(`https://graph.microsoft.com/v1.0/me/drive/items/${ITEM}/children`),
      encodeChildrenCursor(`https://graph.microsoft.com/v1.0/drives/${DRIVE}/items/%E0%A4%A/children`),
      encodeChildrenCursor(`https://graph.microsoft.com/v1.0/drives/${DRIVE}/items/${ITEM}/children#frag`),
      encodeChildrenCursor('not a url'),
      Buffer.from(next(`/drives/${DRIVE}/items/${ITEM}/children`)).toString('base64url'),
      'g1.***',
      'g1.',
      `g1.${'A'.repeat(7000)}`,
    ];
    for (const cursor of refused) {
      let error: unknown;
      try {
        decode(cursor);
      } catch (e) {
        error = e;
      }
      expect({ cursor: cursor.slice(0, 40), error }).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });
});

describe('folder paths', () => {
  test('from parentReference.path in the forms Graph uses', () => {
    expect(pathOf('/drive/root:', 'Team')).toBe('/Team');
    expect(pathOf('/drive/root:/Docs/Q%201', 'Sub')).toBe('/Docs/Q 1/Sub');
    expect(pathOf(`/drives/${DRIVE}/root:/Docs`, 'Sub')).toBe('/Docs/Sub');
    expect(pathOf(undefined, 'Sub')).toBeNull();
    expect(pathOf('/drive/items/x', 'Sub')).toBeNull();
  });
});

describe('reconnect for consent', () => {
  test('the URL asks for OneDrive access for the account and keeps only a same-site returnTo', () => {
    expect(oneDriveReconnectUrl('acc1', '/knowledge/kb1?tab=a&b=c')).toBe('/api/mail/connect?files=1&account=acc1&returnTo=%2Fknowledge%2Fkb1%3Ftab%3Da%26b%3Dc');
    expect(oneDriveReconnectUrl('acc1', '//evil.example')).toBe('/api/mail/connect?files=1&account=acc1');
    expect(oneDriveReconnectUrl('acc1')).toBe('/api/mail/connect?files=1&account=acc1');
  });

  test('consent or a gone grant becomes needs_reauth with reconnectUrl; transient failures pass through', async () => {
    const consent = new RefreshFailedError({ kind: 'reauth', code: 'consent_required', consent: true });
    await expect(withGraphConsent({ accountId: 'a1', returnTo: '/knowledge/k', mint: () => Promise.reject(consent) })).rejects.toMatchObject({
      code: 'needs_reauth',
      reconnectUrl: '/api/mail/connect?files=1&account=a1&returnTo=%2Fknowledge%2Fk',
    });
    const gone = new RefreshFailedError({ kind: 'reauth', code: 'invalid_grant' });
    await expect(withGraphConsent({ accountId: 'a1', mint: () => Promise.reject(gone) })).rejects.toMatchObject({ code: 'needs_reauth', reconnectUrl: '/api/mail/connect?files=1&account=a1' });
    const busy = new RefreshFailedError({ kind: 'transient', code: 'temporarily_unavailable' }, 3);
    await expect(withGraphConsent({ accountId: 'a1', mint: () => Promise.reject(busy) })).rejects.toBe(busy);
    await expect(withGraphConsent({ accountId: 'a1', mint: async () => 'token' })).resolves.toBe('token');
  });
});

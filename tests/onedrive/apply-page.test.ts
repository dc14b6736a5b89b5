// The pure part of the sync: one delta page applied to the stored item set.
import { describe, expect, it } from 'vitest';
import { planDeltaPage, subtreeRoots, type PagePlan } from '@/lib/onedrive/apply-page';
import { unseenAfterResync } from '@/lib/onedrive/resync';
import type { GraphDriveItem, StoredItem } from '@/lib/onedrive/types';

const ROOT = 'ROOT';
const MAX = 1000;

const folder = (id: string, name: string, parent = ROOT): GraphDriveItem => ({ id, name, folder: { childCount: 0 }, parentReference: { id: parent } });
const file = (id: string, name: string, parent = ROOT, content = `content of ${id}`, extra: Partial<GraphDriveItem> = {}): GraphDriveItem => ({
  id,
  name,
  size: content.length,
  eTag: `"${id},1"`,
  file: { mimeType: 'text/plain', hashes: { quickXorHash: `h(${content})` } },
  parentReference: { id: parent },
  '@microsoft.graph.downloadUrl': `https://dl.example/${id}`,
  ...extra,
});
const deleted = (id: string): GraphDriveItem => ({ id, deleted: { state: 'deleted' }, parentReference: { id: ROOT } });

/** Applies a plan the way the database does, completing downloads at once. */
function apply(store: Map<string, StoredItem>, plan: PagePlan): void {
  for (const id of plan.removals) store.delete(id);
  for (const row of plan.writes) store.set(row.itemId, row);
  for (const d of plan.downloads) {
    const row = store.get(d.itemId)!;
    store.set(d.itemId, { ...row, ...d.meta, state: 'synced', downloadPending: false, skipReason: null });
  }
}

function sync(store: Map<string, StoredItem>, pages: GraphDriveItem[][], source: 'folder' | 'root' = 'folder'): PagePlan[] {
  const plans: PagePlan[] = [];
  let carry: GraphDriveItem[] = [];
  pages.forEach((items, i) => {
    const plan = planDeltaPage({ rootId: ROOT, stored: store, items: [...carry, ...items], final: i === pages.length - 1, maxFileBytes: MAX, source });
    apply(store, plan);
    carry = plan.carry;
    plans.push(plan);
  });
  return plans;
}

const paths = (store: Map<string, StoredItem>) => [...store.values()].map((r) => r.path).sort();

describe('planDeltaPage', () => {
  it('builds paths from parent ids and asks to download new files', () => {
    const store = new Map<string, StoredItem>();
    const [plan] = sync(store, [[{ id: ROOT, name: 'KB', folder: {} }, folder('A', 'Docs'), file('f1', 'a.txt', 'A'), file('f2', 'b.txt')]]);
    expect(paths(store)).toEqual(['Docs', 'Docs/a.txt', 'b.txt']);
    expect(plan!.downloads.map((d) => d.itemId).sort()).toEqual(['f1', 'f2']);
    expect(plan!.downloads[0]!.downloadUrl).toMatch(/^https:\/\/dl\.example\//);
    expect(store.get('f1')).toMatchObject({ state: 'synced', hash: 'h(content of f1)', parentId: 'A' });
  });

  it('keeps a new file pending (no hash) until its download lands', () => {
    const plan = planDeltaPage({ rootId: ROOT, stored: new Map(), items: [file('f1', 'a.txt')], final: true, maxFileBytes: MAX });
    expect(plan.writes[0]).toMatchObject({ state: 'pending', downloadPending: true, hash: null });
  });

  it('skips downloads of files unchanged by hash and size, even when renamed', () => {
    const store = new Map<string, StoredItem>();
    sync(store, [[file('f1', 'a.txt'), file('f2', 'b.txt')]]);
    const [plan] = sync(store, [[file('f1', 'a.txt', ROOT, 'content of f1', { eTag: '"f1,2"' }), file('f2', 'renamed.txt')]]);
    expect(plan!.downloads).toEqual([]);
    expect(paths(store)).toEqual(['a.txt', 'renamed.txt']);

    const [modified] = sync(store, [[file('f1', 'a.txt', ROOT, 'new content')]]);
    expect(modified!.downloads.map((d) => d.itemId)).toEqual(['f1']);
    // The row keeps describing the stored content until the download lands.
    expect(modified!.writes[0]).toMatchObject({ hash: 'h(content of f1)', downloadPending: true, state: 'synced' });
  });

  it('downloads again when the size differs under the same hash, and when no hash or cTag is known', () => {
    const store = new Map<string, StoredItem>();
    sync(store, [[file('f1', 'a.txt')]]);
    const [plan] = sync(store, [[file('f1', 'a.txt', ROOT, 'content of f1', { size: 999 })]]);
    expect(plan!.downloads).toHaveLength(1);
    const noHash = { ...file('f2', 'b.txt'), file: { mimeType: 'text/plain' } };
    sync(store, [[noHash]]);
    expect(sync(store, [[noHash]])[0]!.downloads).toHaveLength(1);
  });

  it('removes deleted items with their subtree', () => {
    const store = new Map<string, StoredItem>();
    sync(store, [[folder('A', 'Docs'), folder('B', 'Sub', 'A'), file('f1', 'a.txt', 'B'), file('f2', 'b.txt')]]);
    const [plan] = sync(store, [[deleted('A')]]);
    expect(plan!.removals.sort()).toEqual(['A', 'B', 'f1']);
    expect(paths(store)).toEqual(['b.txt']);
  });

  it('ignores deletions of items it never stored', () => {
    const store = new Map<string, StoredItem>();
    const [plan] = sync(store, [[deleted('nope')]]);
    expect(plan!.removals).toEqual([]);
  });

  it('recomputes the paths of a renamed or moved folder’s whole subtree', () => {
    const store = new Map<string, StoredItem>();
    sync(store, [[folder('A', 'Docs'), folder('B', 'Sub', 'A'), file('f1', 'a.txt', 'B'), folder('C', 'Other')]]);
    sync(store, [[folder('A', 'Papers')]]);
    expect(paths(store)).toEqual(['Other', 'Papers', 'Papers/Sub', 'Papers/Sub/a.txt']);
    const [plan] = sync(store, [[folder('B', 'Sub', 'C')]]);
    expect(paths(store)).toEqual(['Other', 'Other/Sub', 'Other/Sub/a.txt', 'Papers']);
    expect(plan!.downloads).toEqual([]);
  });

  it('removes an item that moved out of the linked folder, with its subtree, at the walk’s end', () => {
    const store = new Map<string, StoredItem>();
    sync(store, [[folder('A', 'Docs'), file('f1', 'a.txt', 'A'), file('f2', 'b.txt')]]);
    const [first, last] = sync(store, [[folder('A', 'Docs', 'ELSEWHERE')], [file('f3', 'c.txt')]]);
    expect(first!.carry.map((i) => i.id)).toEqual(['A']);
    expect(first!.removals).toEqual([]);
    expect(last!.removals.sort()).toEqual(['A', 'f1']);
    expect(paths(store)).toEqual(['b.txt', 'c.txt']);
  });

  it('brings a moved-in folder and its subtree, whatever the order within the walk', () => {
    const store = new Map<string, StoredItem>();
    sync(store, [[file('f0', 'x.txt')]]);
    // Child before its parent, and the parent on a later page.
    sync(store, [[file('f1', 'deep.txt', 'B')], [folder('B', 'Deep', 'A'), folder('A', 'Moved')]]);
    expect(paths(store)).toEqual(['Moved', 'Moved/Deep', 'Moved/Deep/deep.txt', 'x.txt']);
  });

  it('uses the last occurrence of an item within a page', () => {
    const store = new Map<string, StoredItem>();
    sync(store, [[file('f1', 'first.txt'), file('f1', 'second.txt')]]);
    expect(paths(store)).toEqual(['second.txt']);
  });

  it('records files over the size cap as skipped, never synced, and drops their content', () => {
    const store = new Map<string, StoredItem>();
    const big = 'x'.repeat(MAX + 1);
    const [plan] = sync(store, [[file('f1', 'big.bin', ROOT, big), file('f2', 'ok.txt')]]);
    expect(plan!.downloads.map((d) => d.itemId)).toEqual(['f2']);
    expect(store.get('f1')).toMatchObject({ state: 'skipped', skipReason: 'too_large', downloadPending: false });

    const [grown] = sync(store, [[file('f2', 'ok.txt', ROOT, big)]]);
    expect(grown!.clearContent).toEqual(['f2']);
    expect(store.get('f2')).toMatchObject({ state: 'skipped' });
    const [shrunk] = sync(store, [[file('f2', 'ok.txt', ROOT, 'small')]]);
    expect(shrunk!.downloads.map((d) => d.itemId)).toEqual(['f2']);
  });

  it('notices when the linked folder itself is deleted', () => {
    const plan = planDeltaPage({ rootId: ROOT, stored: new Map(), items: [{ id: ROOT, deleted: {} }], final: true, maxFileBytes: MAX });
    expect(plan.rootDeleted).toBe(true);
  });

  it('writes only what changed', () => {
    const store = new Map<string, StoredItem>();
    const items = [folder('A', 'Docs'), file('f1', 'a.txt', 'A')];
    sync(store, [items]);
    const [again] = sync(store, [items]);
    expect(again!.writes).toEqual([]);
    expect(again!.seen.sort()).toEqual(['A', 'f1']);
  });
});

describe('planDeltaPage on the drive root’s delta', () => {
  const DRIVE = 'DRIVE-ROOT';
  const driveRoot: GraphDriveItem = { id: DRIVE, name: 'root', folder: { childCount: 2 }, root: {} };
  const linked = { ...folder(ROOT, 'KB', DRIVE), folder: { childCount: 1 } };

  it('keeps what lies below the linked folder and drops the rest of the drive without carrying it', () => {
    const store = new Map<string, StoredItem>();
    const [first, last] = sync(
      store,
      [
        [driveRoot, linked, folder('OUT', 'Elsewhere', DRIVE), folder('A', 'Docs')],
        [file('o1', 'other.txt', 'OUT'), file('f1', 'a.txt', 'A'), file('f2', 'b.txt')],
      ],
      'root',
    );
    expect(first!.carry).toEqual([]);
    expect(last!.downloads.map((d) => d.itemId).sort()).toEqual(['f1', 'f2']);
    expect(paths(store)).toEqual(['Docs', 'Docs/a.txt', 'b.txt']);
  });

  it('carries a stored item whose new parent is unknown, and removes it with its subtree at the walk’s end', () => {
    const store = new Map<string, StoredItem>();
    sync(store, [[folder('A', 'Docs'), file('f1', 'a.txt', 'A'), file('f2', 'b.txt')]], 'root');
    const [first, last] = sync(store, [[folder('A', 'Docs', 'OUT'), file('new', 'n.txt', 'OUT')], [driveRoot]], 'root');
    expect(first!.carry.map((i) => i.id)).toEqual(['A']);
    expect(last!.removals.sort()).toEqual(['A', 'f1']);
    expect(paths(store)).toEqual(['b.txt']);
  });

  it('names folders that enter the linked folder, unless stored before or empty', () => {
    const store = new Map<string, StoredItem>();
    sync(store, [[folder('A', 'Docs')]], 'root');
    const moved = { ...folder('M', 'Moved'), folder: { childCount: 3 } };
    const nested = { ...folder('N', 'Nested', 'M'), folder: { childCount: 1 } };
    const empty = { ...folder('E', 'Empty'), folder: { childCount: 0 } };
    const [plan] = sync(store, [[nested, moved, empty, folder('A', 'Docs renamed')]], 'root');
    expect(plan!.enteredFolders).toEqual(['M', 'N']);
  });
});

describe('subtreeRoots', () => {
  it('names stored folders that were deleted, renamed or moved, not unchanged ancestors', () => {
    const store = new Map<string, StoredItem>();
    sync(store, [[folder('A', 'Docs'), folder('B', 'Sub', 'A'), folder('C', 'Keep'), folder('D', 'Gone')]]);
    const roots = subtreeRoots(store, [folder('A', 'Renamed'), folder('B', 'Sub', 'C'), folder('C', 'Keep'), deleted('D'), file('new', 'n.txt')]);
    expect(roots.sort()).toEqual(['A', 'B', 'D']);
  });
});

describe('unseenAfterResync', () => {
  it('lists what the re-walk did not mark', () => {
    expect(unseenAfterResync([{ itemId: 'a', seenGeneration: 2 }, { itemId: 'b', seenGeneration: 1 }], 2)).toEqual(['b']);
  });
});

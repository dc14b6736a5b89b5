// The OneDrive folder picker: the drives an account can reach and the folders under an item, paged
// with opaque cursors; consent is asked for only when Microsoft says it is missing.
export { listDrives, type DriveView } from './list-drives';
export { listChildren, pathOf, type ChildrenView, type FolderView, type ListChildrenInput } from './list-children';
export { encodeChildrenCursor, decodeChildrenCursor, type DecodeChildrenCursorInput } from './cursor';
export type { BrowseContext, BrowseInput } from './context';

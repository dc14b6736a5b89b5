// OneDrive folder sync into knowledge bases (SPEC §5.8): incremental Graph delta with a stored
// deltaLink, per-page checkpoints, 410 resync, shared throttling windows, and downloads through
// pre-authenticated URLs.
export { syncOneDriveLink, DEFAULT_MAX_FILE_BYTES, type SyncOneDriveLinkOptions, type SyncResult } from './sync-link';
export type { SyncOutcome } from './outcome';
export { resumeLinksForCredential } from './resume';
export { planDeltaPage, subtreeRoots, type PagePlan, type PlanPageInput } from './apply-page';
export { unseenAfterResync } from './resync';
export { GraphClient, DELTA_SELECT, type GraphClientOptions, type DeltaPage, type ChildrenPage } from './graph-client';
export { GraphError, ResyncRequiredError, DeadlineReachedError, LeaseLostError, DownloadError, isFolderDeltaUnsupported } from './errors';
export type { GetGraphToken, GraphDriveItem, StoredItem, FileState } from './types';
export { syncLinkNow } from './runtime';
export { oneDriveReconnectUrl, withGraphConsent, needsOneDriveConsent } from './reconnect';

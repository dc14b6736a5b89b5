// Knowledge bases and their OneDrive links: one verb per file, each taking one options object
// with the caller's userId; another user's knowledge base is simply not found.
export { createKnowledgeBase, type CreateKnowledgeBaseOptions } from './create-knowledge-base';
export { getKnowledgeBase, type GetKnowledgeBaseOptions } from './get-knowledge-base';
export { listKnowledgeBases, type ListKnowledgeBasesOptions } from './list-knowledge-bases';
export { linkOneDriveFolder, type LinkOneDriveFolderOptions } from './link-onedrive-folder';
export { requestSync, type RequestSyncOptions } from './request-sync';
export { listFiles, type ListFilesOptions, type KnowledgeFileView } from './list-files';
export { openFileContent, MAX_KNOWLEDGE_DOWNLOAD_BYTES, type OpenFileContentOptions, type KnowledgeFileContent } from './open-file-content';
export { unlinkOneDriveFolder, type UnlinkOneDriveFolderOptions } from './unlink-onedrive-folder';
export { createKnowledgeBaseInput, linkOneDriveFolderInput, type CreateKnowledgeBaseInput, type LinkOneDriveFolderInput } from './schemas';
export type { KnowledgeBaseView, OneDriveView } from './view';

-- AlterTable
ALTER TABLE "KnowledgeFile" ADD COLUMN     "downloadPending" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "mimeType" TEXT;

-- AlterTable
ALTER TABLE "OneDriveLink" ADD COLUMN     "failureCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "pendingItems" JSONB;

-- CreateIndex
CREATE INDEX "KnowledgeFile_knowledgeBaseId_downloadPending_idx" ON "KnowledgeFile"("knowledgeBaseId", "downloadPending");

-- AlterTable
ALTER TABLE "OneDriveLink" ADD COLUMN     "pendingDeltaLink" TEXT;

-- AlterTable
ALTER TABLE "OneDriveLink" ADD COLUMN     "deltaScope" TEXT NOT NULL DEFAULT 'folder';

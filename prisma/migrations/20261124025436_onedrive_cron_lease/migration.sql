-- AlterTable
ALTER TABLE "OneDriveLink" ADD COLUMN     "cronLeaseOwner" TEXT,
ADD COLUMN     "cronLeaseUntil" TIMESTAMP(3);

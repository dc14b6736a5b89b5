-- AlterTable
ALTER TABLE "MailCredential" ADD COLUMN     "lastAccessedAt" TIMESTAMP(3);

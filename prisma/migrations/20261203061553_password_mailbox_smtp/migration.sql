-- AlterTable
ALTER TABLE "MailCredential" ADD COLUMN     "smtpHost" TEXT,
ADD COLUMN     "smtpPasswordSealed" TEXT,
ADD COLUMN     "smtpPort" INTEGER,
ADD COLUMN     "smtpSecure" BOOLEAN,
ADD COLUMN     "smtpUsername" TEXT;

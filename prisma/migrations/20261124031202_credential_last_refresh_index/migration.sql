-- CreateIndex
CREATE INDEX "MailCredential_lastRefreshAt_idx" ON "MailCredential"("lastRefreshAt");

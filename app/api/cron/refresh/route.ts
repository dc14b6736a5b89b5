// GET or POST /api/cron/refresh (Vercel Cron sends GET with `Authorization: Bearer ${CRON_SECRET}`):
// proactive token refresh and due OneDrive syncs, answered with the run's summary.
import { cronRoute, runScheduledCron } from '@/lib/cron';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
// Vercel stops the function here; the run's budget is derived from it (lib/cron/budget.ts).
export const maxDuration = 60;

const handler = cronRoute(() => runScheduledCron({ maxDurationSeconds: maxDuration }));

export const GET = handler;
export const POST = handler;

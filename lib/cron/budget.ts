// How long a run may start work, from the platform's hard limit (Vercel's maxDuration): stop
// starting well before it, leave time for work in flight to finish, and still answer in time.

export interface CronBudget {
  budgetMs: number;
  drainMs: number;
}

export function cronBudget(input: { maxDurationSeconds: number; budgetSeconds: number }): CronBudget {
  const hardMs = input.maxDurationSeconds * 1000;
  // Two thirds to start work, a fifth to drain it, the rest for the summary and slack.
  const budgetMs = Math.min(input.budgetSeconds * 1000, Math.floor(hardMs * (2 / 3)));
  const drainMs = Math.floor(hardMs / 5);
  return { budgetMs, drainMs };
}

// Graceful shutdown as a sequence of named steps under one time bound. Pure apart from timers:
// the steps, the logger and the clock are injected, so the order, the bound and the isolation of
// failures are tested without a process. A failing or hanging step never stops the ones after
// it: each is cut off at its own timeout (or at what is left of the bound, whichever is sooner),
// and steps left when the bound is spent are reported as skipped.
import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown>;
  /** Longest this step may take (default: whatever is left of the bound). */
  timeoutMs?: number;
}

export type StepOutcome = 'ok' | 'failed' | 'timed_out' | 'skipped';

export interface ShutdownReport {
  steps: Array<{ name: string; outcome: StepOutcome; durationMs: number }>;
  durationMs: number;
}

export interface RunShutdownOptions {
  steps: readonly ShutdownStep[];
  /** The whole sequence ends within this many milliseconds. */
  boundMs: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  clock?: () => number;
}

const TIMED_OUT = Symbol('timed_out');

export async function runShutdown(options: RunShutdownOptions): Promise<ShutdownReport> {
  const clock = options.clock ?? Date.now;
  const log = options.logger;
  const started = clock();
  const deadline = started + options.boundMs;
  const report: ShutdownReport = { steps: [], durationMs: 0 };
  log.info({ boundMs: options.boundMs, steps: options.steps.map((s) => s.name) }, 'shutdown started');
  for (const step of options.steps) {
    const left = deadline - clock();
    const stepStarted = clock();
    if (left <= 0) {
      report.steps.push({ name: step.name, outcome: 'skipped', durationMs: 0 });
      log.warn({ step: step.name, outcome: 'skipped' }, 'shutdown step skipped: out of time');
      continue;
    }
    const limit = Math.min(left, step.timeoutMs ?? left);
    let outcome: StepOutcome;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), limit);
      });
      // A step that throws synchronously is a failed step too.
      const running = Promise.resolve().then(step.run);
      outcome = (await Promise.race([running, timeout])) === TIMED_OUT ? 'timed_out' : 'ok';
      // A step cut off may still reject later: that must not become an unhandled rejection.
      if (outcome === 'timed_out') running.catch(() => undefined);
    } catch (error) {
      outcome = 'failed';
      log.error({ step: step.name, outcome, err: error instanceof Error ? error.name : typeof error }, 'shutdown step failed');
    } finally {
      clearTimeout(timer);
    }
    const durationMs = clock() - stepStarted;
    report.steps.push({ name: step.name, outcome, durationMs });
    if (outcome === 'ok') log.info({ step: step.name, outcome, durationMs }, 'shutdown step done');
    if (outcome === 'timed_out') log.warn({ step: step.name, outcome, durationMs, limitMs: limit }, 'shutdown step timed out');
  }
  report.durationMs = clock() - started;
  log.info({ durationMs: report.durationMs, failed: report.steps.filter((s) => s.outcome !== 'ok').map((s) => s.name) }, 'shutdown finished');
  return report;
}

/** What `installShutdown` needs of the process (a fake in tests). */
export interface ShutdownProcess {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit: (code?: number) => never;
}

export interface InstallShutdownOptions {
  proc: ShutdownProcess;
  signals?: readonly NodeJS.Signals[];
  /** Runs the sequence; its promise settling (or the bound passing) ends the process. */
  run: () => Promise<unknown>;
  /** Hard bound: the process exits after this long whatever the sequence is doing. */
  boundMs: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * On the first signal: runs the sequence and exits (128 + signal) when it is done or the bound
 * passes. `next start` handles the same signals itself (it closes the HTTP server, waits for the
 * requests in flight, then calls process.exit): while the sequence runs, such an exit is
 * deferred until the sequence is done, so leases are released and connections closed before the
 * process goes, and the bound still holds.
 */
export function installShutdown(options: InstallShutdownOptions): void {
  const { proc, logger } = options;
  const realExit = proc.exit.bind(proc);
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    let code = SIGNAL_EXIT[signal] ?? 128;
    let exited = false;
    const finish = (reason: string) => {
      if (exited) return;
      exited = true;
      logger.info({ signal, reason, code }, 'process exiting');
      realExit(code);
    };
    proc.exit = ((requested?: number) => {
      if (typeof requested === 'number' && requested !== 0) code = requested;
      logger.info({ requested }, 'exit deferred until shutdown completes');
      return undefined as never;
    }) as ShutdownProcess['exit'];
    const hard = setTimeout(() => finish('bound'), options.boundMs);
    hard.unref?.();
    logger.info({ signal, boundMs: options.boundMs }, 'shutdown signal received');
    options.run().then(
      () => finish('done'),
      (error: unknown) => {
        logger.error({ err: error instanceof Error ? error.name : typeof error }, 'shutdown sequence threw');
        finish('error');
      },
    ).finally(() => clearTimeout(hard));
  };
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
    // A second signal while shutting down is ignored (the bound still ends the process).
    proc.on(signal, onSignal);
  }
}

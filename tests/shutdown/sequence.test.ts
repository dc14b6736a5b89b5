import { describe, expect, it, vi } from 'vitest';
import { installShutdown, runShutdown, type ShutdownProcess } from '@/lib/shutdown/sequence';

const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('runShutdown', () => {
  it('runs the steps in order, one after the other', async () => {
    const seen: string[] = [];
    const step = (name: string, ms: number) => ({
      name,
      run: async () => {
        seen.push(`${name}:start`);
        await sleep(ms);
        seen.push(`${name}:end`);
      },
    });
    const report = await runShutdown({ steps: [step('a', 20), step('b', 5), step('c', 0)], boundMs: 2_000, logger });
    expect(seen).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
    expect(report.steps.map((s) => [s.name, s.outcome])).toEqual([['a', 'ok'], ['b', 'ok'], ['c', 'ok']]);
  });

  it('a failing step (thrown or rejected) does not stop the ones after it', async () => {
    const ran: string[] = [];
    const report = await runShutdown({
      steps: [
        { name: 'throws', run: () => { throw new Error('sync'); } },
        { name: 'rejects', run: async () => { throw new Error('async'); } },
        { name: 'after', run: async () => { ran.push('after'); } },
      ],
      boundMs: 1_000,
      logger,
    });
    expect(ran).toEqual(['after']);
    expect(report.steps.map((s) => s.outcome)).toEqual(['failed', 'failed', 'ok']);
  });

  it('cuts a hanging step off at its timeout and goes on', async () => {
    const ran: string[] = [];
    const t0 = Date.now();
    const report = await runShutdown({
      steps: [
        { name: 'hangs', run: () => new Promise(() => undefined), timeoutMs: 100 },
        { name: 'after', run: async () => { ran.push('after'); } },
      ],
      boundMs: 5_000,
      logger,
    });
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(ran).toEqual(['after']);
    expect(report.steps.map((s) => s.outcome)).toEqual(['timed_out', 'ok']);
  });

  it('ends within the bound: a step without its own timeout gets what is left, later ones are skipped', async () => {
    const ran: string[] = [];
    const t0 = Date.now();
    const report = await runShutdown({
      steps: [
        { name: 'slow', run: () => sleep(5_000) },
        { name: 'late', run: async () => { ran.push('late'); } },
      ],
      boundMs: 200,
      logger,
    });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(1_000);
    expect(ran).toEqual([]);
    expect(report.steps.map((s) => s.outcome)).toEqual(['timed_out', 'skipped']);
  });
});

function fakeProcess() {
  const listeners = new Map<string, (signal: NodeJS.Signals) => void>();
  const exits: number[] = [];
  const proc: ShutdownProcess = {
    on: (signal, listener) => listeners.set(signal, listener),
    exit: ((code?: number) => {
      exits.push(code ?? 0);
    }) as ShutdownProcess['exit'],
  };
  return { proc, exits, signal: (s: NodeJS.Signals) => listeners.get(s)?.(s) };
}

describe('installShutdown', () => {
  it('exits 143 after the sequence on SIGTERM, deferring an earlier exit call (next start calls one)', async () => {
    const f = fakeProcess();
    let finish!: () => void;
    const run = vi.fn(() => new Promise<void>((r) => (finish = r)));
    installShutdown({ proc: f.proc, run, boundMs: 5_000, logger });
    f.signal('SIGTERM');
    f.signal('SIGTERM');
    expect(run).toHaveBeenCalledTimes(1);
    f.proc.exit(143); // Next's own handler, while the sequence still runs
    await sleep(10);
    expect(f.exits).toEqual([]);
    finish();
    await sleep(10);
    expect(f.exits).toEqual([143]);
  });

  it('exits 130 on SIGINT, also when the sequence throws', async () => {
    const f = fakeProcess();
    installShutdown({ proc: f.proc, run: async () => { throw new Error('x'); }, boundMs: 5_000, logger });
    f.signal('SIGINT');
    await sleep(10);
    expect(f.exits).toEqual([130]);
  });

  it('exits at the bound when the sequence hangs, once', async () => {
    const f = fakeProcess();
    const t0 = Date.now();
    installShutdown({ proc: f.proc, run: () => new Promise(() => undefined), boundMs: 150, logger });
    f.signal('SIGTERM');
    await sleep(100);
    expect(f.exits).toEqual([]);
    await sleep(150);
    expect(f.exits).toEqual([143]);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});

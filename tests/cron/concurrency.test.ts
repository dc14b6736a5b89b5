// The cron's concurrency choice (pure): Little's law on the backlog, the budget left and the
// observed time per refresh, bounded both ways.
import { describe, expect, it } from 'vitest';
import { ASSUMED_LATENCY_MS, chooseConcurrency, LatencyEstimate } from '@/lib/cron/concurrency';

const base = { min: 4, max: 64 };

describe('chooseConcurrency', () => {
  it('keeps enough in flight to finish the backlog inside the budget, with headroom', () => {
    // 10,000 in 40 s at 100 ms each: 250/s × 0.1 s = 25, ×1.25 headroom → 32.
    expect(chooseConcurrency({ ...base, remaining: 10_000, remainingMs: 40_000, latencyMs: 100 })).toBe(32);
    // Twice as slow an endpoint needs twice as many in flight.
    expect(chooseConcurrency({ ...base, remaining: 10_000, remainingMs: 40_000, latencyMs: 200 })).toBe(63);
  });

  it('never goes past the bound, however large the backlog or slow the endpoint', () => {
    expect(chooseConcurrency({ ...base, remaining: 100_000, remainingMs: 40_000, latencyMs: 100 })).toBe(64);
    expect(chooseConcurrency({ ...base, remaining: 10_000, remainingMs: 40_000, latencyMs: 5_000 })).toBe(64);
    expect(chooseConcurrency({ min: 4, max: 10, remaining: 10_000, remainingMs: 40_000, latencyMs: 100 })).toBe(10);
  });

  it('stays at the floor for a small backlog, and never above the work there is', () => {
    expect(chooseConcurrency({ ...base, remaining: 50, remainingMs: 40_000, latencyMs: 100 })).toBe(4);
    expect(chooseConcurrency({ ...base, remaining: 2, remainingMs: 10, latencyMs: 100 })).toBe(4);
    expect(chooseConcurrency({ min: 1, max: 64, remaining: 2, remainingMs: 10, latencyMs: 100 })).toBe(2);
    expect(chooseConcurrency({ ...base, remaining: 0, remainingMs: 40_000, latencyMs: 100 })).toBe(4);
  });

  it('assumes a typical token endpoint before anything was measured', () => {
    const unmeasured = chooseConcurrency({ ...base, remaining: 1_000, remainingMs: 40_000, latencyMs: undefined });
    expect(unmeasured).toBe(chooseConcurrency({ ...base, remaining: 1_000, remainingMs: 40_000, latencyMs: ASSUMED_LATENCY_MS }));
    expect(chooseConcurrency({ ...base, remaining: 1_000, remainingMs: 40_000, latencyMs: 0 })).toBe(unmeasured);
  });

  it('speeds up as the budget runs out, and starts all it may once it has', () => {
    const early = chooseConcurrency({ ...base, remaining: 2_000, remainingMs: 40_000, latencyMs: 100 });
    const late = chooseConcurrency({ ...base, remaining: 2_000, remainingMs: 10_000, latencyMs: 100 });
    expect(late).toBeGreaterThan(early);
    expect(chooseConcurrency({ ...base, remaining: 2_000, remainingMs: 0, latencyMs: 100 })).toBe(64);
  });

  it('keeps the floor inside the bound and both at least one', () => {
    expect(chooseConcurrency({ min: 8, max: 2, remaining: 10, remainingMs: 40_000, latencyMs: 100 })).toBe(2);
    expect(chooseConcurrency({ min: 0, max: 0, remaining: 10, remainingMs: 40_000, latencyMs: 100 })).toBe(1);
  });
});

describe('LatencyEstimate', () => {
  it('starts at the first observation and moves a tenth of the way towards each next one', () => {
    const e = new LatencyEstimate();
    expect(e.value).toBeUndefined();
    e.observe(100);
    expect(e.value).toBe(100);
    e.observe(200);
    expect(e.value).toBeCloseTo(110);
  });

  it('ignores what is not a duration', () => {
    const e = new LatencyEstimate();
    e.observe(Number.NaN);
    e.observe(-5);
    expect(e.value).toBeUndefined();
  });
});

// The process's PostgreSQL pool follows the cron's bound on refreshes in flight (pure).
import { describe, expect, it } from 'vitest';
import { MAX_POOL_SIZE, MIN_POOL_SIZE, poolSizeFor } from '@/lib/db/pool-size';

describe('poolSizeFor', () => {
  it('gives a connection per four refreshes in flight', () => {
    expect(poolSizeFor({ cronMaxConcurrency: 64 })).toBe(16);
    expect(poolSizeFor({ cronMaxConcurrency: 100 })).toBe(25);
  });

  it('keeps room for requests when the cron is small, and stays bounded when it is large', () => {
    expect(poolSizeFor({ cronMaxConcurrency: 16 })).toBe(MIN_POOL_SIZE);
    expect(poolSizeFor({ cronMaxConcurrency: 0 })).toBe(MIN_POOL_SIZE);
    expect(poolSizeFor({ cronMaxConcurrency: 200 })).toBe(MAX_POOL_SIZE);
  });
});

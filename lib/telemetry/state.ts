// Whether this process exports telemetry, and what the instruments observe. Kept on globalThis
// under Symbol.for: the production build bundles lib/ once per route and layer (and once more for
// instrumentation.ts), and every copy must see the one SDK and the one set of watched objects.
import type { CircuitState } from '../cache/circuit';
import type { PoolStats } from '../imap/session-pool';

export interface TelemetryState {
  /** Set by start.ts once the SDK is registered; until then every call returns at once. */
  on: boolean;
  /** Redis circuits by name (lib/cache/redis.ts): the latest registered under a name is observed. */
  circuits: Map<string, () => CircuitState>;
  /** IMAP session pools by name (lib/imap/service.ts), likewise. */
  pools: Map<string, () => PoolStats>;
  /** Flushes and stops the SDK (process shutdown); set by start.ts. */
  shutdown?: () => Promise<void>;
}

const KEY = Symbol.for('mailbridge.telemetry');

export function telemetryState(): TelemetryState {
  const holder = globalThis as typeof globalThis & { [KEY]?: TelemetryState };
  holder[KEY] ??= { on: false, circuits: new Map(), pools: new Map() };
  return holder[KEY];
}

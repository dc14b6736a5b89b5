// What every handler gets: the state, the signing keys, the base URL and the lifecycle helpers.
import type { DriveEmulator } from './drive';
import type { FailureQueue } from './failures';
import type { Sleeper } from './http';
import type { SigningKeys } from './identity/keys';
import type { EmulatorState } from './state';

export interface EmulatorContext {
  state: EmulatorState;
  keys: SigningKeys;
  failures: FailureQueue;
  sleeper: Sleeper;
  drive: DriveEmulator;
  baseUrl: () => string;
}

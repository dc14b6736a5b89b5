// The Graph drive surface of the Microsoft emulator (see drive/emulator.ts). The emulator's HTTP
// server offers every request under /v1.0/ (except /v1.0/me) and under /download/ to `handle`,
// with the caller resolved from a Graph-audience bearer token (null when absent or invalid).
export { DriveEmulator, type DriveEmulatorOptions, type GraphCaller, type DriveStats, type DriveEntry } from './drive/emulator';
export type { ThrottleOptions, ThrottleTarget } from './drive/throttle';
export type { DriveFlavor } from './drive/store';

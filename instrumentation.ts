// Next.js calls register() once per server process at start. The Node.js runtime installs the
// graceful shutdown (lib/shutdown): on SIGTERM/SIGINT the process stops taking new work, hands
// back its leases, closes IMAP, Redis and the database, and exits within a bound. With
// OTEL_EXPORTER_OTLP_ENDPOINT set it also starts OpenTelemetry (lib/telemetry/start.ts); without
// it the SDK is never imported and every telemetry call is a no-op.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { installProcessShutdown } = await import('./lib/shutdown/runtime');
    installProcessShutdown();
    const { telemetryWanted } = await import('./lib/telemetry/wanted');
    const env = telemetryWanted();
    if (env) {
      const { startTelemetry } = await import('./lib/telemetry/start');
      startTelemetry(env);
    }
  }
}

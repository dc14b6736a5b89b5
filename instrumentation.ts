// Next.js calls register() once per server process at start. The Node.js runtime installs the
// graceful shutdown (lib/shutdown): on SIGTERM/SIGINT the process stops taking new work, hands
// back its leases, closes IMAP, Redis and the database, and exits within a bound.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { installProcessShutdown } = await import('./lib/shutdown/runtime');
    installProcessShutdown();
  }
}

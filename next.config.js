/** @type {import('next').NextConfig} */
const nextConfig = {
  // Packages with native or wasm parts, or that read files at run time, stay outside the bundle.
  serverExternalPackages: [
    '@electric-sql/pglite',
    'pglite-prisma-adapter',
    '@prisma/client',
    'pino',
    'ioredis',
    'imapflow',
    'mailparser',
    // OpenTelemetry (lib/telemetry/start.ts): one copy of the API and SDK per process, loaded at
    // run time only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    '@opentelemetry/api',
    '@opentelemetry/sdk-metrics',
    '@opentelemetry/sdk-trace-node',
    '@opentelemetry/exporter-metrics-otlp-http',
    '@opentelemetry/exporter-trace-otlp-http',
    '@opentelemetry/resources',
  ],
  poweredByHeader: false,
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          // No page of this app may be framed (its buttons disconnect mailboxes).
          { key: 'Content-Security-Policy', value: "frame-ancestors 'none'" },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
          { key: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' },
        ],
      },
      // Downloads of untrusted bytes (lib/http/download.ts sets the same; headers configured here
      // take precedence over a route's own, and the later rule wins): should a browser ever
      // render one, it runs nothing and loads nothing.
      ...['/api/mail/accounts/:id/messages/:uid/attachments/:attachmentId', '/api/knowledge/:id/files/:itemId/content'].map((source) => ({
        source,
        headers: [
          { key: 'Content-Security-Policy', value: "default-src 'none'; sandbox; frame-ancestors 'none'" },
          { key: 'Referrer-Policy', value: 'no-referrer' },
        ],
      })),
    ];
  },
};

module.exports = nextConfig;

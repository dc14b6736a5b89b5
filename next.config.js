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
  ],
  poweredByHeader: false,
};

module.exports = nextConfig;

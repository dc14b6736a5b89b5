import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { SandboxBanner } from './_components/sandbox-banner';
import './globals.css';

// Every page depends on the session and on runtime configuration (the sandbox banner).
export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: { default: 'Mailbridge', template: '%s · Mailbridge' },
  description: 'Microsoft 365 mailboxes over IMAP, kept connected',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <SandboxBanner />
        {children}
      </body>
    </html>
  );
}

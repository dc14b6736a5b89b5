import Link from 'next/link';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { currentUser } from '@/lib/auth';
import { NavLinks } from '../_components/nav-links';
import { SignOutButton } from '../_components/sign-out-button';

export default async function SignedInLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  if (!user) redirect('/signin');
  return (
    <>
      <header className="app-header">
        <Link href="/inbox" className="brand">
          Mailbridge
        </Link>
        <NavLinks />
        <div className="who">
          <span>{user.email ?? user.name}</span>
          <SignOutButton />
        </div>
      </header>
      <main id="main" className="page">
        {children}
      </main>
    </>
  );
}

import Link from 'next/link';

export default function Home() {
  return (
    <main style={{ maxWidth: 640, margin: '10vh auto', padding: '0 1rem' }}>
      <h1>Mailbridge</h1>
      <p>Your Microsoft 365 and IMAP mailboxes, kept connected.</p>
      <p>
        <Link href="/accounts">Go to your mailboxes</Link>
      </p>
    </main>
  );
}

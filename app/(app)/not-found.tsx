import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="card stack">
      <h1>Not found</h1>
      <p>This mailbox or message does not exist, or it is not yours.</p>
      <Link href="/inbox">Back to the inbox</Link>
    </div>
  );
}

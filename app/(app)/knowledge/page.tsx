import type { Metadata } from 'next';
import Link from 'next/link';
import { getDb } from '@/lib/db';
import { listKnowledgeBases } from '@/lib/knowledge';
import { JsonForm } from '../../_components/json-form';
import { pageUserId } from '../../_components/page-user';

export const metadata: Metadata = { title: 'Knowledge bases' };

export default async function KnowledgePage() {
  const userId = await pageUserId();
  const bases = await listKnowledgeBases({ db: await getDb(), userId });
  return (
    <div className="stack">
      <h1>Knowledge bases</h1>
      <section className="card" aria-labelledby="kb-list-heading">
        <h2 id="kb-list-heading">Your knowledge bases</h2>
        {bases.length === 0 ? (
          <p className="empty">None yet. Create one below, then link a OneDrive folder to keep it in sync.</p>
        ) : (
          <ul className="account-list">
            {bases.map((kb) => (
              <li key={kb.id}>
                <Link className="address" href={`/knowledge/${encodeURIComponent(kb.id)}`}>
                  {kb.name}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card stack" aria-labelledby="kb-create-heading">
        <h2 id="kb-create-heading">Create a knowledge base</h2>
        <JsonForm
          action="/api/knowledge"
          fields={[{ name: 'name', type: 'text' }]}
          submitLabel="Create"
          busyLabel="Creating…"
          redirectTo="/knowledge/{id}"
        >
          <label>
            Name
            <input name="name" type="text" required maxLength={200} />
          </label>
        </JsonForm>
      </section>
    </div>
  );
}

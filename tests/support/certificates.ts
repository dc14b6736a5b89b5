// Self-signed certificates for certificate-credential tests, made the way docs/operations.md tells
// operators to make theirs (openssl req -x509).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

export function createTestCertificate(options: { days?: number; bits?: number; passphrase?: string } = {}): TestCertificate {
  const dir = mkdtempSync(path.join(tmpdir(), 'mb-cert-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', `rsa:${options.bits ?? 2048}`, '-sha256', '-days', String(options.days ?? 30),
      '-subj', '/CN=mailbridge-test', '-keyout', key, '-out', cert,
      ...(options.passphrase ? ['-passout', `pass:${options.passphrase}`] : ['-noenc']),
    ], { stdio: 'ignore' });
    return { certificatePem: readFileSync(cert, 'utf8'), privateKeyPem: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

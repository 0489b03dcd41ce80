import { Agent } from 'node:https';
import { generate } from 'selfsigned';
import type { TlsIdentity } from './loopback.js';

/**
 * A self-signed certificate for 127.0.0.1, made fresh for a test run: the emulators serve HTTPS
 * with it, and the emulated Lambda runtime and the test's clients trust it (as they trust AWS's CAs).
 */
export async function selfSignedIdentity(): Promise<TlsIdentity> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** SDK client options that trust the emulators' certificate (only it: these clients talk to nothing else). */
export function trusting(tls: TlsIdentity): { requestHandler: { httpsAgent: Agent } } {
  return { requestHandler: { httpsAgent: new Agent({ ca: tls.cert, keepAlive: true }) } };
}

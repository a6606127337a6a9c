/**
 * The local gateway's TLS certificate: self-signed, a CA of its own, valid
 * for `localhost` and `127.0.0.1`, made fresh for each run. The functions'
 * runtimes trust it (local/lambda/function-runtime.ts) as Lambda's trust the
 * public CA behind `*.execute-api.<region>.amazonaws.com`, so a handler that
 * builds its callback URL as AWS documents, `https://${domainName}/${stage}`,
 * reaches the local Management API unchanged.
 */
import { generate } from 'selfsigned';

export interface LocalCertificate {
  /** PEM: the certificate, also the CA to trust. */
  readonly cert: string;
  /** PEM: its private key. */
  readonly key: string;
}

export async function localCertificate(): Promise<LocalCertificate> {
  const pems = await generate([{ name: 'commonName', value: 'serverless-realtime local gateway' }], {
    // EC keys take milliseconds to make; RSA ones a noticeable moment at every start.
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

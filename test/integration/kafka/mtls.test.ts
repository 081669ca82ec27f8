/**
 * TLS client authentication (MSK mTLS): the Kafka adapter, given a PEM certificate and key,
 * presents them in the handshake to a listener that demands one, as the handlers do for
 * authMode tls with recovery:tlsClientCertificateSecretArn. The listener is a plain Node TLS
 * server with certificates made by openssl for this test; it records who connected and hangs up.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../../lambdas/kafka/index.ts';
import { tempDirForSuite } from '../../support/temp-dir.ts';

const dir = tempDirForSuite('recovery-mtls-');
let server: tls.Server;
let port: number;
const pem = (name: string): string => readFileSync(join(dir, name), 'utf8');
const authorizedClients: string[] = [];
const refusedHandshakes: string[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A P-256 key and a certificate for it signed by the test CA. */
function issue(name: string, subject: string, extensions: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
}

beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test private CA');
  issue('broker', '/CN=b-1.test', 'subjectAltName=IP:127.0.0.1\n');
  issue('client', '/CN=coordinator-recovery', 'extendedKeyUsage=clientAuth\n');
  server = tls.createServer({ key: pem('broker.key'), cert: pem('broker.pem'), ca: pem('ca.pem'), requestCert: true, rejectUnauthorized: true }, (socket) => {
    authorizedClients.push(socket.getPeerCertificate().subject.CN as string);
    socket.destroy();
  });
  server.on('tlsClientError', (error) => refusedHandshakes.push(error.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('TLS client authentication', () => {
  it('presents the client certificate the handlers read from the secret', async () => {
    const kafka = createKafkaPort({ brokers: [`127.0.0.1:${port}`], ssl: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') }, connectionTimeoutMs: 2000, requestTimeoutMs: 2000 });
    try {
      // The listener is no broker: the call fails after the handshake, which is the part under test.
      await expect(kafka.metadata()).rejects.toBeDefined();
    } finally {
      await kafka.close();
    }
    expect(authorizedClients).toContain('coordinator-recovery');
  });

  it('is refused by the same listener without one', async () => {
    const before = authorizedClients.length;
    const kafka = createKafkaPort({ brokers: [`127.0.0.1:${port}`], ssl: { ca: pem('ca.pem') }, connectionTimeoutMs: 2000, requestTimeoutMs: 2000 });
    try {
      await expect(kafka.metadata()).rejects.toBeDefined();
    } finally {
      await kafka.close();
    }
    expect(authorizedClients).toHaveLength(before);
    expect(refusedHandshakes.some((message) => /certificate/i.test(message))).toBe(true);
  });

  it('names the missing half of a certificate pair', () => {
    expect(() => createKafkaPort({ brokers: ['127.0.0.1:9094'], ssl: { cert: 'x' } })).toThrow(/^ssl\.key: is missing while ssl\.cert is set/);
  });
});

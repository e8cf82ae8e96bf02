// PEM files named by flags (certificates, CA bundles, keys), checked once at start so a wrong path or a key that
// does not belong to its certificate stops the process with the flag named, not the first TLS handshake hours later.
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { ConfigError } from '../errors.js';

function read(path: string, key: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`${key}: ${flag} ${path} cannot be read: ${(cause as Error).message}`, { path: key, cause });
  }
}

/** The certificates of a PEM bundle (a CA bundle or a chain); at least one, each parseable. */
export function checkCertificates(path: string, key: string, flag: string): X509Certificate[] {
  const blocks = read(path, key, flag).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ConfigError(`${key}: ${flag} ${path} holds no PEM certificate`, { path: key });
  return blocks.map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch (cause) {
      throw new ConfigError(`${key}: ${flag} ${path}: certificate ${i + 1} cannot be parsed: ${(cause as Error).message}`, { path: key, cause });
    }
  });
}

/** A certificate and its key: both readable, and the key the certificate's own. */
export function checkKeyPair(cert: { path: string; key: string; flag: string }, keyFile: { path: string; key: string; flag: string }): void {
  const [leaf] = checkCertificates(cert.path, cert.key, cert.flag);
  let privateKey;
  try {
    privateKey = createPrivateKey(read(keyFile.path, keyFile.key, keyFile.flag));
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError(`${keyFile.key}: ${keyFile.flag} ${keyFile.path} is not a PEM private key: ${(cause as Error).message}`, { path: keyFile.key, cause });
  }
  if (!leaf!.checkPrivateKey(privateKey)) {
    throw new ConfigError(`${keyFile.key}: ${keyFile.flag} ${keyFile.path} is not the key of ${cert.flag} ${cert.path}`, { path: keyFile.key });
  }
}

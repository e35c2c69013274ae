// Ed25519 through node:crypto (OpenSSL), 8-11x faster than noble. Reached through
// process.getBuiltinModule (lib/node-crypto.ts) so that browsers, which lack it, load this file
// and get `undefined`.
// KeyObjects are cached per key instance, so a verify does no key parsing.

import type * as NodeCrypto from 'node:crypto';
import { base64urlEncode } from '../lib/base64url.js';
import { nodeCrypto } from '../lib/node-crypto.js';
import { RecentCache } from '../lib/recent-cache.js';
import type { Ed25519Backend } from './backend.js';

// DER prefixes of an Ed25519 PKCS#8 private key and SPKI public key (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

function withPrefix(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const der = new Uint8Array(prefix.length + key.length);
  der.set(prefix);
  der.set(key, prefix.length);
  return der;
}

function makeNodeBackend(crypto: typeof NodeCrypto): Ed25519Backend {
  const privateKeys = new WeakMap<Uint8Array, NodeCrypto.KeyObject>();
  const publicKeys = new WeakMap<Uint8Array, NodeCrypto.KeyObject>();
  const publicKeysByValue = new RecentCache<string, NodeCrypto.KeyObject>(16_384);

  function privateKeyObject(seed: Uint8Array): NodeCrypto.KeyObject {
    let key = privateKeys.get(seed);
    if (key === undefined) {
      if (seed.length !== 32) throw new TypeError('an Ed25519 seed is 32 bytes');
      const der = withPrefix(PKCS8_PREFIX, seed);
      key = crypto.createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
      privateKeys.set(seed, key);
    }
    return key;
  }

  function publicKeyObject(publicKey: Uint8Array): NodeCrypto.KeyObject {
    let key = publicKeys.get(publicKey);
    if (key !== undefined) return key;
    const value = base64urlEncode(publicKey);
    key = publicKeysByValue.get(value);
    if (key === undefined) {
      const der = withPrefix(SPKI_PREFIX, publicKey);
      key = crypto.createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
      publicKeysByValue.set(value, key);
    }
    publicKeys.set(publicKey, key);
    return key;
  }

  return {
    name: 'node',
    publicKey(seed) {
      const jwk = crypto.createPublicKey(privateKeyObject(seed)).export({ format: 'jwk' });
      return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
    },
    sign(message, seed) {
      return new Uint8Array(crypto.sign(null, message, privateKeyObject(seed)));
    },
    verify(signature, message, publicKey) {
      return crypto.verify(null, message, publicKeyObject(publicKey), signature);
    },
  };
}

/** The node:crypto backend, or undefined where node:crypto is not available. */
export const nodeBackend: Ed25519Backend | undefined =
  nodeCrypto === undefined ? undefined : makeNodeBackend(nodeCrypto);

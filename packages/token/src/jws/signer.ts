// A signing key that may live outside this process (a PKCS#11 token, a cloud KMS): only its
// public half and a sign function are here. Tokens it signs are byte-for-byte those of a key pair
// with the same seed, since the header, payload and signing input are built here, not by it.
// A signature it returns is verified under its public key before a token is made of it, so a
// fault, or a handle that now names another key, can never yield a token that fails to verify.

import { signEd25519, verifyEd25519 } from '../crypto/backend.js';
import { KeyInvalidError, SignatureInvalidError } from '../errors.js';
import { assertKeyPair, type Ed25519KeyPair, jwkThumbprint, toPublicJwk } from '../keys.js';

export interface JwsSigner {
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  readonly publicKey: Uint8Array;
  /** Ed25519 (RFC 8032, pure) signature of the message: 64 bytes. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Signers whose signature needs no check: a seed in this process, checked by assertKeyPair. */
const inProcess = new WeakSet<JwsSigner>();
const checkedKids = new WeakSet<JwsSigner>();

/** A signer over a key pair held in memory. */
export function signerFromKeyPair(keyPair: Ed25519KeyPair): JwsSigner {
  assertKeyPair(keyPair);
  const signer: JwsSigner = {
    kid: keyPair.kid,
    publicKey: keyPair.publicKey,
    sign: async (message) => signEd25519(message, keyPair.privateKey),
  };
  inProcess.add(signer);
  checkedKids.add(signer);
  return signer;
}

export function assertSigner(signer: JwsSigner): void {
  if (checkedKids.has(signer)) return;
  if (signer === null || typeof signer !== 'object' || typeof signer.sign !== 'function') {
    throw new KeyInvalidError('the signer has no sign function');
  }
  if (signer.kid !== jwkThumbprint(toPublicJwk(signer.publicKey))) {
    throw new KeyInvalidError("the signer's kid is not the thumbprint of its public key");
  }
  checkedKids.add(signer);
}

/** The signer's signature of the message, verified under its public key unless it is in memory. */
export async function signWith(signer: JwsSigner, message: Uint8Array): Promise<Uint8Array> {
  assertSigner(signer);
  const signature = await signer.sign(message);
  if (inProcess.has(signer)) return signature;
  if (
    !(signature instanceof Uint8Array) ||
    signature.length !== 64 ||
    !verifyEd25519(signature, message, signer.publicKey)
  ) {
    throw new SignatureInvalidError(
      `the signature made by key ${signer.kid} does not verify under its public key: the signing device holds another key under that name, or failed`,
    );
  }
  return signature;
}

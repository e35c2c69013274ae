// What an operator (or a fault) does on the token behind the issuer's back, for the HSM tests.
import * as pkcs11js from 'pkcs11js';

/** A new Ed25519 key pair labelled `label` on the token, made behind the issuer's back. */
export function generateBehind(p: pkcs11js.PKCS11, session: Buffer, label: string): void {
  p.C_GenerateKeyPair(
    session,
    { mechanism: 0x1055 },
    [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from('06032b6570', 'hex') },
      { type: pkcs11js.CKA_LABEL, value: label },
    ],
    [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SIGN, value: true },
      { type: pkcs11js.CKA_LABEL, value: label },
    ],
  );
}

// Run by pkcs11.test.ts in a child process (vite-node), with SOFTHSM2_CONF and LICENSOR_PKCS11_*
// set: many signatures in flight while the module fails some with CKR_DEVICE_ERROR (as a flaky
// HSM or network link does), each failure dropping the connection. Closing a session while a
// C_Sign runs on it in a libuv worker thread crashes the process (SIGSEGV), hence the child:
// the test reads its exit code and the tally it prints as JSON.
//
// Two failures are injected: every 97th C_SignInit (the session is then reopened and the
// signature made on the retry) and every signature of a message starting with 0xEE (it fails on
// the retry too, so it must surface as a typed error).

import { createRequire } from 'node:module';
import type * as Pkcs11Types from 'pkcs11js';
import { createHsmKey } from './keys.js';

const pkcs11 = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11Types;
const prototype = pkcs11.PKCS11.prototype;
let armed = false;
let signInits = 0;
const signInit = prototype.C_SignInit;
prototype.C_SignInit = function (this: Pkcs11Types.PKCS11, ...args) {
  if (armed && ++signInits % 97 === 0) throw new Error('CKR_DEVICE_ERROR:48');
  return signInit.apply(this, args);
};
// C_SignAsync is made per instance from C_SignCallback (pkcs11js), so the failure goes there.
type SignCallback = (
  session: Buffer,
  data: Buffer,
  out: Buffer,
  done: (error: Error | null, signature: Buffer | null) => void,
) => void;
const withCallback = prototype as unknown as { C_SignCallback: SignCallback };
const signCallback = withCallback.C_SignCallback;
withCallback.C_SignCallback = function (this: Pkcs11Types.PKCS11, session, data, out, done) {
  if (armed && data[0] === 0xee) {
    setImmediate(() => done(new Error('CKR_DEVICE_ERROR:48'), null));
    return;
  }
  signCallback.call(this, session, data, out, done);
};

const rounds = Number(process.env.STORM_ROUNDS ?? '20');
const key = await createHsmKey('license', process.env);
await key.signer.sign(Uint8Array.of(0));
armed = true;
const tally = { ok: 0, failedTyped: 0, failedUntyped: 0, markedOk: 0 };
for (let round = 0; round < rounds; round++) {
  const inflight = Array.from({ length: 64 }, (_, i) => {
    const message = Buffer.alloc(64 * 1024, round);
    const marked = i % 16 === 5;
    message[0] = marked ? 0xee : 0;
    return key.signer.sign(message).then(
      () => {
        tally.ok++;
        if (marked) tally.markedOk++;
      },
      (error: { code?: unknown }) => {
        if (typeof error?.code === 'string' && error.code.startsWith('ERR_HSM_')) {
          tally.failedTyped++;
        } else {
          tally.failedUntyped++;
          console.error(error);
        }
      },
    );
  });
  await Promise.all(inflight);
}
armed = false;
let after = 0;
for (let i = 0; i < 8; i++) {
  await key.signer.sign(Uint8Array.of(1, i)); // verified under the key's public key by the signer
  after++;
}
process.stdout.write(`${JSON.stringify({ ...tally, after })}\n`);

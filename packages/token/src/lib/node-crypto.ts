// node:crypto where the runtime has it (Node 20.16+, reached through process.getBuiltinModule so
// that browsers, which lack it, load this file and get `undefined`); the token package falls
// back to @noble where it is missing.

import type * as NodeCrypto from 'node:crypto';

type BuiltinLoader = (id: string) => unknown;

function loadNodeCrypto(): typeof NodeCrypto | undefined {
  const processObject = (globalThis as { process?: { getBuiltinModule?: BuiltinLoader } }).process;
  const load = processObject?.getBuiltinModule;
  if (typeof load !== 'function') return undefined;
  try {
    const crypto = load('node:crypto') as typeof NodeCrypto | undefined;
    return typeof crypto?.verify === 'function' && typeof crypto.createHash === 'function'
      ? crypto
      : undefined;
  } catch {
    return undefined;
  }
}

/** node:crypto, or undefined where the runtime has none. */
export const nodeCrypto: typeof NodeCrypto | undefined = loadNodeCrypto();

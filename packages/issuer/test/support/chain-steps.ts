// Checks of one installation as the verify service records them, without the service: each
// step presents a chain value and gets the next (see store/check-chain.ts).
import type { ChainStore } from '../../src/store/chain-port.js';
import { stepChain } from '../../src/store/check-chain.js';

export function chainSteps(
  chains: ChainStore,
  installationId: string,
  licenseId: string,
  now: () => number,
) {
  return (presented: string | null, token: string, address: string, credentialsInUse: number) =>
    stepChain(
      chains,
      {
        installationId,
        licenseId,
        presented,
        checkToken: token,
        evidence: { at: now(), address, credentialsInUse, sdkVersion: '0.2.0', presented },
        now: now(),
      },
      'warn',
    );
}

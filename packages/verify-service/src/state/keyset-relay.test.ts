// Which key set versions ride on a status: those after the installation's, as a walkable chain.

import { MAX_RELAYED_KEYSET_CHARS } from '@licensor/token';
import { describe, expect, it } from 'vitest';
import type { KeysetRecord } from '../store-port.js';
import { KeysetRelay } from './keyset-relay.js';

/** A version signed by `signedBy` listing `kids`; its "token" names its version for the test. */
function version(seq: number, signedBy: string, kids: string[], size = 40): KeysetRecord {
  return { seq, token: `v${seq}.`.padEnd(size, 'x'), signedBy, kids, createdAt: seq };
}

function relayOf(records: KeysetRecord[]) {
  let reads = 0;
  const relay = new KeysetRelay({
    listKeysets: async (afterSeq: number) => {
      reads += 1;
      return records.filter((record) => record.seq > afterSeq);
    },
  });
  return { relay, reads: () => reads };
}

const names = (tokens: string[]) => tokens.map((token) => token.split('.')[0]);

// L1 → L2 → L3 over six versions, as rotate / activate / retire publish them.
const history = [
  version(1, 'L1', ['L1', 'S1']),
  version(2, 'L1', ['L1', 'L2', 'S1']), // L2 next
  version(3, 'L2', ['L1', 'L2', 'S1']), // L2 active
  version(4, 'L2', ['L2', 'S1']), // L1 revoked
  version(5, 'L2', ['L2', 'L3', 'S1']), // L3 next
  version(6, 'L3', ['L2', 'L3', 'S1']), // L3 active
];

describe('KeysetRelay', () => {
  it('relays nothing to an installation already on the newest version, or before the first read', async () => {
    const { relay } = relayOf(history);
    expect(relay.relayFor(0)).toEqual([]);
    await relay.refresh();
    expect(relay.newest).toBe(6);
    expect(relay.relayFor(6)).toEqual([]);
    expect(relay.relayFor(9)).toEqual([]);
  });

  it('relays the shortest chain: each step the furthest version a key of the step before signed', async () => {
    const { relay } = relayOf(history);
    await relay.refresh();
    // From version 2 (L1, L2 trusted): 5 is signed by L2, 6 by L3 which 5 lists.
    expect(names(relay.relayFor(2))).toEqual(['v5', 'v6']);
    // From the shipped keys (unknown to the service): the first version, then as above.
    expect(names(relay.relayFor(0))).toEqual(['v1', 'v2', 'v5', 'v6']);
    expect(names(relay.relayFor(5))).toEqual(['v6']);
  });

  it('stops at the size budget; the installation gets the rest at its next check', async () => {
    const big = MAX_RELAYED_KEYSET_CHARS / 2 + 1;
    const { relay } = relayOf([
      version(1, 'L1', ['L1', 'L2'], big),
      version(2, 'L2', ['L2', 'L3'], big),
      version(3, 'L3', ['L3'], big),
    ]);
    await relay.refresh();
    expect(names(relay.relayFor(0))).toEqual(['v1']);
    expect(names(relay.relayFor(1))).toEqual(['v2']);
  });

  it('reads only the versions published since the newest it holds', async () => {
    const records = history.slice(0, 3);
    const { relay, reads } = relayOf(records);
    await relay.refresh();
    expect(relay.newest).toBe(3);
    records.push(history[3]!);
    await relay.refresh();
    expect(relay.newest).toBe(4);
    expect(names(relay.relayFor(3))).toEqual(['v4']);
    expect(reads()).toBe(2);
  });

  it('keeps relaying what it holds when the store cannot be read', async () => {
    let fail = false;
    const relay = new KeysetRelay({
      listKeysets: async (afterSeq: number) => {
        if (fail) throw new Error('store down');
        return history.filter((record) => record.seq > afterSeq);
      },
    });
    await relay.refresh();
    fail = true;
    await relay.refresh();
    expect(names(relay.relayFor(5))).toEqual(['v6']);
  });
});

describe("KeysetRelay: a product's own key sets (#12.1)", () => {
  // Versions 1-3 as above; from 4 the CMS has keys of its own (P1), so 4-6 have a CMS set too.
  const product = (seq: number, kids: string[]) => ({
    ...version(seq, history[seq - 1]!.signedBy, kids),
    token: `cms${seq}.`.padEnd(40, 'x'),
    productId: 'prd_cms',
    product: 'vSEC:CMS',
  });
  const cms = [
    product(4, ['L2', 'S1', 'P1']),
    product(5, ['L2', 'L3', 'S1', 'P1']),
    product(6, ['L2', 'L3', 'S1', 'P1']),
  ];

  function relayWith(productRecords: ReturnType<typeof product>[]) {
    return new KeysetRelay({
      listKeysets: async (afterSeq: number) => history.filter((r) => r.seq > afterSeq),
      listProductKeysets: async (afterSeq: number) =>
        productRecords.filter((r) => r.seq > afterSeq),
    });
  }

  it("gives a check of the product the vendor's versions before its first set, then its own", async () => {
    const relay = relayWith(cms);
    await relay.refresh();
    expect(names(relay.relayFor(0, 'vSEC:CMS'))).toEqual(['v1', 'v2', 'cms5', 'cms6']);
    expect(names(relay.relayFor(3, 'vSEC:CMS'))).toEqual(['cms5', 'cms6']);
    // Another product, and a check naming none: the vendor's versions.
    expect(names(relay.relayFor(3, 'vSEC:Mobile'))).toEqual(['v5', 'v6']);
    expect(names(relay.relayFor(3))).toEqual(['v5', 'v6']);
  });

  it("never relays a vendor's version above the product's newest set (still being written)", async () => {
    const relay = relayWith(cms.slice(0, 2));
    await relay.refresh();
    // Version 6's CMS set is not read yet: the CMS chain ends at 5 for now.
    expect(names(relay.relayFor(3, 'vSEC:CMS'))).toEqual(['cms5']);
    expect(relay.relayFor(5, 'vSEC:CMS')).toEqual([]);
  });
});

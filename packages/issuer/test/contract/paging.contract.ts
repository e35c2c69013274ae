// Contract: the long lists page by cursor (keyset), so a deep page costs what the first does:
// licenses newest change first, customers by name (ASCII case folded) then id.

import { expect, it } from 'vitest';
import type { License } from '../../src/records.js';
import {
  customerCursor,
  licenseCursor,
  licensePages,
  nextCursorOf,
} from '../../src/store/cursors.js';
import type { Adapter } from '../support/adapters.js';
import { frozenClock, TestInstallation } from '../support/fixtures.js';
import { writeCustomerName } from '../support/legacy-customer-name.js';
import { openedIssuer } from '../support/opened-issuer.js';

export function pagingContract(adapter: Adapter): void {
  const clock = frozenClock();
  const opened = openedIssuer(adapter, clock);

  /** Licenses for these customers; two share each issue time (the id breaks the tie). */
  async function issueFor(names: string[]): Promise<License[]> {
    const issued: License[] = [];
    for (const [i, customerName] of names.entries()) {
      if (i % 2 === 0) clock.advance(1_000);
      const { license } = await opened.issuer.issue(
        new TestInstallation().challenge(),
        { customerName, model: 'perpetual', credentials: 5 },
        'alice',
      );
      issued.push(license);
    }
    return issued;
  }

  async function allByCursor(size: number): Promise<string[]> {
    const ids: string[] = [];
    for await (const page of licensePages((f) => opened.store.listLicenses(f), {}, size)) {
      expect(page.length).toBeLessThanOrEqual(size);
      ids.push(...page.map((l) => l.id));
    }
    return ids;
  }

  it('pages the licenses by cursor in the order of the whole list, each once', async () => {
    await issueFor(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
    const whole = (await opened.store.listLicenses({ limit: 100 })).map((l) => l.id);
    expect(whole).toHaveLength(7);
    for (const size of [1, 2, 3, 7]) expect(await allByCursor(size)).toEqual(whole);
    // A filter holds across pages: after a customer's only license comes none of the others.
    const [only] = await opened.store.listLicenses({ q: 'D', limit: 1 });
    expect(only?.customerName).toBe('D');
    const rest = { customerId: only!.customerId, after: licenseCursor(only!) };
    expect(await opened.store.listLicenses(rest)).toEqual([]);
  });

  it('pages back by cursor (before): the pages the cursor came through, in list order', async () => {
    await issueFor(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
    const whole = (await opened.store.listLicenses({ limit: 100 })).map((l) => l.id);
    for (const size of [1, 2, 3]) {
      // Forward to the last page, then back again from the first license of each page.
      const pages: License[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await opened.store.listLicenses({
          limit: size,
          ...(after === undefined ? {} : { after }),
        });
        if (page.length === 0) break;
        pages.push(page);
        after = licenseCursor(page[page.length - 1]!);
      }
      for (let i = pages.length - 1; i > 0; i -= 1) {
        const back = await opened.store.listLicenses({
          limit: size,
          before: licenseCursor(pages[i]![0]!),
        });
        expect(back.map((l) => l.id)).toEqual(pages[i - 1]!.map((l) => l.id));
      }
      expect(
        await opened.store.listLicenses({ limit: size, before: licenseCursor(pages[0]![0]!) }),
      ).toEqual([]);
    }
    // Fewer than a page before the cursor: just those, in list order.
    const third = (await opened.store.listLicenses({ limit: 100 }))[2]!;
    const nearTop = await opened.store.listLicenses({ limit: 5, before: licenseCursor(third) });
    expect(nearTop.map((l) => l.id)).toEqual(whole.slice(0, 2));
    // A filter holds going back too.
    const [d] = await opened.store.listLicenses({ q: 'D', limit: 1 });
    expect(
      await opened.store.listLicenses({ customerId: d!.customerId, before: licenseCursor(d!) }),
    ).toEqual([]);
  });

  it('refuses before beside after or offset (ERR_INPUT_INVALID naming before)', async () => {
    const [license] = await issueFor(['A']);
    const cursor = licenseCursor(license!);
    for (const filter of [
      { before: cursor, after: cursor },
      { before: cursor, offset: 1 },
    ]) {
      await expect(opened.store.listLicenses(filter)).rejects.toMatchObject({
        code: 'ERR_INPUT_INVALID',
        message: expect.stringContaining('before'),
      });
    }
    await expect(opened.store.listLicenses({ before: 'nonsense' })).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
  });

  it('neither repeats nor skips a license changed while the pages are read', async () => {
    await issueFor(['A', 'B', 'C', 'D', 'E', 'F']);
    const whole = (await opened.store.listLicenses({ limit: 100 })).map((l) => l.id);
    const seen: string[] = [];
    let changed = false;
    for await (const page of licensePages((f) => opened.store.listLicenses(f), {}, 2)) {
      seen.push(...page.map((l) => l.id));
      if (!changed) {
        // The last license of the list changes: it moves to the front, ahead of the cursor.
        changed = true;
        clock.advance(60_000);
        await opened.issuer.suspend(whole[whole.length - 1]!, 'alice', 'unpaid');
      }
    }
    expect(seen.slice(0, 2)).toEqual(whole.slice(0, 2));
    expect(new Set(seen).size).toBe(seen.length);
    // Read by offset, the move would have skipped one: by cursor every other license is seen.
    expect([...seen].sort()).toEqual(whole.slice(0, -1).sort());
  });

  it('finds the licenses changed since a time (updatedSince), with the other filters, by page', async () => {
    const [a, b, c, d] = await issueFor(['A', 'B', 'C', 'D']);
    const since = clock.now() + 1;
    clock.advance(60_000);
    // Changes after `since`: a suspension, and a new license; A and B stay as issued.
    await opened.issuer.suspend(a!.id, 'alice', 'unpaid');
    const [e] = await issueFor(['E']);
    const ids = async (filter: Parameters<typeof opened.store.listLicenses>[0]) => {
      const found: string[] = [];
      for await (const page of licensePages((f) => opened.store.listLicenses(f), filter, 1)) {
        found.push(...page.map((l) => l.id));
      }
      return found;
    };
    expect(await ids({ updatedSince: since })).toEqual([e!.id, a!.id]);
    expect(await ids({ updatedSince: since, state: 'active' })).toEqual([e!.id]);
    // At or after: the time of a change itself is in.
    expect(await ids({ updatedSince: e!.updatedAt })).toEqual([e!.id]);
    expect(await ids({ updatedSince: e!.updatedAt + 1 })).toEqual([]);
    expect((await ids({ updatedSince: 0 })).sort()).toEqual(
      [a!.id, b!.id, c!.id, d!.id, e!.id].sort(),
    );
  });

  it('pages the active subscriptions ending in a window by (term end, id), each once', async () => {
    const subscription = async (termDays: number) =>
      (
        await opened.issuer.issue(
          new TestInstallation().challenge(),
          { customerName: 'Acme', model: 'subscription', credentials: 5, termDays, graceDays: 1 },
          'alice',
        )
      ).license;
    // Two pairs end at the same second (the id orders each pair); one is suspended, one
    // revoked, one perpetual, one ends past the window.
    const [a, b] = [await subscription(10), await subscription(10)];
    const [c, d] = [await subscription(20), await subscription(20)];
    const suspended = await subscription(15);
    const revoked = await subscription(16);
    const later = await subscription(40);
    await issueFor(['Perpetual']);
    await opened.issuer.suspend(suspended.id, 'alice', 'unpaid');
    await opened.issuer.revoke(revoked.id, 'alice', 'refund');
    const from = a.term!.start;
    const before = from + 30 * 86_400;
    const expected = [...[a, b].map((l) => l.id).sort(), ...[c, d].map((l) => l.id).sort()];
    for (const size of [1, 2, 3, 100]) {
      const seen: string[] = [];
      let after: { termEnd: number; id: string } | null = null;
      for (;;) {
        const page = await opened.store.listSubscriptionsEnding(from, before, after, size);
        seen.push(...page.map((l) => l.id));
        const last = page[page.length - 1];
        if (page.length < size || last === undefined) break;
        after = { termEnd: last.term!.end, id: last.id };
      }
      expect(seen).toEqual(expected);
    }
    // The window's ends: `from` in, `before` out.
    const end = a.term!.end;
    const ids = async (lo: number, hi: number) =>
      (await opened.store.listSubscriptionsEnding(lo, hi, null, 100)).map((l) => l.id);
    expect(await ids(end, end + 1)).toEqual(expected.slice(0, 2));
    expect(await ids(end + 1, c.term!.end)).toEqual([]);
    expect(await ids(from, end)).toEqual([]);
    expect(await ids(later.term!.end, later.term!.end + 1)).toEqual([later.id]);
  });

  it('refuses a cursor it did not give out (ERR_INPUT_INVALID) and changes nothing', async () => {
    await issueFor(['A', 'B']);
    const before = await opened.store.listLicenses({});
    for (const cursor of ['', 'not a cursor', Buffer.from('[1]').toString('base64url'), 'e30']) {
      await expect(opened.store.listLicenses({ after: cursor })).rejects.toMatchObject({
        code: 'ERR_INPUT_INVALID',
      });
      await expect(opened.store.listCustomers({ after: cursor })).rejects.toMatchObject({
        code: 'ERR_INPUT_INVALID',
      });
    }
    expect(await opened.store.listLicenses({})).toEqual(before);
  });

  it('pages the customers by name, case folded, then id', async () => {
    // Names that differ only in case: written before customer names were unique ignoring case.
    const issued = await issueFor(['beta', 'Acme', 'zed', 'Beta 2', 'alpha', 'acme 2']);
    await writeCustomerName(opened.store, issued[3]!.customerId, 'Beta', clock.now());
    await writeCustomerName(opened.store, issued[5]!.customerId, 'acme', clock.now());
    const names = (await opened.store.listCustomers()).map((c) => c.name);
    // 'acme' and 'Acme' (and 'beta', 'Beta') fold to one key: their ids order them.
    expect(names.map((n) => n.toLowerCase())).toEqual([
      'acme',
      'acme',
      'alpha',
      'beta',
      'beta',
      'zed',
    ]);
    const whole = (await opened.store.listCustomers()).map((c) => c.id);
    for (const size of [1, 2, 4]) {
      const ids: string[] = [];
      let after: string | null | undefined;
      while (after !== null) {
        const page = await opened.store.listCustomers({
          limit: size,
          ...(after === undefined ? {} : { after }),
        });
        ids.push(...page.map((c) => c.id));
        after = nextCursorOf(page, size, customerCursor);
      }
      expect(ids).toEqual(whole);
    }
    // No store field leaks into the records (MongoDB keeps a folded sort key).
    expect(Object.keys((await opened.store.listCustomers({ limit: 1 }))[0]!).sort()).toEqual(
      ['createdAt', 'id', 'name', 'updatedAt', 'version'].sort(),
    );
  });

  it('finds customers whose name starts with a search, case folded, a page at a time', async () => {
    await issueFor(['Acme Bank', 'acme corp', 'Acmeville', 'Bacme', 'Ac', 'Zeta Acme', 'Ångström']);
    const names = async (q: string, limit?: number) =>
      (await opened.store.listCustomers({ q, ...(limit === undefined ? {} : { limit }) })).map(
        (c) => c.name,
      );
    // A prefix of the name, ASCII letters folded; not a match inside the name.
    expect(await names('ACME')).toEqual(['Acme Bank', 'acme corp', 'Acmeville']);
    expect(await names('acme ')).toEqual(['Acme Bank', 'acme corp']);
    expect(await names('Ac')).toEqual(['Ac', 'Acme Bank', 'acme corp', 'Acmeville']);
    expect(await names('Å')).toEqual(['Ångström']);
    expect(await names('nobody')).toEqual([]);
    expect(await names('')).toHaveLength(7);
    // Pages of a search go on from the cursor and stay within the search.
    const first = await opened.store.listCustomers({ q: 'acme', limit: 2 });
    const rest = await opened.store.listCustomers({
      q: 'acme',
      after: customerCursor(first[1]!),
    });
    expect([...first, ...rest].map((c) => c.name)).toEqual(['Acme Bank', 'acme corp', 'Acmeville']);
  });

  it.runIf(adapter.name === 'mongo')(
    'gives customers stored before names were folded their sort key (MongoDB, on open)',
    async () => {
      await issueFor(['beta', 'Acme', 'zed', 'alpha']);
      const expected = await opened.store.listCustomers();
      // As an older Licensor left them: no folded name key, so no place in the name order.
      const mongo = opened.store as unknown as {
        models: { customers: { updateMany(filter: object, update: object): Promise<unknown> } };
        foldCustomerNames(): Promise<void>;
      };
      await mongo.models.customers.updateMany({}, { $unset: { nameKey: 1 } });
      await mongo.foldCustomerNames();
      expect(await opened.store.listCustomers()).toEqual(expected);
      expect(expected.map((c) => c.name)).toEqual(['Acme', 'alpha', 'beta', 'zed']);
    },
  );
}

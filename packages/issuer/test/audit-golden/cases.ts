// The inputs of the audit chain's golden lines (#15 review S6): values and events whose canonical
// JSON is easy to get wrong (odd and numeric keys, an own `__proto__`, lone surrogates, U+2028,
// -0, NaN, 1e21, a Date, nested arrays, undefined members). golden.json holds what the code of
// commit 3e9e5b3 (before the issue writer's line parts) made of them: its canonicalJson of each
// value, and for each event its legacy line, its line and hash chained in order, and the lines
// and hashes of the same events chained after a given head. Regenerate it only from that
// commit's code (see the test's header); the current code must give exactly these bytes, or an
// existing store's hash chain would no longer verify.

import type { AuditEvent } from '../../src/records.js';

/** An object with an own member named `__proto__` (as JSON.parse makes it), beside others. */
function withProto(): Record<string, unknown> {
  return JSON.parse('{"__proto__":{"polluted":true},"b":1,"a":[1,{"__proto__":null}]}') as Record<
    string,
    unknown
  >;
}

/** Members whose names sort oddly: numeric (array-index) names, empty, escapes, non-BMP. */
function oddKeys(): Record<string, unknown> {
  return {
    b: 1,
    10: 'ten',
    2: 'two',
    '-1': 'minus one',
    '01': 'zero one',
    4294967295: 'not an index',
    '': 'empty',
    A: 'upper',
    é: 'e acute',
    '\u2028': 'line separator',
    '\ud83d\ude00': 'emoji',
    '\ud800': 'lone high surrogate',
    'a"b\\c': 'quote and backslash',
    '\u0000\u001f': 'controls',
  };
}

export function goldenValues(): { name: string; value: unknown }[] {
  return [
    { name: 'null', value: null },
    { name: 'undefined', value: undefined },
    { name: 'minus zero', value: -0 },
    { name: 'NaN', value: Number.NaN },
    { name: 'Infinity', value: Number.NEGATIVE_INFINITY },
    { name: '1e21', value: 1e21 },
    { name: 'small and odd numbers', value: [1e-7, 0.1 + 0.2, 2 ** 53 + 2, -1e-300, 5e-324] },
    { name: 'a Date', value: new Date(Date.UTC(2026, 10, 30, 23, 46)) },
    { name: 'a Date as a member', value: { at: new Date(0), b: [new Date(1)] } },
    { name: 'lone surrogates', value: ['\ud800', '\udfff', 'a\udc00b', '\ud83d\ude00'] },
    { name: 'U+2028 and U+2029', value: { text: 'a\u2028b\u2029c' } },
    { name: 'odd and numeric keys', value: oddKeys() },
    { name: 'an own __proto__', value: withProto() },
    {
      name: 'nested arrays with holes and undefined',
      // biome-ignore lint/suspicious/noSparseArray: a hole is one of the cases.
      value: [[], [[]], [1, [2, [3, [undefined, null]]]], [, 1], { a: [undefined] }],
    },
    { name: 'undefined members', value: { a: undefined, b: { c: undefined, d: 1 }, e: null } },
    { name: 'a function and a symbol', value: { f: () => 1, s: Symbol('s'), n: [() => 1] } },
    { name: 'toJSON', value: { a: { toJSON: () => 'from toJSON' }, b: 1 } },
    { name: 'strings with escapes', value: ['"', '\\', '\n\t\r\b\f', '\u007f', '</script>'] },
  ];
}

const T = Date.UTC(2026, 10, 30, 23, 46);

/** Events as a writer hands them to the store (details before the store's normalisation). */
export function goldenEvents(): AuditEvent[] {
  const events: AuditEvent[] = [
    {
      id: 'evt_plain',
      at: T,
      actor: 'alice',
      action: 'license.issue',
      subjectId: 'lic_1',
      transactionId: 'txn_1',
      details: { credentials: 500, product: 'cms' },
    },
    {
      id: 'evt_tricky',
      at: T + 1,
      actor: 'bob',
      action: 'license.revoke',
      subjectId: null,
      transactionId: null,
      details: {
        keys: oddKeys(),
        proto: withProto(),
        numbers: [-0, Number.NaN, 1e21, 1e-7, Number.POSITIVE_INFINITY],
        when: new Date(T),
        text: ['\ud800', 'a\u2028b', '\ud83d\ude00', '"\\'],
        // biome-ignore lint/suspicious/noSparseArray: a hole is one of the cases.
        nested: [[1, [2, [undefined]]], [], [, 3]],
        gone: undefined,
        deep: { a: { b: { c: undefined, d: [{}] } } },
      },
    },
    {
      // Members missing (undefined subject, transaction and details): each null, details {}.
      id: 'evt_missing',
      at: T + 2,
      actor: 'carol',
      action: 'key.rotate',
      subjectId: undefined,
      transactionId: undefined,
      details: undefined,
    } as unknown as AuditEvent,
    {
      // A details object whose own __proto__ is the only member, and a fractional time.
      id: 'evt_proto',
      at: T + 2.5,
      actor: 'dave\u2028',
      // Precomposed and decomposed e acute: bytes as given, never normalised.
      action: 'user.add.\u00e9\u0065\u0301',
      subjectId: '\ud800',
      transactionId: 'txn_"quoted"',
      details: withProto(),
    },
    {
      // A member of another type: the line parts take the general way.
      id: 'evt_odd_types',
      at: T + 3,
      actor: 'erin',
      action: 'request.create',
      subjectId: 42,
      transactionId: null,
      details: { '"prev":null,"seq":0': 'the place hole as a key', v: '"prev":null,"seq":0' },
    } as unknown as AuditEvent,
    {
      // Members the line does not hold (extra) are left out of it.
      id: 'evt_extra',
      at: -0,
      actor: 'frank',
      action: 'license.issue',
      subjectId: 'lic_2',
      transactionId: 'txn_2',
      details: { a: 1 },
      extra: 'not in the line',
    } as unknown as AuditEvent,
  ];
  return events;
}

/** The head the second chain of the golden events starts after. */
export const GOLDEN_HEAD = { seq: 41, hash: 'x'.repeat(43), at: T - 1 };

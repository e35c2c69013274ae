// Compatibility barrel: the types now live by role. Import from the module of the role instead:
// records.ts (what the store holds), store/ports.ts (the store's role ports, LicensorStore),
// facade.ts (the Issuer object and what its calls take and give).

export type * from './facade.js';
export type * from './records.js';
export type * from './store/ports.js';

// The replica set and the database users of the production layout: compose.yaml's mongo-init runs
// it (`mongosh --host mongo1 --quiet --authenticationDatabase admin -u ADMIN -p … --file
// /licensor/mongo-init.js`, as the administrator, with access control on); run it the same way
// against your own cluster. It is the one definition of the verify service's role: docs/deploying.md
// lists the same grants, and packages/verify-service/test/mongo-grants.test.ts compares both with
// every command the verify service runs against a MongoDB store.
// Re-running it is safe, and brings a role made by an older version to the privileges below.
// Passwords come from the environment (deploy/mongo-users.env).

const DB = 'licensor';
const grant = (collection, ...actions) => ({ resource: { db: DB, collection }, actions });

// The verify service (licensor_verify): what a check reads and writes, nothing else. It cannot
// write a license, a user or a key, nor create a collection or an index (the issuer does).
const licensorVerify = [
  grant('licenses', 'find'),
  grant('requests', 'find'),
  grant('signing_keys', 'find'),
  grant('keysets', 'find'),
  grant('product_keysets', 'find'),
  grant('checks', 'insert'),
  grant('check_failures', 'insert'),
  grant('installation_keysets', 'find', 'insert', 'update'),
  grant('held_revisions', 'find', 'insert', 'update'),
  grant('chain_heads', 'find', 'insert', 'update'),
  grant('forks', 'find', 'insert', 'update'),
  grant('fork_policies', 'find'),
  grant('check_nonces', 'find', 'insert', 'update', 'remove', 'listIndexes'),
  grant('chain_locks', 'find', 'insert', 'remove'),
];

try {
  rs.status();
} catch (_notInitiated) {
  rs.initiate({
    _id: 'rs0',
    members: [
      { _id: 0, host: 'mongo1:27017' },
      { _id: 1, host: 'mongo2:27017' },
      { _id: 2, host: 'mongo3:27017' },
    ],
  });
}
while (!db.hello().isWritablePrimary) sleep(500);

const licensor = db.getSiblingDB(DB);
if (licensor.getRole('licensorVerify')) {
  licensor.updateRole('licensorVerify', { privileges: licensorVerify, roles: [] });
} else {
  licensor.createRole({ role: 'licensorVerify', privileges: licensorVerify, roles: [] });
}
if (!licensor.getUser('licensor_verify')) {
  licensor.createUser({
    user: 'licensor_verify',
    pwd: process.env.LICENSOR_VERIFY_DB_PASSWORD,
    roles: ['licensorVerify'],
  });
}
// The portal and licensor-issuer (licensor_issuer) own the schema: they create the collections
// and indexes and write everything, so they get the built-in readWrite on the one database.
if (!licensor.getUser('licensor_issuer')) {
  licensor.createUser({
    user: 'licensor_issuer',
    pwd: process.env.LICENSOR_ISSUER_DB_PASSWORD,
    roles: ['readWrite'],
  });
}

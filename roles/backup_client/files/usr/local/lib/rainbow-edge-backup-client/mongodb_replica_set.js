// Copyright: rainbow.edge contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
// Managed by rainbow.edge (role backup_client): changes here are replaced.
//
// What the backup job asks of the MongoDB replica set, through mongosh:
//   mongosh --nodb --quiet --file mongodb_replica_set.js
// with RAINBOW_EDGE_MONGODB_CONFIG naming the configuration (JSON, 0600:
// {user, password, members: ["host:port"], replica_set, ca}) and
// RAINBOW_EDGE_MONGODB_ASK one of:
//   source     the member the dump reads from: the healthy secondary first by
//              name (a dump slows no client there), the primary only when no
//              secondary is healthy
//   databases  the application databases the replica set holds, one a line
//              (a restore refuses to overwrite them unless asked)
// The password never leaves the configuration file (not on any command line).
const fs = require('fs');
const config = JSON.parse(fs.readFileSync(process.env.RAINBOW_EDGE_MONGODB_CONFIG, 'utf8'));
const uri = 'mongodb://' + encodeURIComponent(config.user) + ':' + encodeURIComponent(config.password) + '@' +
  config.members.join(',') + '/?replicaSet=' + encodeURIComponent(config.replica_set) +
  '&tls=true&tlsCAFile=' + encodeURIComponent(config.ca) + '&authSource=admin';
const admin = new Mongo(uri).getDB('admin');
const ask = process.env.RAINBOW_EDGE_MONGODB_ASK;
if (ask === 'source') {
  const status = admin.runCommand({ replSetGetStatus: 1 });
  if (!status.ok) {
    throw new Error('replSetGetStatus: ' + status.errmsg);
  }
  const named = (state) => status.members.filter((m) => m.stateStr === state && m.health === 1).map((m) => m.name).sort();
  const chosen = named('SECONDARY')[0] || named('PRIMARY')[0];
  if (!chosen) {
    throw new Error('the replica set has no primary and no healthy secondary');
  }
  print(chosen);
} else if (ask === 'databases') {
  const system = ['admin', 'config', 'local'];
  admin.adminCommand({ listDatabases: 1, nameOnly: true }).databases
    .map((d) => d.name).filter((name) => !system.includes(name)).sort().forEach((name) => print(name));
} else {
  throw new Error('RAINBOW_EDGE_MONGODB_ASK: expected source or databases; got ' + ask);
}

// Reference "typical Node.js" refresh-token authority for the tessera benchmark.
//
// express + jsonwebtoken + better-sqlite3, one process, doing per rotation exactly
// what tessera's store does (src/storage/sql_sessions.rs): in one transaction SPEND
// (UPDATE ... RETURNING the family and its user) and INSERT_CHILD (INSERT ... SELECT FROM
// refresh_families), then one ES256 signature for the access token.
//
// It answers only what the benchmark needs:
//   POST /oauth/token grant_type=password  (username/password = BENCH_EMAIL/BENCH_PASSWORD;
//        plain comparison, no argon2: logins are not what is measured)
//   POST /oauth/token grant_type=refresh_token
//   GET  /healthz
//
// Env: LISTEN_HOST (127.0.0.1), LISTEN_PORT (8090), DB_PATH, MIGRATION (path to
// migrations/sqlite/0001_initial.sql), BENCH_EMAIL, BENCH_PASSWORD.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const express = require('express');
const jwt = require('jsonwebtoken');
const Database = require('better-sqlite3');

const HOST = process.env.LISTEN_HOST || '127.0.0.1';
const PORT = Number(process.env.LISTEN_PORT || 8090);
const DB_PATH = process.env.DB_PATH || 'node-bench.db';
const MIGRATION = process.env.MIGRATION;
const EMAIL = process.env.BENCH_EMAIL || 'bench@example.com';
const PASSWORD = process.env.BENCH_PASSWORD || 'correct horse battery staple';
const ISSUER = 'http://localhost:8090';
const ACCESS_TTL = 15 * 60;
const REFRESH_TTL = 30 * 86400;
const IDLE_TTL = 7 * 86400;

if (!['127.0.0.1', 'localhost', '::1'].includes(HOST) && !HOST.startsWith('127.')) {
  throw new Error('loopback only');
}

const db = new Database(DB_PATH);
// Same settings as tessera's SQLite pool (src/storage/connect.rs).
db.pragma('journal_mode = WAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
// MIGRATION is a file or a directory of them (applied in name order), tessera's schema.
if (MIGRATION && !db.prepare("SELECT name FROM sqlite_master WHERE name = 'refresh_tokens'").get()) {
  const files = fs.statSync(MIGRATION).isDirectory()
    ? fs.readdirSync(MIGRATION).filter((f) => f.endsWith('.sql')).sort().map((f) => path.join(MIGRATION, f))
    : [MIGRATION];
  for (const file of files) db.exec(fs.readFileSync(file, 'utf8'));
}

// Identical statement text to tessera's SPEND and INSERT_CHILD ($n placeholders are
// SQLite's numbered parameters too).
const SPEND = db.prepare(
  'UPDATE refresh_tokens SET used_at = $1, child_hash = $3 ' +
  'WHERE hash = $2 AND used_at IS NULL AND expires_at > $1 ' +
  'AND family_id IN (SELECT id FROM refresh_families WHERE id = refresh_tokens.family_id AND revoked_at IS NULL AND expires_at > $1) ' +
  'RETURNING family_id AS id, ' +
  '(SELECT f.user_id FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS user_id, ' +
  '(SELECT f.client_id FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS client_id, ' +
  '(SELECT f.scope FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS scope, ' +
  '(SELECT f.expires_at FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS expires_at, ' +
  '(SELECT f.revoked_at FROM refresh_families f WHERE f.id = refresh_tokens.family_id) AS revoked_at, ' +
  '(SELECT u.roles FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE f.id = refresh_tokens.family_id) AS roles, ' +
  '(SELECT u.disabled_at FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE f.id = refresh_tokens.family_id) AS disabled_at');
const INSERT_CHILD = db.prepare(
  'INSERT INTO refresh_tokens (hash, family_id, parent_hash, created_at, expires_at) ' +
  'SELECT $1, id, $2, $3, CASE WHEN $4 < expires_at THEN $4 ELSE expires_at END ' +
  'FROM refresh_families WHERE id = $5');
const INSERT_FAMILY = db.prepare(
  'INSERT INTO refresh_families (id, user_id, client_id, scope, created_at, expires_at) VALUES (?, ?, NULL, ?, ?, ?)');
const INSERT_FIRST = db.prepare(
  'INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at) VALUES (?, ?, ?, ?)');

const USER_ID = 'bench-user';
db.prepare(
  "INSERT INTO users (id, email, password_hash, roles, created_at) VALUES (?, ?, 'x', 'admin', ?) ON CONFLICT (email) DO NOTHING",
).run(USER_ID, EMAIL, Math.floor(Date.now() / 1000));

const rotate = db.transaction((now, presentedHash, childHash) => {
  const spent = SPEND.get({ 1: now, 2: presentedHash, 3: childHash });
  if (!spent) return null;
  INSERT_CHILD.run({ 1: childHash, 2: presentedHash, 3: now, 4: now + IDLE_TTL, 5: spent.id });
  return spent.id;
});

const startFamily = db.transaction((familyId, now, hash) => {
  INSERT_FAMILY.run(familyId, USER_ID, '', now, now + REFRESH_TTL);
  INSERT_FIRST.run(hash, familyId, now, now + Math.min(IDLE_TTL, REFRESH_TTL));
});

const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const KID = crypto.randomBytes(16).toString('base64url');

const newRefresh = () => crypto.randomBytes(32).toString('base64url');
const sha256 = (s) => crypto.createHash('sha256').update(s).digest();

function issue(familyId, grant) {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign(
    {
      iss: ISSUER, sub: USER_ID, aud: ISSUER, iat: now, nbf: now, exp: now + ACCESS_TTL,
      jti: crypto.randomBytes(16).toString('base64url'), client_id: 'tessera', scope: '',
      roles: ['admin'], sid: familyId,
    },
    privateKey,
    { algorithm: 'ES256', keyid: KID, header: { typ: 'at+jwt' } },
  );
}

function tokenResponse(res, access, refresh) {
  res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache').json({
    access_token: access, token_type: 'Bearer', expires_in: ACCESS_TTL, refresh_token: refresh,
  });
}

function invalidGrant(res) {
  res.status(400).set('Cache-Control', 'no-store').json({
    error: 'invalid_grant', error_description: 'the grant is invalid, expired or revoked',
  });
}

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(express.urlencoded({ extended: false }));

app.get('/healthz', (req, res) => res.json({ status: 'ok' }));

app.post('/oauth/token', (req, res) => {
  const body = req.body || {};
  const now = Math.floor(Date.now() / 1000);
  if (body.grant_type === 'refresh_token') {
    const presented = body.refresh_token;
    if (typeof presented !== 'string' || presented.length !== 43) return invalidGrant(res);
    const child = newRefresh();
    const familyId = rotate(now, sha256(presented), sha256(child));
    if (!familyId) return invalidGrant(res);
    return tokenResponse(res, issue(familyId, 'refresh_token'), child);
  }
  if (body.grant_type === 'password') {
    if (body.username !== EMAIL || body.password !== PASSWORD) return invalidGrant(res);
    const familyId = crypto.randomBytes(16).toString('base64url');
    const refresh = newRefresh();
    startFamily(familyId, now, sha256(refresh));
    return tokenResponse(res, issue(familyId, 'password'), refresh);
  }
  return res.status(400).json({ error: 'unsupported_grant_type', error_description: 'the grant type is not supported' });
});

const server = app.listen(PORT, HOST, () => {
  console.error(`node reference listening on ${HOST}:${PORT}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => { server.close(); db.close(); process.exit(0); });
}

/**
 * Versioned schema migrations, applied automatically (and only once, even when several processes open a
 * fresh database at the same moment) whenever a store opens. Append new migrations at the end; never edit
 * one that has shipped. Timestamps are integer epoch milliseconds on both backends.
 *
 * Postgres statements use `{schema}` for the quoted schema name.
 */
import { AUDIT_GENESIS_HASH } from './audit';

/** The scope of privacy request records (SCOPES.privacyRequest), indexed by migration 4. Stored data: never changes. */
const PRIVACY_REQUEST_SCOPE = 'privacy-request';

export interface Migration {
	version: number;
	name: string;
	sqlite: string[];
	postgres: string[];
}

export const MIGRATIONS_TABLE = 'whatsauto_migrations';

export const MIGRATIONS: readonly Migration[] = [
	{
		version: 1,
		name: 'claims and content',
		sqlite: [
			`CREATE TABLE IF NOT EXISTS claims (
				scope TEXT NOT NULL,
				key TEXT NOT NULL,
				expires_at INTEGER NOT NULL,
				PRIMARY KEY (scope, key)
			) WITHOUT ROWID`,
			'CREATE INDEX IF NOT EXISTS claims_expires_at_idx ON claims (expires_at)',
			`CREATE TABLE IF NOT EXISTS content (
				ref TEXT NOT NULL PRIMARY KEY,
				contact_key TEXT NOT NULL,
				data BLOB NOT NULL,
				expires_at INTEGER NOT NULL
			)`,
			'CREATE INDEX IF NOT EXISTS content_contact_key_idx ON content (contact_key)',
			'CREATE INDEX IF NOT EXISTS content_expires_at_idx ON content (expires_at)',
		],
		postgres: [
			`CREATE TABLE IF NOT EXISTS {schema}.claims (
				scope TEXT NOT NULL,
				key TEXT NOT NULL,
				expires_at BIGINT NOT NULL,
				PRIMARY KEY (scope, key)
			)`,
			'CREATE INDEX IF NOT EXISTS claims_expires_at_idx ON {schema}.claims (expires_at)',
			`CREATE TABLE IF NOT EXISTS {schema}.content (
				ref TEXT NOT NULL PRIMARY KEY,
				contact_key TEXT NOT NULL,
				data BYTEA NOT NULL,
				expires_at BIGINT NOT NULL
			)`,
			'CREATE INDEX IF NOT EXISTS content_contact_key_idx ON {schema}.content (contact_key)',
			'CREATE INDEX IF NOT EXISTS content_expires_at_idx ON {schema}.content (expires_at)',
		],
	},
	{
		version: 2,
		name: 'records',
		// Small JSON values (metadata, never message content) under (scope, key). `contact_key` is a keyed
		// pseudonym, or '' for a record that belongs to no contact.
		sqlite: [
			`CREATE TABLE IF NOT EXISTS records (
				scope TEXT NOT NULL,
				key TEXT NOT NULL,
				contact_key TEXT NOT NULL DEFAULT '',
				value TEXT NOT NULL,
				created_at INTEGER NOT NULL,
				expires_at INTEGER NOT NULL,
				PRIMARY KEY (scope, key)
			)`,
			'CREATE INDEX IF NOT EXISTS records_expires_at_idx ON records (expires_at)',
			'CREATE INDEX IF NOT EXISTS records_contact_key_idx ON records (contact_key)',
			'CREATE INDEX IF NOT EXISTS records_scope_created_at_idx ON records (scope, created_at)',
			'CREATE INDEX IF NOT EXISTS records_scope_contact_key_idx ON records (scope, contact_key, created_at)',
		],
		postgres: [
			`CREATE TABLE IF NOT EXISTS {schema}.records (
				scope TEXT NOT NULL,
				key TEXT NOT NULL,
				contact_key TEXT NOT NULL DEFAULT '',
				value TEXT NOT NULL,
				created_at BIGINT NOT NULL,
				expires_at BIGINT NOT NULL,
				PRIMARY KEY (scope, key)
			)`,
			'CREATE INDEX IF NOT EXISTS records_expires_at_idx ON {schema}.records (expires_at)',
			'CREATE INDEX IF NOT EXISTS records_contact_key_idx ON {schema}.records (contact_key)',
			'CREATE INDEX IF NOT EXISTS records_scope_created_at_idx ON {schema}.records (scope, created_at)',
			'CREATE INDEX IF NOT EXISTS records_scope_contact_key_idx ON {schema}.records (scope, contact_key, created_at)',
		],
	},
	{
		version: 3,
		name: 'audit log',
		// The append-only, hash-chained audit log of privacy requests: who did what, when — pseudonyms and
		// labels, never content. `audit_head` is one row holding the seq and hash of the last entry: appends lock
		// it (serialising them across processes) and verification checks the log still ends there.
		sqlite: [
			`CREATE TABLE IF NOT EXISTS audit_log (
				seq INTEGER PRIMARY KEY AUTOINCREMENT,
				at INTEGER NOT NULL,
				request_id TEXT NOT NULL,
				subject TEXT NOT NULL DEFAULT '',
				actor TEXT NOT NULL,
				action TEXT NOT NULL,
				from_state TEXT NOT NULL DEFAULT '',
				to_state TEXT NOT NULL DEFAULT '',
				detail TEXT NOT NULL DEFAULT '{}',
				prev_hash TEXT NOT NULL,
				hash TEXT NOT NULL
			)`,
			'CREATE INDEX IF NOT EXISTS audit_log_request_id_idx ON audit_log (request_id, seq)',
			'CREATE INDEX IF NOT EXISTS audit_log_subject_idx ON audit_log (subject, seq)',
			`CREATE TABLE IF NOT EXISTS audit_head (
				id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
				seq INTEGER NOT NULL,
				hash TEXT NOT NULL
			)`,
			`INSERT OR IGNORE INTO audit_head (id, seq, hash) VALUES (1, 0, '${AUDIT_GENESIS_HASH}')`,
		],
		postgres: [
			`CREATE TABLE IF NOT EXISTS {schema}.audit_log (
				seq BIGSERIAL PRIMARY KEY,
				at BIGINT NOT NULL,
				request_id TEXT NOT NULL,
				subject TEXT NOT NULL DEFAULT '',
				actor TEXT NOT NULL,
				action TEXT NOT NULL,
				from_state TEXT NOT NULL DEFAULT '',
				to_state TEXT NOT NULL DEFAULT '',
				detail TEXT NOT NULL DEFAULT '{}',
				prev_hash TEXT NOT NULL,
				hash TEXT NOT NULL
			)`,
			'CREATE INDEX IF NOT EXISTS audit_log_request_id_idx ON {schema}.audit_log (request_id, seq)',
			'CREATE INDEX IF NOT EXISTS audit_log_subject_idx ON {schema}.audit_log (subject, seq)',
			`CREATE TABLE IF NOT EXISTS {schema}.audit_head (
				id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
				seq BIGINT NOT NULL,
				hash TEXT NOT NULL
			)`,
			`INSERT INTO {schema}.audit_head (id, seq, hash) VALUES (1, 0, '${AUDIT_GENESIS_HASH}') ON CONFLICT (id) DO NOTHING`,
		],
	},
	{
		version: 4,
		name: 'record state and due date',
		// Records can be found by a state and ordered by a due date, through an index: the deadline monitor
		// (List Open) reads the open privacy requests without reading every record kept. The privacy desk sets
		// both on the requests it writes; here the requests already stored are indexed from their JSON value
		// (`state`, and `dueAt` as an ISO 8601 UTC timestamp, to the millisecond).
		sqlite: [
			"ALTER TABLE records ADD COLUMN state TEXT NOT NULL DEFAULT ''",
			'ALTER TABLE records ADD COLUMN due_at INTEGER',
			`UPDATE records SET
				state = COALESCE(CAST(json_extract(value, '$.state') AS TEXT), ''),
				due_at = CASE WHEN json_extract(value, '$.dueAt') GLOB
					'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'
					THEN CAST(strftime('%s', json_extract(value, '$.dueAt')) AS INTEGER) * 1000
						+ CAST(substr(json_extract(value, '$.dueAt'), 21, 3) AS INTEGER)
					END
			WHERE scope = '${PRIVACY_REQUEST_SCOPE}' AND json_valid(value) AND json_type(value) = 'object'`,
			'CREATE INDEX IF NOT EXISTS records_scope_state_due_idx ON records (scope, state, due_at, key)',
		],
		postgres: [
			"ALTER TABLE {schema}.records ADD COLUMN IF NOT EXISTS state TEXT NOT NULL DEFAULT ''",
			'ALTER TABLE {schema}.records ADD COLUMN IF NOT EXISTS due_at BIGINT',
			`UPDATE {schema}.records SET
				state = COALESCE(value::json ->> 'state', ''),
				due_at = CASE WHEN value::json ->> 'dueAt' ~ '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$'
					THEN round(extract(epoch FROM (value::json ->> 'dueAt')::timestamptz) * 1000)::bigint
					END
			WHERE scope = '${PRIVACY_REQUEST_SCOPE}' AND json_typeof(value::json) = 'object'`,
			'CREATE INDEX IF NOT EXISTS records_scope_state_due_idx ON {schema}.records (scope, state, due_at, key)',
		],
	},
	{
		version: 5,
		name: 'keyed audit log with subjects apart',
		// The audit log is keyed (HMAC-SHA256 with a key derived from the store secret) and no longer holds its
		// subjects: each entry's pseudonym lives in `audit_subjects` with a random salt, which erasure deletes; the
		// entry keeps only a salted commitment (`subject_commit`), useless once the salt is gone. The entries
		// already there keep their unkeyed SHA-256 hashes: everything before `audit_head.keyed_from` is verified
		// that way, and the first keyed append seals each of them (`seal`, an HMAC over all but the subject) so
		// they still verify once erasure took their subject. `audit_head.mac` seals the head with the key.
		sqlite: [
			`CREATE TABLE IF NOT EXISTS audit_subjects (
				seq INTEGER NOT NULL PRIMARY KEY,
				contact_key TEXT NOT NULL,
				salt TEXT NOT NULL DEFAULT ''
			)`,
			'CREATE INDEX IF NOT EXISTS audit_subjects_contact_key_idx ON audit_subjects (contact_key, seq)',
			"INSERT INTO audit_subjects (seq, contact_key) SELECT seq, subject FROM audit_log WHERE subject <> ''",
			"UPDATE audit_log SET subject = '' WHERE subject <> ''",
			'DROP INDEX IF EXISTS audit_log_subject_idx',
			"ALTER TABLE audit_log ADD COLUMN subject_commit TEXT NOT NULL DEFAULT ''",
			'ALTER TABLE audit_log ADD COLUMN seal TEXT',
			'ALTER TABLE audit_head ADD COLUMN keyed_from INTEGER NOT NULL DEFAULT 1',
			'ALTER TABLE audit_head ADD COLUMN mac TEXT',
			'UPDATE audit_head SET keyed_from = seq + 1',
		],
		postgres: [
			`CREATE TABLE IF NOT EXISTS {schema}.audit_subjects (
				seq BIGINT NOT NULL PRIMARY KEY,
				contact_key TEXT NOT NULL,
				salt TEXT NOT NULL DEFAULT ''
			)`,
			'CREATE INDEX IF NOT EXISTS audit_subjects_contact_key_idx ON {schema}.audit_subjects (contact_key, seq)',
			"INSERT INTO {schema}.audit_subjects (seq, contact_key) SELECT seq, subject FROM {schema}.audit_log WHERE subject <> ''",
			"UPDATE {schema}.audit_log SET subject = '' WHERE subject <> ''",
			'DROP INDEX IF EXISTS {schema}.audit_log_subject_idx',
			"ALTER TABLE {schema}.audit_log ADD COLUMN IF NOT EXISTS subject_commit TEXT NOT NULL DEFAULT ''",
			'ALTER TABLE {schema}.audit_log ADD COLUMN IF NOT EXISTS seal TEXT',
			'ALTER TABLE {schema}.audit_head ADD COLUMN IF NOT EXISTS keyed_from BIGINT NOT NULL DEFAULT 1',
			'ALTER TABLE {schema}.audit_head ADD COLUMN IF NOT EXISTS mac TEXT',
			'UPDATE {schema}.audit_head SET keyed_from = seq + 1',
		],
	},
	{
		version: 6,
		name: 'audit entries re-filed under a new id',
		// A person who changes their number or business-scoped user id takes their audit entries along
		// (`rekeyContact`): the entry's hash still commits to the subject it was written for, so the entry filed
		// under the new pseudonym carries `refiled`, an HMAC under the audit key over its seq, its hash and the
		// new subject (audit.ts auditRefileMac). Erasure deletes it with the subject.
		sqlite: ['ALTER TABLE audit_subjects ADD COLUMN refiled TEXT'],
		postgres: ['ALTER TABLE {schema}.audit_subjects ADD COLUMN IF NOT EXISTS refiled TEXT'],
	},
	{
		version: 7,
		name: 'conversation gate inbox',
		// Messages acknowledged to Meta and waiting to be handed on (the trigger's Conversation Gate), encrypted.
		// `state`: pending, leased (until `lease_until`; a lapsed lease is taken over), failed, expired. A row is
		// deleted once its turn is done; `expires_at` bounds how long anything stays.
		sqlite: [
			`CREATE TABLE IF NOT EXISTS inbox (
				id TEXT NOT NULL PRIMARY KEY,
				gate TEXT NOT NULL,
				contact_key TEXT NOT NULL,
				sent_at INTEGER NOT NULL,
				received_at INTEGER NOT NULL,
				data BLOB,
				state TEXT NOT NULL DEFAULT 'pending',
				lease_id TEXT,
				lease_until INTEGER NOT NULL DEFAULT 0,
				attempts INTEGER NOT NULL DEFAULT 0,
				expires_at INTEGER NOT NULL
			)`,
			'CREATE INDEX IF NOT EXISTS inbox_gate_state_idx ON inbox (gate, state, contact_key)',
			'CREATE INDEX IF NOT EXISTS inbox_contact_key_idx ON inbox (contact_key)',
			'CREATE INDEX IF NOT EXISTS inbox_lease_id_idx ON inbox (lease_id)',
			'CREATE INDEX IF NOT EXISTS inbox_expires_at_idx ON inbox (expires_at)',
		],
		postgres: [
			`CREATE TABLE IF NOT EXISTS {schema}.inbox (
				id TEXT NOT NULL PRIMARY KEY,
				gate TEXT NOT NULL,
				contact_key TEXT NOT NULL,
				sent_at BIGINT NOT NULL,
				received_at BIGINT NOT NULL,
				data BYTEA,
				state TEXT NOT NULL DEFAULT 'pending',
				lease_id TEXT,
				lease_until BIGINT NOT NULL DEFAULT 0,
				attempts INTEGER NOT NULL DEFAULT 0,
				expires_at BIGINT NOT NULL
			)`,
			'CREATE INDEX IF NOT EXISTS inbox_gate_state_idx ON {schema}.inbox (gate, state, contact_key)',
			'CREATE INDEX IF NOT EXISTS inbox_contact_key_idx ON {schema}.inbox (contact_key)',
			'CREATE INDEX IF NOT EXISTS inbox_lease_id_idx ON {schema}.inbox (lease_id)',
			'CREATE INDEX IF NOT EXISTS inbox_expires_at_idx ON {schema}.inbox (expires_at)',
		],
	},
	{
		version: 8,
		name: 'counters',
		// Integer counters under (scope, key) for budgets, caps and spend (usage/budgets.ts), added to in one
		// atomic step (`addToCounter`). A counter past `expires_at` counts as 0 and starts afresh on the next add.
		// `contact_key` is a keyed pseudonym, or '' for a counter that belongs to no contact.
		sqlite: [
			`CREATE TABLE IF NOT EXISTS counters (
				scope TEXT NOT NULL,
				key TEXT NOT NULL,
				contact_key TEXT NOT NULL DEFAULT '',
				value INTEGER NOT NULL,
				expires_at INTEGER NOT NULL,
				PRIMARY KEY (scope, key)
			)`,
			'CREATE INDEX IF NOT EXISTS counters_contact_key_idx ON counters (contact_key)',
			'CREATE INDEX IF NOT EXISTS counters_expires_at_idx ON counters (expires_at)',
		],
		postgres: [
			`CREATE TABLE IF NOT EXISTS {schema}.counters (
				scope TEXT NOT NULL,
				key TEXT NOT NULL,
				contact_key TEXT NOT NULL DEFAULT '',
				value BIGINT NOT NULL,
				expires_at BIGINT NOT NULL,
				PRIMARY KEY (scope, key)
			)`,
			'CREATE INDEX IF NOT EXISTS counters_contact_key_idx ON {schema}.counters (contact_key)',
			'CREATE INDEX IF NOT EXISTS counters_expires_at_idx ON {schema}.counters (expires_at)',
		],
	},
];

/**
 * Tables with an `expires_at` column (epoch ms); `purgeExpired` empties them of expired rows. Never the
 * audit log: it must outlive what it accounts for.
 */
export const EXPIRING_TABLES: readonly string[] = ['claims', 'content', 'records', 'inbox', 'counters'];

/**
 * Tables with a `contact_key` column (keyed pseudonym); `eraseContact` deletes a person's rows from them and
 * `rekeyContact` moves them to the person's new pseudonym.
 * `audit_subjects` links audit entries to their person: erasure unlinks them, the entries themselves stay
 * (the record that an erasure happened must survive it).
 */
export const CONTACT_TABLES: readonly string[] = ['content', 'records', 'audit_subjects', 'inbox', 'counters'];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Throws unless versions are positive integers in strictly increasing order. */
export function assertMigrationsOrdered(migrations: readonly Migration[] = MIGRATIONS): void {
	let previous = 0;
	for (const m of migrations) {
		if (!Number.isInteger(m.version) || m.version <= previous) {
			throw new Error(`WhatsAuto store: migration versions must increase (saw ${m.version} after ${previous})`);
		}
		previous = m.version;
	}
}

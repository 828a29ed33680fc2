/**
 * Versioned schema migrations, applied automatically (and only once, even when several processes open a
 * fresh database at the same moment) whenever a store opens. Append new migrations at the end; never edit
 * one that has shipped. Timestamps are integer epoch milliseconds on both backends.
 *
 * Postgres statements use `{schema}` for the quoted schema name.
 */
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
];

/** Tables with an `expires_at` column (epoch ms); `purgeExpired` empties them of expired rows. */
export const EXPIRING_TABLES: readonly string[] = ['claims', 'content', 'records'];

/** Tables with a `contact_key` column (keyed pseudonym); `eraseContact` deletes a person's rows from them. */
export const CONTACT_TABLES: readonly string[] = ['content', 'records'];

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

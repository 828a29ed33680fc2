import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

import { startPostgres, type PostgresConnection, type Service } from '../../devkit/n8n/services';
import { closeAllStores, openStore } from '../../nodes/shared/store/index';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../nodes/shared/store/migrations';
import { PostgresStore, quoteIdent } from '../../nodes/shared/store/postgres';
import type { PostgresStoreConfig } from '../../nodes/shared/store/types';
import { describeStoreConformance, type FreshDatabase, type UpgradeSeed } from './conformance';
import {
	AUDIT_KEY,
	buildChildScript,
	expectOneWinnerPerId,
	killLeftoverChildren,
	makeTempDir,
	runChildren,
} from './helpers';

/**
 * Runs against a real PostgreSQL (devkit/n8n/services.ts): the one named by WHATSAUTO_TEST_PG_* when set,
 * otherwise the throwaway server scripts/postgres.sh installs (apt-get, first time only) and starts — and which
 * this file then stops again if it started it. No Postgres means failure, never a skip.
 */
const START_TIMEOUT_MS = 300_000;

const runId = `${process.pid}_${randomBytes(4).toString('hex')}`;
const schemas = {
	main: `whatsauto_test_${runId}`,
	race: `whatsauto_test_${runId}_race`,
	migrate: `whatsauto_test_${runId}_migrate`,
	v1: `whatsauto_test_${runId}_v1`,
	v2: `whatsauto_test_${runId}_v2`,
	v3: `whatsauto_test_${runId}_v3`,
	v4: `whatsauto_test_${runId}_v4`,
	odd: `whatsauto test "${runId}"; drop`,
};

let base: Omit<PostgresStoreConfig, 'schema'>;
let admin: Client | undefined;
let server: Service<PostgresConnection> | undefined;
const dir = makeTempDir('whatsauto-pg-test-');

const configFor = (schema: string): PostgresStoreConfig => ({ ...base, schema });
const oldSchema = (version: number) => [schemas.v1, schemas.v2, schemas.v3, schemas.v4][version - 1];
/** Schemas freshDatabase made, dropped with the rest. */
const freshSchemas: string[] = [];

async function migrationRows(schema: string) {
	const result = await admin!.query<{ version: number; name: string }>(
		`SELECT version, name FROM ${quoteIdent(schema)}.whatsauto_migrations ORDER BY version`,
	);
	return result.rows;
}

/** Creates a schema as a store at `version` left it: its migrations table, migrations 1 to `version`, and `seed`. */
async function createAtVersion(schema: string, version: number, seed: UpgradeSeed): Promise<void> {
	const s = quoteIdent(schema);
	await admin!.query('BEGIN');
	try {
		await admin!.query(`CREATE SCHEMA ${s}`);
		await admin!.query(`CREATE TABLE ${s}.whatsauto_migrations (
			version INTEGER NOT NULL PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at BIGINT NOT NULL
		)`);
		for (const migration of MIGRATIONS.filter((m) => m.version <= version)) {
			for (const statement of migration.postgres) await admin!.query(statement.split('{schema}').join(s));
			await admin!.query(`INSERT INTO ${s}.whatsauto_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [
				migration.version,
				migration.name,
				Date.now(),
			]);
		}
		await admin!.query(`INSERT INTO ${s}.claims (scope, key, expires_at) VALUES ($1, $2, $3)`, [
			seed.claim.scope,
			seed.claim.key,
			seed.claim.expiresAt,
		]);
		await admin!.query(`INSERT INTO ${s}.content (ref, contact_key, data, expires_at) VALUES ($1, $2, $3, $4)`, [
			seed.content.ref,
			seed.content.contactKey,
			seed.content.data,
			seed.content.expiresAt,
		]);
		if (version >= 2) {
			for (const r of [seed.record, ...seed.requests]) {
				await admin!.query(
					`INSERT INTO ${s}.records (scope, key, contact_key, value, created_at, expires_at)
					VALUES ($1, $2, $3, $4, $5, $6)`,
					[r.scope, r.key, r.contactKey, r.value, r.createdAt, r.expiresAt],
				);
			}
		}
		if (version >= 3) {
			for (const r of seed.audit.rows) {
				await admin!.query(
					`INSERT INTO ${s}.audit_log (seq, at, request_id, subject, actor, action, from_state, to_state, detail, prev_hash, hash)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
					[r.seq, r.at, r.request_id, r.subject, r.actor, r.action, r.from_state, r.to_state, r.detail, r.prev_hash, r.hash],
				);
			}
			// As appends through the store would have left it: the sequence past every seq used.
			await admin!.query(`SELECT setval(pg_get_serial_sequence($1, 'seq'), $2)`, [`${s}.audit_log`, seed.audit.head.seq]);
			await admin!.query(`UPDATE ${s}.audit_head SET seq = $1, hash = $2 WHERE id = 1`, [seed.audit.head.seq, seed.audit.head.hash]);
		}
		await admin!.query('COMMIT');
	} catch (error) {
		await admin!.query('ROLLBACK');
		throw error;
	}
}

/** Runs one statement (`?` placeholders, unqualified names) in `schema` through the admin connection. */
async function rawQuery(schema: string, sql: string, params: Array<string | number>) {
	let n = 0;
	const text = sql.replace(/\?/g, () => `$${++n}`);
	await admin!.query('BEGIN');
	try {
		await admin!.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
		const result = await admin!.query(text, params);
		await admin!.query('COMMIT');
		return result;
	} catch (error) {
		await admin!.query('ROLLBACK');
		throw error;
	}
}

/** Every `table.column` of `schema` holding one of `needles` in some row (tables and columns from the catalogue). */
async function scanSchema(schema: string, needles: string[]): Promise<string[]> {
	const hits = new Set<string>();
	const tables = await admin!.query<{ table_name: string }>(
		"SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
		[schema],
	);
	for (const { table_name: table } of tables.rows) {
		const { rows } = await admin!.query<Record<string, unknown>>(`SELECT * FROM ${quoteIdent(schema)}.${quoteIdent(table)}`);
		for (const row of rows) {
			for (const [column, value] of Object.entries(row)) {
				const text = Buffer.isBuffer(value) ? value.toString('latin1') : String(value ?? '');
				if (needles.some((needle) => text.includes(needle))) hits.add(`${table}.${column}`);
			}
		}
	}
	return [...hits].sort();
}

/** A new schema, and raw SQL in it (through the admin connection) that bypasses the store. */
async function freshDatabase(): Promise<FreshDatabase> {
	const schema = `whatsauto_test_${runId}_audit_${freshSchemas.length + 1}`;
	freshSchemas.push(schema);
	const config = configFor(schema);
	return {
		config,
		open: () => PostgresStore.open(config),
		tamper: async (sql, ...params) => (await rawQuery(schema, sql, params)).rowCount ?? 0,
		rows: async (sql, ...params) => (await rawQuery(schema, sql, params)).rows as Array<Record<string, unknown>>,
		scan: (needles) => scanSchema(schema, needles),
	};
}

beforeAll(async () => {
	server = await startPostgres();
	base = { backend: 'postgres', ...server.connection, ssl: false };
	const client = new Client({ ...base, connectionTimeoutMillis: 10_000 });
	await client.connect();
	admin = client;
}, START_TIMEOUT_MS + 30_000);

afterAll(async () => {
	killLeftoverChildren();
	await closeAllStores();
	try {
		if (admin) {
			for (const schema of [...Object.values(schemas), ...freshSchemas]) {
				await admin.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
			}
			await admin.end();
		}
	} finally {
		rmSync(dir, { recursive: true, force: true });
		await server?.stop();
	}
}, 120_000);

describeStoreConformance('postgres', {
	backend: 'postgres',
	makeStore: () => PostgresStore.open(configFor(schemas.main)),
	migrationRows: () => migrationRows(schemas.main),
	upgrade: {
		createAtVersion: (version, seed) => createAtVersion(oldSchema(version), version, seed),
		open: (version) => PostgresStore.open(configFor(oldSchema(version))),
		migrationRows: (version) => migrationRows(oldSchema(version)),
		tamper: async (version, sql, ...params) => (await rawQuery(oldSchema(version), sql, params)).rowCount ?? 0,
		scan: (version, needles) => scanSchema(oldSchema(version), needles),
	},
	freshDatabase,
});

describe('PostgresStore specifics', () => {
	it('creates its tables in the configured schema, quoting any name safely', async () => {
		const store = await PostgresStore.open(configFor(schemas.odd));
		try {
			expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
			expect(await store.claim('message', 'm1', 60_000)).toBe(true);
			const entry = await store.appendAudit({ requestId: 'r1', subject: 'someone', actor: 'system', action: 'received' }, AUDIT_KEY);
			expect(await store.listAudit()).toEqual([entry]);
			expect(await store.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 1 });
			expect(await store.eraseContact('someone')).toBe(1);
			expect(await store.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 1 });
			const tables = await admin!.query<{ table_name: string }>(
				'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
				[schemas.odd],
			);
			expect(tables.rows.map((r) => r.table_name)).toEqual([
				'audit_head',
				'audit_log',
				'audit_subjects',
				'claims',
				'content',
				'counters',
				'inbox',
				'records',
				'whatsauto_migrations',
			]);
		} finally {
			await store.close();
		}
	});

	it('connects as application whatsauto', async () => {
		const store = await PostgresStore.open(configFor(schemas.main));
		try {
			await store.claim('message', `app-${runId}`, 60_000);
			const apps = await admin!.query<{ n: string }>(
				"SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'whatsauto' AND usename = $1",
				[base.user],
			);
			expect(Number(apps.rows[0].n)).toBeGreaterThanOrEqual(1);
		} finally {
			await store.close();
		}
	});

	it('rejects schema names PostgreSQL cannot hold', async () => {
		await expect(PostgresStore.open(configFor(''))).rejects.toThrow(/schema/);
		await expect(PostgresStore.open(configFor('x'.repeat(64)))).rejects.toThrow(/schema/);
	});

	it('fails to open, without echoing the password, when credentials are wrong', async () => {
		const wrong = { ...configFor(schemas.main), password: 'definitely-wrong-password' };
		const error = (await PostgresStore.open(wrong).then(
			() => undefined,
			(e: unknown) => e,
		)) as Error;
		expect(error).toBeInstanceOf(Error);
		expect(error.message).not.toContain(wrong.password);
		expect(error.message).not.toContain(base.password);
	});

	it('is cached per configuration by openStore', async () => {
		const a = await openStore(configFor(schemas.main));
		expect(await openStore(configFor(schemas.main))).toBe(a);
		expect(await openStore(configFor(schemas.race))).not.toBe(a);
		await closeAllStores();
	});
});

describe('PostgresStore across processes', () => {
	let script: string;

	beforeAll(() => {
		script = buildChildScript(join(dir, 'build'));
	});

	it('has exactly one winner per message id among racing processes', async () => {
		// The schema exists before the race so every child is ready at once.
		await (await PostgresStore.open(configFor(schemas.race))).close();
		await expectOneWinnerPerId(script, dir, { config: configFor(schemas.race), concurrency: 4 });
	});

	it('migrates a fresh schema once when several processes open it at the same moment', async () => {
		const results = await runChildren(
			script,
			dir,
			Array.from({ length: 4 }, () => ({ mode: 'migrate' as const, config: configFor(schemas.migrate) })),
		);
		expect(results.map((r) => r.version)).toEqual(results.map(() => LATEST_SCHEMA_VERSION));
		expect((await migrationRows(schemas.migrate)).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
	});
});

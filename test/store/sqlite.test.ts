import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import {
	closeAllStores,
	defaultSqlitePath,
	openStore,
	storeCacheKey,
} from '../../nodes/shared/store/index';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../nodes/shared/store/migrations';
import { SqliteStore } from '../../nodes/shared/store/sqlite';
import type { SqliteStoreConfig } from '../../nodes/shared/store/types';
import { describeStoreConformance, type FreshDatabase, type UpgradeSeed } from './conformance';
import {
	buildChildScript,
	expectOneWinnerPerId,
	killLeftoverChildren,
	makeTempDir,
	runChildren,
} from './helpers';

const dir = makeTempDir('whatsauto-sqlite-');
const config: SqliteStoreConfig = { backend: 'sqlite', path: join(dir, 'nested', 'deeper', 'store.sqlite') };
const oldConfig = (version: number): SqliteStoreConfig => ({
	backend: 'sqlite',
	path: join(dir, `v${version}`, 'store.sqlite'),
});
let freshDatabases = 0;

function migrationRows(path: string) {
	const db = new DatabaseSync(path, { readOnly: true });
	try {
		return db.prepare('SELECT version, name FROM whatsauto_migrations ORDER BY version').all() as Array<{
			version: number;
			name: string;
		}>;
	} finally {
		db.close();
	}
}

/** Writes a database file as a store at `version` left it: its migrations table, migrations 1 to `version`, and `seed`. */
function createAtVersion(path: string, version: number, seed: UpgradeSeed): void {
	mkdirSync(dirname(path), { recursive: true });
	const db = new DatabaseSync(path);
	try {
		db.exec(`CREATE TABLE whatsauto_migrations (
			version INTEGER NOT NULL PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at INTEGER NOT NULL
		)`);
		for (const migration of MIGRATIONS.filter((m) => m.version <= version)) {
			for (const statement of migration.sqlite) db.exec(statement);
			db.prepare('INSERT INTO whatsauto_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
				migration.version,
				migration.name,
				Date.now(),
			);
		}
		db.prepare('INSERT INTO claims (scope, key, expires_at) VALUES (?, ?, ?)').run(
			seed.claim.scope,
			seed.claim.key,
			seed.claim.expiresAt,
		);
		db.prepare('INSERT INTO content (ref, contact_key, data, expires_at) VALUES (?, ?, ?, ?)').run(
			seed.content.ref,
			seed.content.contactKey,
			seed.content.data,
			seed.content.expiresAt,
		);
		if (version >= 2) {
			const insert = db.prepare(
				'INSERT INTO records (scope, key, contact_key, value, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
			);
			for (const r of [seed.record, ...seed.requests]) insert.run(r.scope, r.key, r.contactKey, r.value, r.createdAt, r.expiresAt);
		}
		if (version >= 3) {
			const insert = db.prepare(
				`INSERT INTO audit_log (seq, at, request_id, subject, actor, action, from_state, to_state, detail, prev_hash, hash)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			);
			for (const r of seed.audit.rows) {
				insert.run(r.seq, r.at, r.request_id, r.subject, r.actor, r.action, r.from_state, r.to_state, r.detail, r.prev_hash, r.hash);
			}
			db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(seed.audit.head.seq, seed.audit.head.hash);
		}
	} finally {
		db.close();
	}
}

/** Runs `fn` on its own connection to the file at `path` (raw SQL that bypasses the store). */
function withDatabase<T>(path: string, fn: (db: DatabaseSync) => T): T {
	const db = new DatabaseSync(path);
	try {
		db.exec('PRAGMA busy_timeout = 5000');
		return fn(db);
	} finally {
		db.close();
	}
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Every `table.column` of the file holding one of `needles` in some row (tables and columns from SQLite's schema). */
function scanDatabase(path: string, needles: string[]): string[] {
	return withDatabase(path, (db) => {
		const hits = new Set<string>();
		const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
		for (const { name: table } of tables) {
			const columns = (db.prepare(`PRAGMA table_info(${quote(table)})`).all() as Array<{ name: string }>).map((c) => c.name);
			for (const row of db.prepare(`SELECT * FROM ${quote(table)}`).iterate() as Iterable<Record<string, unknown>>) {
				for (const column of columns) {
					const value = row[column];
					const text = value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : String(value ?? '');
					if (needles.some((needle) => text.includes(needle))) hits.add(`${table}.${column}`);
				}
			}
		}
		return [...hits].sort();
	});
}

/** A new database file, and raw SQL on it that bypasses the store. */
async function freshDatabase(): Promise<FreshDatabase> {
	const fresh: SqliteStoreConfig = { backend: 'sqlite', path: join(dir, 'audit', `${++freshDatabases}.sqlite`) };
	return {
		config: fresh,
		open: () => SqliteStore.open(fresh),
		tamper: async (sql, ...params) => withDatabase(fresh.path, (db) => Number(db.prepare(sql).run(...params).changes)),
		rows: async (sql, ...params) => withDatabase(fresh.path, (db) => db.prepare(sql).all(...params) as Array<Record<string, unknown>>),
		scan: async (needles) => scanDatabase(fresh.path, needles),
	};
}

afterAll(async () => {
	killLeftoverChildren();
	await closeAllStores();
	rmSync(dir, { recursive: true, force: true });
});

describeStoreConformance('sqlite', {
	backend: 'sqlite',
	makeStore: () => SqliteStore.open(config),
	migrationRows: async () => migrationRows(config.path),
	upgrade: {
		createAtVersion: async (version, seed) => createAtVersion(oldConfig(version).path, version, seed),
		open: (version) => SqliteStore.open(oldConfig(version)),
		migrationRows: async (version) => migrationRows(oldConfig(version).path),
		tamper: async (version, sql, ...params) =>
			withDatabase(oldConfig(version).path, (db) => Number(db.prepare(sql).run(...params).changes)),
		scan: async (version, needles) => scanDatabase(oldConfig(version).path, needles),
	},
	freshDatabase,
});

describe('SqliteStore file', () => {
	it('creates parent folders, an owner-only file, and uses WAL with a busy timeout', async () => {
		const store = await SqliteStore.open(config);
		try {
			expect(statSync(config.path).mode & 0o777).toBe(0o600);
			const db = new DatabaseSync(config.path);
			try {
				expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
			} finally {
				db.close();
			}
			expect(existsSync(`${config.path}-wal`)).toBe(true);
		} finally {
			await store.close();
		}
	});
});

describe('openStore (sqlite)', () => {
	afterEach(async () => {
		await closeAllStores();
	});

	it('reuses one open store per configuration, also for concurrent callers', async () => {
		const cfg: SqliteStoreConfig = { backend: 'sqlite', path: join(dir, 'cached.sqlite') };
		const [a, b] = await Promise.all([openStore(cfg), openStore({ ...cfg })]);
		expect(a).toBe(b);
		expect(await openStore(cfg)).toBe(a);
		const other = await openStore({ backend: 'sqlite', path: join(dir, 'other.sqlite') });
		expect(other).not.toBe(a);
		expect(await a.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
	});

	it('forgets a store once it is closed', async () => {
		const cfg: SqliteStoreConfig = { backend: 'sqlite', path: join(dir, 'cached.sqlite') };
		const a = await openStore(cfg);
		await a.close();
		const b = await openStore(cfg);
		expect(b).not.toBe(a);
		expect(await b.claim('x', 'y', 1000)).toBe(true);
	});

	it('closeAllStores closes every cached store', async () => {
		const a = await openStore({ backend: 'sqlite', path: join(dir, 'all.sqlite') });
		await closeAllStores();
		await expect(a.schemaVersion()).rejects.toThrow(/closed/);
	});

	it('does not cache a failed open', async () => {
		const cfg: SqliteStoreConfig = { backend: 'sqlite', path: join(dir, 'after-failure.sqlite') };
		await expect(openStore({ backend: 'sqlite', path: join(__filename, 'x.sqlite') })).rejects.toThrow();
		await expect(openStore({ backend: 'sqlite', path: join(__filename, 'x.sqlite') })).rejects.toThrow();
		expect(await (await openStore(cfg)).schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
	});

	it('keys the cache by an HMAC of the configuration, never the password', () => {
		const pg = {
			backend: 'postgres' as const,
			host: 'db',
			port: 5432,
			database: 'n8n',
			user: 'n8n',
			password: 'correct horse battery staple',
			ssl: false,
			schema: 'whatsauto',
		};
		const key = storeCacheKey(pg);
		expect(key).toMatch(/^[0-9a-f]{64}$/);
		expect(key).not.toContain('horse');
		expect(storeCacheKey({ ...pg })).toBe(key);
		expect(storeCacheKey({ ...pg, password: 'other' })).not.toBe(key);
	});

	it('defaults to whatsauto.sqlite in the n8n user folder', () => {
		expect(defaultSqlitePath({ N8N_USER_FOLDER: '/data/n8n' })).toBe('/data/n8n/.n8n/whatsauto.sqlite');
		expect(defaultSqlitePath({})).toMatch(/\/\.n8n\/whatsauto\.sqlite$/);
	});
});

describe('SqliteStore across processes', () => {
	let script: string;

	beforeAll(() => {
		script = buildChildScript(join(dir, 'build'));
	});

	it('has exactly one winner per message id among racing processes', async () => {
		await expectOneWinnerPerId(script, dir, { config });
	});

	it('migrates a fresh database once when several processes open it at the same moment', async () => {
		const fresh: SqliteStoreConfig = { backend: 'sqlite', path: join(dir, 'fresh', 'concurrent.sqlite') };
		const results = await runChildren(
			script,
			dir,
			Array.from({ length: 4 }, () => ({ mode: 'migrate' as const, config: fresh })),
		);
		expect(results.map((r) => r.version)).toEqual([4, 4, 4, 4].map(() => LATEST_SCHEMA_VERSION));
		expect(migrationRows(fresh.path).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
	});
});

/**
 * Expired rows go on time, without any call: every open store purges them on its own timer (about every minute,
 * jittered, one per store, unref'd, stopped when the store closes; a failure is reported once per run and never
 * escapes). On both backends, with a short interval and short lifetimes; on SQLite also with the default interval
 * under fake timers (content with a one-minute time-to-live is gone within two minutes of being written).
 *
 * And what a purge leaves on disk. SQLite: `secure_delete` zeroes what was deleted and the purge folds the WAL into
 * the file, so neither file holds the purged ciphertext afterwards. PostgreSQL: a DELETE only marks rows dead — their
 * bytes stay in the table file (shown below with a plain DELETE) — so after a purge that deleted content the store
 * VACUUMs the content table: dead rows leave the pages and indexes, and a table left empty is cut back to nothing.
 * Content is AES-256-GCM ciphertext, so the plaintext reaches no file of the database at all (table, TOAST or WAL);
 * the ciphertext stays in the WAL (until its segments are recycled) and, with live rows beside it, may stay in a
 * page's free space after VACUUM until a new row overwrites it. The file-level checks read the test server's data
 * directory (scripts/postgres.sh's, CHECKPOINT as its superuser over the Unix socket); they are skipped when the
 * server is another one (WHATSAUTO_TEST_PG_HOST).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { toContentKeys } from '../../nodes/shared/store/access';
import {
	DEFAULT_PURGE_INTERVAL_MS,
	jittered,
	logPurgeError,
	MIN_PURGE_INTERVAL_MS,
	PURGE_INTERVAL_ENV,
	purgeIntervalOf,
	PurgeTimer,
} from '../../nodes/shared/store/common';
import { keepByReference, resolveContent } from '../../nodes/shared/store/contentByReference';
import { PostgresStore, quoteIdent } from '../../nodes/shared/store/postgres';
import { SqliteStore } from '../../nodes/shared/store/sqlite';
import type { WhatsAutoStore } from '../../nodes/shared/store/types';
import { PG_START_TIMEOUT_MS, startPostgres, type PostgresServer } from '../engine/privacy-postgres';
import { makeTempDir, sleep } from './helpers';

jest.setTimeout(60_000);

const SECRET = 'purge-schedule-test-secret-0123456789abcdef';
const keys = toContentKeys({ secretKey: SECRET })!;
const INTERVAL = 150;

const dir = makeTempDir('whatsauto-purge-');
let pg: PostgresServer;

beforeAll(async () => {
	pg = await startPostgres();
}, PG_START_TIMEOUT_MS + 30_000);

afterAll(async () => {
	await pg?.stop();
	rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** Polls `check` until it is true or `timeoutMs` passed; resolves to how long it took. */
async function within(timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<number> {
	const start = Date.now();
	for (;;) {
		if (await check()) return Date.now() - start;
		if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
		await sleep(25);
	}
}

const marker = (label: string) => `${label}-${randomBytes(8).toString('hex')}`;
const past = () => new Date(Date.now() - 1000);
const soon = (ms: number) => new Date(Date.now() + ms);
const later = () => new Date(Date.now() + 3_600_000);

function isRunning(store: WhatsAutoStore): boolean {
	return (store as unknown as { purgeTimer: PurgeTimer }).purgeTimer.running;
}

// ---------------------------------------------------------------- the timer itself

describe('PurgeTimer', () => {
	it('takes its interval from the option, else $WHATSAUTO_PURGE_INTERVAL_MS, else 60 s; 0 turns it off', () => {
		expect(PURGE_INTERVAL_ENV).toBe('WHATSAUTO_PURGE_INTERVAL_MS');
		expect(DEFAULT_PURGE_INTERVAL_MS).toBe(60_000);
		expect(purgeIntervalOf(undefined, {})).toBe(60_000);
		expect(purgeIntervalOf(undefined, { WHATSAUTO_PURGE_INTERVAL_MS: '' })).toBe(60_000);
		expect(purgeIntervalOf(undefined, { WHATSAUTO_PURGE_INTERVAL_MS: '5000' })).toBe(5000);
		expect(purgeIntervalOf(undefined, { WHATSAUTO_PURGE_INTERVAL_MS: '0' })).toBe(0);
		expect(purgeIntervalOf(undefined, { WHATSAUTO_PURGE_INTERVAL_MS: 'soon' })).toBe(60_000);
		expect(purgeIntervalOf(undefined, { WHATSAUTO_PURGE_INTERVAL_MS: '-1' })).toBe(60_000);
		expect(purgeIntervalOf(1, {})).toBe(MIN_PURGE_INTERVAL_MS);
		expect(purgeIntervalOf(200, { WHATSAUTO_PURGE_INTERVAL_MS: '0' })).toBe(200);
		expect(purgeIntervalOf(0, {})).toBe(0);
	});

	it('waits the interval ±20 %: with the default, never more than 72 s between purges', () => {
		expect(jittered(60_000, () => 0)).toBe(48_000);
		expect(jittered(60_000, () => 0.5)).toBe(60_000);
		expect(jittered(60_000, () => 0.999_999)).toBeLessThanOrEqual(72_000);
		expect(new Set(Array.from({ length: 50 }, () => jittered(60_000))).size).toBeGreaterThan(1);
	});

	it('runs one purge at a time, keeps going after failures (each reported once), survives a throwing logger, and is unref\'d', async () => {
		let running = 0;
		let most = 0;
		let runs = 0;
		const errors: Error[] = [];
		const timer = new PurgeTimer(
			async () => {
				runs++;
				running++;
				most = Math.max(most, running);
				await sleep(3 * MIN_PURGE_INTERVAL_MS); // slower than the interval
				running--;
				if (runs % 2) throw new Error(`database away ${runs}`);
			},
			MIN_PURGE_INTERVAL_MS,
			(error) => {
				errors.push(error);
				throw new Error('the logger itself fails');
			},
		);
		try {
			expect(timer.running).toBe(true);
			expect((timer as unknown as { timer: NodeJS.Timeout }).timer.hasRef()).toBe(false);
			const started = Date.now();
			await within(10_000, () => runs >= 6);
			const elapsed = Date.now() - started;
			expect(most).toBe(1);
			// one report per failed run, never more than one per interval
			expect(errors.length).toBeGreaterThanOrEqual(2);
			expect(errors.length).toBeLessThanOrEqual(Math.ceil(runs / 2));
			expect(errors.length).toBeLessThanOrEqual(elapsed / (0.8 * MIN_PURGE_INTERVAL_MS) + 1);
			expect(errors[0].message).toBe('database away 1');
		} finally {
			timer.stop();
		}
		expect(timer.running).toBe(false);
		const after = runs;
		await sleep(6 * MIN_PURGE_INTERVAL_MS);
		expect(runs).toBeLessThanOrEqual(after + 1); // at most the run already under way
	});

	it("reports to n8n's log by default: one warning with the error's message", async () => {
		const { LoggerProxy } = await import('n8n-workflow');
		const warn = jest.fn();
		LoggerProxy.init({ error: jest.fn(), warn, info: jest.fn(), debug: jest.fn() } as unknown as Parameters<typeof LoggerProxy.init>[0]);
		logPurgeError(new Error('connection refused'));
		await within(2_000, () => warn.mock.calls.length > 0);
		expect(warn.mock.calls).toEqual([['WhatsAuto store: the scheduled purge of expired rows failed (it runs again next interval): connection refused', undefined]]);
	});

	it('does nothing with interval 0', async () => {
		const purge = jest.fn(async () => 0);
		const timer = new PurgeTimer(purge, 0, () => undefined);
		expect(timer.running).toBe(false);
		await sleep(100);
		expect(purge).not.toHaveBeenCalled();
		timer.stop();
	});
});

// ---------------------------------------------------------------- both backends: rows go without any call

interface Backend {
	name: 'sqlite' | 'postgres';
	open(label: string, options?: { purgeIntervalMs?: number; onPurgeError?: (error: Error) => void }): Promise<WhatsAutoStore>;
	/** Rows left in `table` (read beside the store, not through it). */
	count(store: WhatsAutoStore, table: 'claims' | 'content' | 'records'): Promise<number>;
}

const sqlitePaths = new Map<WhatsAutoStore, string>();
const pgSchemas = new Map<WhatsAutoStore, string>();

const sqliteBackend: Backend = {
	name: 'sqlite',
	async open(label, options = {}) {
		const path = join(dir, `${label}-${randomBytes(3).toString('hex')}.sqlite`);
		const store = await SqliteStore.open({ backend: 'sqlite', path }, options);
		sqlitePaths.set(store, path);
		return store;
	},
	async count(store, table) {
		const db = new DatabaseSync(sqlitePaths.get(store)!, { readOnly: true });
		try {
			return Number((db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
		} finally {
			db.close();
		}
	},
};

const postgresBackend: Backend = {
	name: 'postgres',
	async open(label, options = {}) {
		const schema = pg.schema(`purge_${label.replace(/\W/g, '_')}_${randomBytes(3).toString('hex')}`);
		const store = await PostgresStore.open({ backend: 'postgres', ...pg.base, ssl: false, schema }, options);
		pgSchemas.set(store, schema);
		return store;
	},
	async count(store, table) {
		const { rows } = await pg.admin.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${quoteIdent(pgSchemas.get(store)!)}.${table}`);
		return Number(rows[0].n);
	},
};

describe.each([sqliteBackend, postgresBackend])('$name: every open store purges on its own timer', (backend: Backend) => {
	it('deletes expired content, records and claims without any call, keeps what is live, and stops when the store closes', async () => {
		const store = await backend.open('timer', { purgeIntervalMs: INTERVAL });
		try {
			expect(isRunning(store)).toBe(true);
			const message = { from: { waId: '447700900123' }, contactKey: '447700900123', type: 'text', text: { body: marker('short-lived') } };
			const item = await keepByReference(store, keys, message, 400); // a 400 ms time-to-live
			await store.putContent({ ref: 'live', contactKey: 'c', data: Buffer.from('live'), expiresAt: later() });
			await store.putRecord({ scope: 's', key: 'short', value: { n: 1 }, expiresAt: soon(400) });
			await store.putRecord({ scope: 's', key: 'live', value: { n: 2 }, expiresAt: later() });
			expect(await store.claim('inbound', 'short', 400)).toBe(true);
			expect(await store.claim('inbound', 'live', 3_600_000)).toBe(true);
			expect(await backend.count(store, 'content')).toBe(2);
			expect(await resolveContent(store, keys, item)).toBeDefined();

			// nothing more is asked of the store: its timer deletes the expired rows
			const written = Date.now();
			const took = await within(5_000, async () => (await backend.count(store, 'content')) === 1 && (await backend.count(store, 'records')) === 1 && (await backend.count(store, 'claims')) === 1);
			// expiry (400 ms) plus at most one jittered interval plus the purge itself
			expect(Date.now() - written).toBeLessThan(400 + 1.2 * INTERVAL + 1_500);
			process.stdout.write(`[${backend.name}] expired rows gone ${took} ms after they were written (ttl 400 ms, interval ${INTERVAL} ms)\n`);
			expect(await store.getContent('live')).toBeDefined();
			expect(await store.getRecord('s', 'live')).toBeDefined();
			expect(await store.claim('inbound', 'live', 1000)).toBe(false);
		} finally {
			await store.close();
		}
		expect(isRunning(store)).toBe(false);

		// closed: no timer is left to touch the database (rows expired since stay, nobody throws)
		const again = await (backend.name === 'sqlite' ? SqliteStore.open({ backend: 'sqlite', path: sqlitePaths.get(store)! }, { purgeIntervalMs: 0 }) : PostgresStore.open({ backend: 'postgres', ...pg.base, ssl: false, schema: pgSchemas.get(store)! }, { purgeIntervalMs: 0 }));
		try {
			expect(isRunning(again)).toBe(false);
			await again.putContent({ ref: 'left', contactKey: 'c', data: Buffer.from('x'), expiresAt: past() });
			await sleep(5 * INTERVAL);
			expect(await again.purgeExpired()).toBe(1);
		} finally {
			await again.close();
		}
	});
});

// ---------------------------------------------------------------- SQLite: the default interval, and the file

describe('SQLite', () => {
	afterEach(() => jest.useRealTimers());

	it('with the default interval, content with a one-minute time-to-live is gone within two minutes, without any call', async () => {
		jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
		const store = await sqliteBackend.open('default-interval');
		try {
			await keepByReference(store, keys, { contactKey: '447700900123', type: 'text', text: { body: 'hello' } }, 60_000);
			await jest.advanceTimersByTimeAsync(60_000 - 1);
			expect(await sqliteBackend.count(store, 'content')).toBe(1); // not yet expired: kept
			await jest.advanceTimersByTimeAsync(DEFAULT_PURGE_INTERVAL_MS * 1.2 + 1);
			expect(await sqliteBackend.count(store, 'content')).toBe(0);
		} finally {
			await store.close();
		}
	});

	it('secure_delete is on, and a purge leaves the ciphertext of expired or answered content in neither the database file nor its WAL', async () => {
		const store = await sqliteBackend.open('secure-delete', { purgeIntervalMs: 0 });
		const path = sqlitePaths.get(store)!;
		const files = () => [path, `${path}-wal`].filter(existsSync).map((file) => readFileSync(file));
		const holds = (needle: Buffer) => files().some((bytes) => bytes.includes(needle));
		try {
			const words = marker('plaintext-sqlite');
			const media = Buffer.from(`${words} `.repeat(4000)); // overflow pages
			await keepByReference(store, keys, { contactKey: '447700900123', type: 'text', text: { body: words } }, 300, { data: media, mimeType: 'text/plain' });
			const db = (store as unknown as { db: DatabaseSync }).db;
			expect(db.prepare('PRAGMA secure_delete').get()).toEqual({ secure_delete: 1 });
			const stored = db.prepare('SELECT data FROM content').all().map((row) => Buffer.from((row as { data: Uint8Array }).data));
			const needles = stored.map((data) => data.subarray(data.length - 48, data.length - 16));
			expect(needles).toHaveLength(2);
			expect(needles.every(holds)).toBe(true);
			expect(holds(Buffer.from(words))).toBe(false); // encrypted: never in clear

			await sleep(350);
			expect(await store.purgeExpired()).toBe(2);
			expect(needles.some(holds)).toBe(false);
			expect(holds(Buffer.from(words))).toBe(false);

			// content deleted once answered (not expired): gone from both files after the next purge
			const answered = await keepByReference(store, keys, { contactKey: '447700900123', type: 'text', text: { body: words } }, 3_600_000);
			const data = Buffer.from((db.prepare('SELECT data FROM content WHERE ref = ?').get(String(answered.contentRef)) as { data: Uint8Array }).data);
			const needle = data.subarray(data.length - 48, data.length - 16);
			expect(holds(needle)).toBe(true);
			expect(await store.deleteContent(String(answered.contentRef))).toBe(true);
			expect(await store.purgeExpired()).toBe(0);
			expect(holds(needle)).toBe(false);
		} finally {
			await store.close();
		}
	});
});

// ---------------------------------------------------------------- PostgreSQL: errors, VACUUM, the files

/** scripts/postgres.sh's server, when it is the one under test and its files are readable here. */
const PG_DIR = process.env.WHATSAUTO_PG_DIR ?? '/tmp/whatsauto-pg';
const PG_DATA = join(PG_DIR, 'data');
function localServerFiles(): boolean {
	if (process.env.WHATSAUTO_TEST_PG_HOST) return false;
	try {
		readdirSync(join(PG_DATA, 'base'));
		return existsSync(join(PG_DIR, 'port'));
	} catch {
		return false;
	}
}
const itWithFiles = localServerFiles() ? it : it.skip;

function psqlBinary(): string {
	const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b)) : [];
	for (const version of versions.reverse()) {
		const candidate = join('/usr/lib/postgresql', version, 'bin', 'psql');
		if (existsSync(candidate)) return candidate;
	}
	return 'psql';
}

/** CHECKPOINT as the server's superuser (over its Unix socket): every dirty page is written to the files. */
function checkpoint(): void {
	expect(readFileSync(join(PG_DIR, 'port'), 'utf8').trim()).toBe(String(pg.base.port));
	const psql = [psqlBinary(), '-h', join(PG_DIR, 'socket'), '-p', String(pg.base.port), '-d', pg.base.database, '-Atqc', 'CHECKPOINT'];
	// as root the server runs as `postgres` (scripts/postgres.sh), otherwise as ourselves
	const [command, ...args] = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...psql] : psql;
	const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
	if (result.status !== 0) throw new Error(`CHECKPOINT failed: ${result.stderr || result.error?.message}`);
}

/** The main fork of a relation (a name, or an oid as digits), as bytes (empty when the file is empty or gone). */
async function relationFile(relation: string): Promise<Buffer> {
	const cast = /^\d+$/.test(relation) ? '$1::oid::regclass' : '$1::regclass';
	const { rows } = await pg.admin.query<{ path: string }>(`SELECT pg_relation_filepath(${cast}) AS path`, [relation]);
	const file = join(PG_DATA, rows[0].path);
	return existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
}

/** Every file of this database's directory and of the WAL. */
async function everyFile(): Promise<Array<{ file: string; bytes: Buffer }>> {
	const { rows } = await pg.admin.query<{ oid: string }>('SELECT oid FROM pg_database WHERE datname = current_database()');
	const folders = [join(PG_DATA, 'base', String(rows[0].oid)), join(PG_DATA, 'pg_wal')];
	return folders.flatMap((folder) =>
		readdirSync(folder, { withFileTypes: true })
			.filter((entry) => entry.isFile())
			.map((entry) => ({ file: join(folder, entry.name), bytes: readFileSync(join(folder, entry.name)) })),
	);
}

describe('PostgreSQL', () => {
	const tableOf = (store: WhatsAutoStore, table: string) => `${quoteIdent(pgSchemas.get(store)!)}.${table}`;
	const toastOf = async (store: WhatsAutoStore) =>
		// by oid: its name (pg_toast.…) is in a schema this role may not look names up in
		(await pg.admin.query<{ toast: string }>('SELECT reltoastrelid::text AS toast FROM pg_class WHERE oid = $1::regclass', [tableOf(store, 'content')])).rows[0].toast;
	const sizes = async (store: WhatsAutoStore) => {
		const { rows } = await pg.admin.query<{ heap: string; toast: string }>(
			'SELECT pg_relation_size(c.oid) AS heap, pg_relation_size(c.reltoastrelid) AS toast FROM pg_class c WHERE c.oid = $1::regclass',
			[tableOf(store, 'content')],
		);
		return { heap: Number(rows[0].heap), toast: Number(rows[0].toast) };
	};
	const lastVacuum = async (store: WhatsAutoStore) =>
		(await pg.admin.query<{ at: Date | null }>('SELECT last_vacuum AS at FROM pg_stat_user_tables WHERE relid = $1::regclass', [tableOf(store, 'content')])).rows[0]?.at ?? null;

	it('reports a failing purge once per run, goes on, and purges again once the database is back', async () => {
		const errors: Error[] = [];
		const store = await postgresBackend.open('errors', { purgeIntervalMs: INTERVAL, onPurgeError: (error) => errors.push(error) });
		try {
			const schema = quoteIdent(pgSchemas.get(store)!);
			await store.putContent({ ref: 'expiring', contactKey: 'c', data: Buffer.from(marker('row')), expiresAt: soon(100) });
			await pg.admin.query(`ALTER TABLE ${schema}.content RENAME TO content_away`);
			const started = Date.now();
			await within(5_000, () => errors.length >= 3);
			const elapsed = Date.now() - started;
			expect(errors.length).toBeLessThanOrEqual(elapsed / (0.8 * INTERVAL) + 1);
			expect(errors[0].message).toMatch(/content.*does not exist/);
			expect(errors.map((e) => e.message).join('\n')).not.toContain('row-');
			await pg.admin.query(`ALTER TABLE ${schema}.content_away RENAME TO content`);
			await within(5_000, async () => (await postgresBackend.count(store, 'content')) === 0);
			expect(isRunning(store)).toBe(true);
		} finally {
			await store.close();
		}
	});

	it('VACUUMs the content table after a purge that deleted content: the dead rows leave the pages and the emptied table shrinks to nothing', async () => {
		const store = await postgresBackend.open('vacuum', { purgeIntervalMs: 0 });
		try {
			// one small row in the table itself, one large (ciphertext does not compress) in its TOAST table
			await keepByReference(store, keys, { contactKey: '447700900123', type: 'text', text: { body: 'small' } }, 300, { data: randomBytes(64 * 1024), mimeType: 'application/octet-stream' });
			expect((await sizes(store)).heap).toBeGreaterThan(0);
			expect((await sizes(store)).toast).toBeGreaterThan(0);
			expect(await lastVacuum(store)).toBeNull();
			// a purge that deleted nothing from content vacuums nothing
			await store.putRecord({ scope: 's', key: 'k', value: {}, expiresAt: past() });
			expect(await store.purgeExpired()).toBe(1);
			expect(await lastVacuum(store)).toBeNull();

			await sleep(350);
			expect(await store.purgeExpired()).toBe(2);
			expect(await lastVacuum(store)).toBeInstanceOf(Date);
			expect(await sizes(store)).toEqual({ heap: 0, toast: 0 });
		} finally {
			await store.close();
		}
	});

	it('also VACUUMs content deleted otherwise (forgotten once answered, erased): the next purge finds the dead rows in the statistics', async () => {
		const store = await postgresBackend.open('dead-rows', { purgeIntervalMs: 0 });
		try {
			const answered = await keepByReference(store, keys, { contactKey: '447700900123', type: 'text', text: { body: 'answered' } }, 3_600_000);
			await keepByReference(store, keys, { contactKey: '447700900456', type: 'text', text: { body: 'erased' } }, 3_600_000);
			expect(await store.deleteContent(String(answered.contentRef))).toBe(true);
			expect(await store.eraseContact(keys.pseudonymise('447700900456'))).toBe(1);
			expect(await lastVacuum(store)).toBeNull();
			// nothing expired; the statistics report the deleted rows within seconds
			await within(20_000, async () => {
				expect(await store.purgeExpired()).toBe(0);
				return (await lastVacuum(store)) !== null;
			});
			expect(await sizes(store)).toEqual({ heap: 0, toast: 0 });
		} finally {
			await store.close();
		}
	});

	itWithFiles('the plaintext reaches no file of the database; a plain DELETE leaves the ciphertext in the table file, the store\'s purge does not (the WAL keeps it)', async () => {
		const store = await postgresBackend.open('files', { purgeIntervalMs: 0 });
		try {
			const words = marker('plaintext-postgres');
			const media = Buffer.from(`${words} `.repeat(4000)); // ~130 KB: TOASTed
			const expiring = await keepByReference(store, keys, { contactKey: '447700900123', type: 'text', text: { body: words } }, 500, { data: media, mimeType: 'text/plain' });
			const deletedByHand = await keepByReference(store, keys, { contactKey: '447700900123', type: 'text', text: { body: `${words} again` } }, 3_600_000);
			const { rows } = await pg.admin.query<{ ref: string; data: Buffer }>(`SELECT ref, data FROM ${tableOf(store, 'content')}`);
			const needle = (ref: string) => {
				const data = rows.find((row) => row.ref === ref)!.data;
				return data.subarray(data.length - 48, data.length - 16); // 32 bytes of ciphertext
			};
			const expiringNeedles = [needle(String(expiring.contentRef)), needle(`${String(expiring.contentRef)}.media`)];
			const byHandNeedle = needle(String(deletedByHand.contentRef));
			const toast = await toastOf(store);
			const tableFiles = async () => Buffer.concat([await relationFile(tableOf(store, 'content')), await relationFile(toast)]);

			checkpoint();
			let files = await tableFiles();
			expect([...expiringNeedles, byHandNeedle].every((n) => files.includes(n))).toBe(true);

			// a plain DELETE (what the purge did before): the row is dead, its bytes still in the file
			await pg.admin.query(`DELETE FROM ${tableOf(store, 'content')} WHERE ref = $1`, [deletedByHand.contentRef]);
			checkpoint();
			expect((await tableFiles()).includes(byHandNeedle)).toBe(true);

			// the store's purge: DELETE, then VACUUM
			await sleep(550);
			expect(await store.purgeExpired()).toBe(2);
			checkpoint();
			files = await tableFiles();
			expect(files.length).toBe(0);
			expect([...expiringNeedles, byHandNeedle].some((n) => files.includes(n))).toBe(false);

			// never in clear, anywhere: not in any file of the database nor in the WAL; the ciphertext is in the WAL
			const everything = await everyFile();
			expect(everything.filter(({ bytes }) => bytes.includes(Buffer.from(words))).map(({ file }) => file)).toEqual([]);
			expect(everything.some(({ file, bytes }) => file.includes('pg_wal') && bytes.includes(expiringNeedles[0]))).toBe(true);
		} finally {
			await store.close();
		}
	});

	itWithFiles('VACUUM does not overwrite: beside live rows, a purged row\'s ciphertext may stay in the page\'s free space', async () => {
		const store = await postgresBackend.open('free-space', { purgeIntervalMs: 0 });
		try {
			await store.putContent({ ref: 'live', contactKey: 'c', data: randomBytes(200), expiresAt: later() });
			const expiring = randomBytes(200);
			await store.putContent({ ref: 'expiring', contactKey: 'c', data: expiring, expiresAt: soon(200) });
			await sleep(250);
			expect(await store.purgeExpired()).toBe(1);
			checkpoint();
			// one page remains (the live row's); the purged row is no longer a row, but its bytes are still there
			expect((await sizes(store)).heap).toBe(8192);
			const { rows } = await pg.admin.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${tableOf(store, 'content')}`);
			expect(Number(rows[0].n)).toBe(1);
			expect((await relationFile(tableOf(store, 'content'))).includes(expiring.subarray(0, 32))).toBe(true);
		} finally {
			await store.close();
		}
	});
});

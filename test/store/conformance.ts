import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import {
	AUDIT_GENESIS_HASH,
	DEFAULT_AUDIT_LIST_LIMIT,
	MAX_AUDIT_DETAIL_BYTES,
	MAX_AUDIT_LIST_LIMIT,
} from '../../nodes/shared/store/audit';
import {
	DEFAULT_RECORD_LIST_LIMIT,
	MAX_RECORD_LIST_LIMIT,
	MAX_RECORD_VALUE_BYTES,
} from '../../nodes/shared/store/common';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../nodes/shared/store/migrations';
import type {
	AuditEntry,
	AuditEntryInput,
	CounterInput,
	RecordCursor,
	StoreBackend,
	StoreConfig,
	StoredRecord,
	WhatsAutoStore,
} from '../../nodes/shared/store/types';
import { describeInboxConformance } from './inboxConformance';
import {
	AUDIT_KEY,
	buildChildScript,
	legacyAuditRows,
	makeTempDir,
	OTHER_AUDIT_KEY,
	runChildren,
	sha256AuditHash,
	sleep,
	type LegacyAuditRow,
} from './helpers';

/** Unique per call, so tests sharing one database never see each other's rows. */
const unique = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

export interface ConformanceOptions {
	backend: StoreBackend;
	/** Opens a new, uncached store instance on the same database every call. */
	makeStore: () => Promise<WhatsAutoStore>;
	/** Rows in the migrations table, read directly from the database. */
	migrationRows: () => Promise<Array<{ version: number; name: string }>>;
	/** One more database per old schema version, used only to test upgrading what an older store left behind. */
	upgrade: {
		/**
		 * Creates the database for `version` exactly as that schema version left it, by hand: the migrations
		 * table, the statements and rows of migrations 1 to `version`, then the seed rows.
		 */
		createAtVersion: (version: number, seed: UpgradeSeed) => Promise<void>;
		/** Opens (and so migrates) that database with the current code. */
		open: (version: number) => Promise<WhatsAutoStore>;
		migrationRows: (version: number) => Promise<Array<{ version: number; name: string }>>;
		/** Raw SQL on that database, like {@link FreshDatabase.tamper}. */
		tamper: (version: number, sql: string, ...params: Array<string | number>) => Promise<number>;
		/** Like {@link FreshDatabase.scan}, on that database. */
		scan: (version: number, needles: string[]) => Promise<string[]>;
	};
	/** A new, empty database (its own file or schema) each call: for audit tests that count or tamper. */
	freshDatabase: () => Promise<FreshDatabase>;
}

/** Rows written straight into an old database (times in epoch ms). */
export interface UpgradeSeed {
	claim: { scope: string; key: string; expiresAt: number };
	content: { ref: string; contactKey: string; data: Buffer; expiresAt: number };
	/** Written only from version 2 (records) on; `value` is JSON text. */
	record: { scope: string; key: string; contactKey: string; value: string; createdAt: number; expiresAt: number };
	/** Privacy request records as the desk wrote them before they were indexed: written from version 2 on. */
	requests: Array<{ scope: string; key: string; contactKey: string; value: string; createdAt: number; expiresAt: number }>;
	/** Audit entries as the version-3 store wrote them (plain SHA-256, subject in the row), and the head. */
	audit: { rows: LegacyAuditRow[]; head: { seq: number; hash: string } };
}

export interface FreshDatabase {
	/** Its configuration, for child processes. */
	config: StoreConfig;
	/** Opens a new, uncached store on it (creating and migrating it the first time). */
	open: () => Promise<WhatsAutoStore>;
	/**
	 * Runs one statement straight on the database, as someone with SQL access and no store would: unqualified
	 * table names, `?` placeholders. Resolves to the number of rows changed.
	 */
	tamper: (sql: string, ...params: Array<string | number>) => Promise<number>;
	/** Runs one query straight on the database, like `tamper`, and resolves to its rows. */
	rows: (sql: string, ...params: Array<string | number>) => Promise<Array<Record<string, unknown>>>;
	/**
	 * Every `table.column` (tables and columns read from the database's own schema) holding one of `needles`
	 * in any row: text as is, binary byte for byte.
	 */
	scan: (needles: string[]) => Promise<string[]>;
}

function upgradeSeed(): UpgradeSeed {
	const contactKey = unique('old-contact');
	const request = (key: string, state: string, dueAt: string) => ({
		scope: 'privacy-request',
		key,
		contactKey,
		value: JSON.stringify({ id: key, type: 'delete', channel: 'form', state, subject: contactKey, receivedAt: '2029-12-02T03:04:05.678Z', dueAt, results: [] }),
		createdAt: Date.now() - 60_000,
		expiresAt: Date.now() + 3_600_000,
	});
	const requests = [
		request(unique('PR-open'), 'in_progress', '2030-01-02T03:04:05.678Z'),
		request(unique('PR-done'), 'completed', '2030-01-01T00:00:00.000Z'),
	];
	const audit = legacyAuditRows([
		{ requestId: requests[0].key, subject: contactKey, action: 'received', toState: 'received' },
		{ requestId: 'PR-nobody', subject: '', action: 'received', toState: 'received' },
		{ requestId: requests[0].key, subject: contactKey, action: 'transition', fromState: 'received', toState: 'in_progress' },
	]);
	return {
		requests,
		audit,
		claim: { scope: 'message', key: unique('old'), expiresAt: Date.now() + 3_600_000 },
		content: {
			ref: unique('old-ref'),
			contactKey,
			data: Buffer.from('kept across the upgrade'),
			expiresAt: Date.now() + 3_600_000,
		},
		record: {
			scope: 'outcome',
			key: unique('old-wamid'),
			contactKey,
			value: JSON.stringify({ status: 'replied', kept: true }),
			createdAt: Date.now() - 60_000,
			expiresAt: Date.now() + 3_600_000,
		},
	};
}

/** The one behaviour every store backend must show. */
export function describeStoreConformance(name: string, options: ConformanceOptions): void {
	describe(`store conformance: ${name}`, () => {
		let store: WhatsAutoStore;

		beforeAll(async () => {
			store = await options.makeStore();
		});

		afterAll(async () => {
			await store?.close();
		});

		describe('migrations', () => {
			it('reports its backend and the latest schema version', async () => {
				expect(store.backend).toBe(options.backend);
				expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
			});

			it('records every migration exactly once', async () => {
				const rows = await options.migrationRows();
				expect(rows.map((r) => [Number(r.version), r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
			});

			it('is idempotent when reopened', async () => {
				const again = await options.makeStore();
				try {
					expect(await again.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
				} finally {
					await again.close();
				}
				expect(await options.migrationRows()).toHaveLength(MIGRATIONS.length);
				expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
			});

			it('is at version 8, the counters', async () => {
				expect(await store.schemaVersion()).toBe(8);
				expect((await options.migrationRows()).map((r) => [Number(r.version), r.name])).toEqual([
					[1, 'claims and content'],
					[2, 'records'],
					[3, 'audit log'],
					[4, 'record state and due date'],
					[5, 'keyed audit log with subjects apart'],
					[6, 'audit entries re-filed under a new id'],
					[7, 'conversation gate inbox'],
					[8, 'counters'],
				]);
			});

			it('upgrades a version-4 database and moves its person to a new id before any keyed entry: the old entries still verify', async () => {
				const seed = upgradeSeed();
				const before = seed.record.contactKey;
				const after = unique('new-contact');
				await options.upgrade.createAtVersion(4, seed);
				const upgraded = await options.upgrade.open(4);
				try {
					expect(await upgraded.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 3, unkeyedEntries: 3 });
					// content, record and two requests by contact key, two audit entries re-filed
					expect(await upgraded.rekeyContact(before, after, AUDIT_KEY)).toBe(1 + 1 + 2 + 2);
					expect(await upgraded.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 3, unkeyedEntries: 3 });
					expect((await upgraded.listAudit({ subject: after })).map((e) => e.seq)).toEqual([1, 3]);
					expect(await options.upgrade.scan(4, [before])).toEqual([]);
					const next = await upgraded.appendAudit({ requestId: seed.requests[0].key, subject: after, actor: 'system', action: 'received' }, AUDIT_KEY);
					expect(next.prevHash).toBe(seed.audit.head.hash);
					expect(await upgraded.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 4, unkeyedEntries: 3 });
					expect(await upgraded.eraseContact(after)).toBe(1 + 1 + 2 + 3);
					expect(await options.upgrade.scan(4, [after])).toEqual([]);
					expect(await upgraded.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 4, unkeyedEntries: 3 });
				} finally {
					await upgraded.close();
				}
			});

			it('upgrades a version-1 database to the latest version, keeping its data', async () => {
				const seed = upgradeSeed();
				await options.upgrade.createAtVersion(1, seed);
				expect((await options.upgrade.migrationRows(1)).map((r) => Number(r.version))).toEqual([1]);

				const upgraded = await options.upgrade.open(1);
				try {
					expect(await upgraded.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
					expect((await options.upgrade.migrationRows(1)).map((r) => [Number(r.version), r.name])).toEqual(
						MIGRATIONS.map((m) => [m.version, m.name]),
					);
					// Version-1 data survives: the claim is still held, the content still readable.
					expect(await upgraded.claim(seed.claim.scope, seed.claim.key, 60000)).toBe(false);
					const content = await upgraded.getContent(seed.content.ref);
					expect(content?.data.toString()).toBe('kept across the upgrade');
					expect(content?.contactKey).toBe(seed.content.contactKey);
					expect(content?.expiresAt.getTime()).toBe(seed.content.expiresAt);
					// The new table works, and erasure reaches both the old rows and the new.
					await upgraded.putRecord({
						scope: 'outcome',
						key: 'wamid.v1',
						contactKey: seed.content.contactKey,
						value: { ok: true },
						expiresAt: new Date(Date.now() + 60000),
					});
					expect((await upgraded.getRecord('outcome', 'wamid.v1'))?.value).toEqual({ ok: true });
					expect(await upgraded.eraseContact(seed.content.contactKey)).toBe(2);
				} finally {
					await upgraded.close();
				}
				const again = await options.upgrade.open(1);
				try {
					expect(await again.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
				} finally {
					await again.close();
				}
				expect(await options.upgrade.migrationRows(1)).toHaveLength(MIGRATIONS.length);
			});

			it('upgrades a version-2 database to the latest version, keeping its data, with an empty audit log', async () => {
				const seed = upgradeSeed();
				await options.upgrade.createAtVersion(2, seed);
				expect((await options.upgrade.migrationRows(2)).map((r) => Number(r.version))).toEqual([1, 2]);

				const upgraded = await options.upgrade.open(2);
				try {
					expect(await upgraded.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
					expect((await options.upgrade.migrationRows(2)).map((r) => [Number(r.version), r.name])).toEqual(
						MIGRATIONS.map((m) => [m.version, m.name]),
					);
					// Version-2 data survives.
					expect(await upgraded.claim(seed.claim.scope, seed.claim.key, 60000)).toBe(false);
					expect((await upgraded.getContent(seed.content.ref))?.data.toString()).toBe('kept across the upgrade');
					expect(await upgraded.getRecord(seed.record.scope, seed.record.key)).toEqual({
						scope: seed.record.scope,
						key: seed.record.key,
						contactKey: seed.record.contactKey,
						value: { status: 'replied', kept: true },
						createdAt: new Date(seed.record.createdAt),
						expiresAt: new Date(seed.record.expiresAt),
					});
					// Request records written before they were indexed are found by state and due date, to the millisecond.
					const [open] = seed.requests;
					const dueAt = new Date(JSON.parse(open.value).dueAt as string);
					const states = ['received', 'awaiting_identity', 'in_progress'];
					expect((await upgraded.listRecordsByState('privacy-request', { states })).records.map((r) => r.key)).toEqual([open.key]);
					expect((await upgraded.listRecordsByState('privacy-request', { states, dueBy: dueAt })).records).toHaveLength(1);
					expect(
						(await upgraded.listRecordsByState('privacy-request', { states, dueBy: new Date(dueAt.getTime() - 1) })).records,
					).toEqual([]);
					expect((await upgraded.listRecordsByState('privacy-request', { states: ['completed'] })).records.map((r) => r.key)).toEqual([
						seed.requests[1].key,
					]);
					// The audit log starts empty and sound, and chains from the genesis hash.
					expect(await upgraded.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 0 });
					expect(await upgraded.listAudit()).toEqual([]);
					const first = await upgraded.appendAudit({
						requestId: 'req-upgrade',
						subject: seed.record.contactKey,
						actor: 'system',
						action: 'erased',
					}, AUDIT_KEY);
					expect(first.prevHash).toBe(AUDIT_GENESIS_HASH);
					// Erasure takes the old rows (content, record, two requests) and unlinks the audit entry.
					expect(await upgraded.eraseContact(seed.record.contactKey)).toBe(5);
					expect(await upgraded.listAudit({ subject: seed.record.contactKey })).toEqual([]);
					expect(await upgraded.listAudit()).toEqual([{ ...first, subject: '' }]);
					expect(await upgraded.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 1 });
				} finally {
					await upgraded.close();
				}
				const again = await options.upgrade.open(2);
				try {
					expect(await again.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
					expect(await again.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 1 });
				} finally {
					await again.close();
				}
				expect(await options.upgrade.migrationRows(2)).toHaveLength(MIGRATIONS.length);
			});

			it('upgrades a version-3 database: its audit entries still verify, then join the keyed chain, and erasure unlinks them', async () => {
				const seed = upgradeSeed();
				const contactKey = seed.record.contactKey;
				await options.upgrade.createAtVersion(3, seed);
				expect((await options.upgrade.migrationRows(3)).map((r) => Number(r.version))).toEqual([1, 2, 3]);

				const upgraded = await options.upgrade.open(3);
				try {
					expect(await upgraded.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
					const [open] = seed.requests;
					const states = ['received', 'awaiting_identity', 'in_progress'];
					expect((await upgraded.listRecordsByState('privacy-request', { states })).records.map((r) => r.key)).toEqual([open.key]);

					// The entries written with the old unkeyed scheme verify as they are, and read back unchanged.
					expect(await upgraded.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 3, unkeyedEntries: 3 });
					const old = await upgraded.listAudit();
					expect(old.map((e) => [e.seq, e.requestId, e.subject, e.toState, e.prevHash, e.hash])).toEqual(
						seed.audit.rows.map((r) => [r.seq, r.request_id, r.subject, r.to_state, r.prev_hash, r.hash]),
					);
					expect((await upgraded.listAudit({ subject: contactKey })).map((e) => e.seq)).toEqual([1, 3]);

					// The first keyed entry chains on from them.
					const next = await upgraded.appendAudit(
						{ requestId: open.key, subject: contactKey, actor: 'system', action: 'transition', fromState: 'in_progress', toState: 'completed' },
						AUDIT_KEY,
					);
					expect(next.prevHash).toBe(seed.audit.head.hash);
					expect(await upgraded.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 4, unkeyedEntries: 3 });

					// Erasure unlinks old and new entries alike: no row anywhere carries the pseudonym; the chain still verifies.
					expect((await options.upgrade.scan(3, [contactKey])).length).toBeGreaterThan(0);
					expect(await upgraded.eraseContact(contactKey)).toBe(2 + 2 + 3); // content and record, two requests, three entries
					expect(await options.upgrade.scan(3, [contactKey])).toEqual([]);
					expect(await upgraded.listAudit({ subject: contactKey })).toEqual([]);
					expect((await upgraded.listAudit()).map((e) => e.subject)).toEqual(['', '', '', '']);
					expect(await upgraded.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 4, unkeyedEntries: 3 });

					// An old entry rewritten with its SHA-256 hash recomputed is caught: the keyed chain now holds it.
					const forged = { ...old[2], subject: '', toState: 'denied' };
					expect(
						await options.upgrade.tamper(
							3,
							'UPDATE audit_log SET to_state = ?, hash = ? WHERE seq = ?',
							'denied',
							sha256AuditHash(forged.prevHash, forged),
							3,
						),
					).toBe(1);
					expect(await upgraded.verifyAuditChain(AUDIT_KEY)).toMatchObject({ ok: false, brokenAtSeq: 3 });
				} finally {
					await upgraded.close();
				}
			});
		});

		describe('claims', () => {
			it('lets the first caller win and refuses the rest while unexpired', async () => {
				const key = unique('msg');
				expect(await store.claim('message', key, 60000)).toBe(true);
				expect(await store.claim('message', key, 60000)).toBe(false);
				expect(await store.claim('message', key, 1)).toBe(false);
			});

			it('keeps keys and scopes apart', async () => {
				const key = unique('msg');
				expect(await store.claim('message', key, 60000)).toBe(true);
				expect(await store.claim('message', unique('other'), 60000)).toBe(true);
				expect(await store.claim('reply', key, 60000)).toBe(true);
				expect(await store.claim('reply', key, 60000)).toBe(false);
			});

			it('lets an expired claim be taken again, once', async () => {
				const key = unique('msg');
				expect(await store.claim('message', key, 1000)).toBe(true);
				expect(await store.claim('message', key, 1000)).toBe(false);
				await sleep(1200);
				expect(await store.claim('message', key, 60000)).toBe(true);
				expect(await store.claim('message', key, 60000)).toBe(false);
			});

			it('has exactly one winner among concurrent callers in one process', async () => {
				const key = unique('msg');
				const results = await Promise.all(Array.from({ length: 25 }, () => store.claim('message', key, 60000)));
				expect(results.filter(Boolean)).toHaveLength(1);
			});

			it('releases a claim so it can be taken again at once', async () => {
				const key = unique('msg');
				expect(await store.claim('lease', key, 60000)).toBe(true);
				expect(await store.claim('lease', key, 60000)).toBe(false);
				expect(await store.releaseClaim('lease', key)).toBe(true);
				expect(await store.releaseClaim('lease', key)).toBe(false);
				expect(await store.claim('lease', key, 60000)).toBe(true);
				expect(await store.claim('lease', key, 60000)).toBe(false);
			});

			it('releases only the named claim', async () => {
				const key = unique('msg');
				const other = unique('msg');
				expect(await store.claim('lease', key, 60000)).toBe(true);
				expect(await store.claim('lease-other', key, 60000)).toBe(true);
				expect(await store.claim('lease', other, 60000)).toBe(true);
				expect(await store.releaseClaim('lease', key)).toBe(true);
				expect(await store.claim('lease-other', key, 60000)).toBe(false);
				expect(await store.claim('lease', other, 60000)).toBe(false);
			});

			it('reports releasing a missing or expired claim as false, and leaves it takeable', async () => {
				expect(await store.releaseClaim('lease', unique('never'))).toBe(false);
				const key = unique('msg');
				expect(await store.claim('lease', key, 50)).toBe(true);
				await sleep(150);
				expect(await store.releaseClaim('lease', key)).toBe(false);
				expect(await store.claim('lease', key, 60000)).toBe(true);
			});

			it('lets exactly one concurrent caller retake a released claim', async () => {
				const key = unique('msg');
				expect(await store.claim('lease', key, 60000)).toBe(true);
				expect(await store.releaseClaim('lease', key)).toBe(true);
				const results = await Promise.all(Array.from({ length: 10 }, () => store.claim('lease', key, 60000)));
				expect(results.filter(Boolean)).toHaveLength(1);
			});

			it('rejects invalid arguments', async () => {
				await expect(store.releaseClaim('', unique('k'))).rejects.toThrow(TypeError);
				await expect(store.releaseClaim('message', '')).rejects.toThrow(TypeError);
				await expect(store.claim('message', unique('k'), 0)).rejects.toThrow(TypeError);
				await expect(store.claim('message', unique('k'), -5)).rejects.toThrow(TypeError);
				await expect(store.claim('message', unique('k'), Number.NaN)).rejects.toThrow(TypeError);
				await expect(store.claim('', unique('k'), 1000)).rejects.toThrow(TypeError);
				await expect(store.claim('message', '', 1000)).rejects.toThrow(TypeError);
			});
		});

		describe('content', () => {
			const entry = (overrides: Partial<{ ref: string; contactKey: string; data: Buffer; ttlMs: number }> = {}) => ({
				ref: overrides.ref ?? unique('ref'),
				contactKey: overrides.contactKey ?? unique('contact'),
				data: overrides.data ?? randomBytes(64),
				expiresAt: new Date(Date.now() + (overrides.ttlMs ?? 60000)),
			});

			it('round-trips an opaque binary blob', async () => {
				const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
				const put = entry({ data });
				await store.putContent(put);
				const got = await store.getContent(put.ref);
				expect(got).toBeDefined();
				expect(Buffer.isBuffer(got!.data)).toBe(true);
				expect(got!.data.equals(data)).toBe(true);
				expect(got!.ref).toBe(put.ref);
				expect(got!.contactKey).toBe(put.contactKey);
				expect(got!.expiresAt.getTime()).toBe(put.expiresAt.getTime());
			});

			it('stores an empty blob', async () => {
				const put = entry({ data: Buffer.alloc(0) });
				await store.putContent(put);
				expect((await store.getContent(put.ref))?.data.length).toBe(0);
			});

			it('returns undefined for a missing ref', async () => {
				expect(await store.getContent(unique('missing'))).toBeUndefined();
			});

			it('lists a contact’s unexpired content, soonest expiry first, and no one else’s', async () => {
				const contactKey = unique('contact');
				const later = entry({ contactKey, ttlMs: 120_000, data: Buffer.from('later') });
				const sooner = entry({ contactKey, ttlMs: 60_000, data: Buffer.from('sooner') });
				const expired = entry({ contactKey, ttlMs: -1 });
				const someoneElse = entry();
				for (const put of [later, sooner, expired, someoneElse]) await store.putContent(put);
				const listed = await store.listContent(contactKey);
				expect(listed.map((got) => [got.ref, got.data.toString()])).toEqual([
					[sooner.ref, 'sooner'],
					[later.ref, 'later'],
				]);
				expect(await store.listContent(unique('nobody'))).toEqual([]);
				await expect(store.listContent('')).rejects.toThrow(TypeError);
			});

			it('overwrites an entry put again under the same ref', async () => {
				const first = entry();
				await store.putContent(first);
				const second = { ...entry({ ref: first.ref }), data: Buffer.from('second') };
				await store.putContent(second);
				const got = await store.getContent(first.ref);
				expect(got?.data.toString()).toBe('second');
				expect(got?.contactKey).toBe(second.contactKey);
			});

			it('deletes', async () => {
				const put = entry();
				await store.putContent(put);
				expect(await store.deleteContent(put.ref)).toBe(true);
				expect(await store.getContent(put.ref)).toBeUndefined();
				expect(await store.deleteContent(put.ref)).toBe(false);
			});

			it('never returns an expired entry, even before purge', async () => {
				const soon = entry({ ttlMs: 1000 });
				const past = entry({ ttlMs: -1000 });
				await store.putContent(soon);
				await store.putContent(past);
				expect(await store.getContent(past.ref)).toBeUndefined();
				expect(await store.getContent(soon.ref)).toBeDefined();
				await sleep(1200);
				expect(await store.getContent(soon.ref)).toBeUndefined();
			});

			it('purges expired rows from every table and keeps the rest', async () => {
				const expiredContent = [entry({ ttlMs: -1000 }), entry({ ttlMs: -1 })];
				const liveContent = entry();
				for (const e of [...expiredContent, liveContent]) await store.putContent(e);
				const expiredClaim = unique('expired');
				const liveClaim = unique('live');
				expect(await store.claim('purge', expiredClaim, 50)).toBe(true);
				expect(await store.claim('purge', liveClaim, 60000)).toBe(true);
				await sleep(150);

				expect(await store.purgeExpired()).toBeGreaterThanOrEqual(3);
				expect(await store.purgeExpired()).toBe(0);
				for (const e of expiredContent) expect(await store.deleteContent(e.ref)).toBe(false);
				expect(await store.getContent(liveContent.ref)).toBeDefined();
				expect(await store.claim('purge', liveClaim, 60000)).toBe(false);
				expect(await store.claim('purge', expiredClaim, 60000)).toBe(true);
			});

			it('erases everything a contact left, expired or not, and nothing else', async () => {
				const contactKey = unique('contact');
				const mine = [entry({ contactKey }), entry({ contactKey }), entry({ contactKey, ttlMs: -1000 })];
				const theirs = entry();
				for (const e of [...mine, theirs]) await store.putContent(e);
				expect(await store.eraseContact(contactKey)).toBe(3);
				for (const e of mine) expect(await store.getContent(e.ref)).toBeUndefined();
				expect(await store.getContent(theirs.ref)).toBeDefined();
				expect(await store.eraseContact(contactKey)).toBe(0);
			});

			it('rejects invalid entries', async () => {
				await expect(store.putContent({ ...entry(), ref: '' })).rejects.toThrow(TypeError);
				await expect(store.putContent({ ...entry(), expiresAt: new Date(Number.NaN) })).rejects.toThrow(TypeError);
				await expect(
					store.putContent({ ...entry(), data: 'text' as unknown as Buffer }),
				).rejects.toThrow(TypeError);
			});
		});

		describe('records', () => {
			const record = (
				overrides: Partial<{ scope: string; key: string; contactKey: string; value: unknown; ttlMs: number }> = {},
			) => ({
				scope: overrides.scope ?? 'outcome',
				key: overrides.key ?? unique('wamid'),
				...('contactKey' in overrides ? { contactKey: overrides.contactKey } : { contactKey: unique('contact') }),
				value: 'value' in overrides ? overrides.value : { status: 'replied', attempt: 1 },
				expiresAt: new Date(Date.now() + (overrides.ttlMs ?? 60000)),
			});
			const keys = (records: StoredRecord[]) => records.map((r) => r.key);

			it('round-trips JSON values of every kind', async () => {
				const values: unknown[] = [
					{ status: 'replied', reply: { wamid: 'wamid.ABC', at: 1700000000000 }, tags: ['a', 'b'], none: null },
					[1, 'two', { three: 3 }, [4]],
					'plain string with "quotes", \\ backslashes, emoji 😀 and ünïcödé',
					0,
					-12.5,
					true,
					false,
					null,
					{},
					'',
				];
				for (const value of values) {
					const put = record({ value });
					await store.putRecord(put);
					const got = await store.getRecord(put.scope, put.key);
					expect(got).toBeDefined();
					expect(got!.value).toEqual(value);
				}
			});

			it('reads back every field', async () => {
				const before = Date.now();
				const put = record({ value: { a: 1 } });
				await store.putRecord(put);
				const got = await store.getRecord<{ a: number }>(put.scope, put.key);
				expect(got).toEqual({
					scope: put.scope,
					key: put.key,
					contactKey: put.contactKey,
					value: { a: 1 },
					createdAt: expect.any(Date),
					expiresAt: put.expiresAt,
				});
				// PostgreSQL stamps createdAt by the server's clock: same machine here, so allow only a little skew.
				expect(Math.abs(got!.createdAt.getTime() - before)).toBeLessThan(5000);
			});

			it('stores a record without a contact under contact key ""', async () => {
				const put = record({ contactKey: undefined });
				await store.putRecord(put);
				expect((await store.getRecord(put.scope, put.key))?.contactKey).toBe('');
				const explicit = record({ contactKey: '' });
				await store.putRecord(explicit);
				expect((await store.getRecord(explicit.scope, explicit.key))?.contactKey).toBe('');
			});

			it('returns undefined for a missing record and keeps scopes and keys apart', async () => {
				const put = record();
				await store.putRecord(put);
				expect(await store.getRecord(put.scope, unique('missing'))).toBeUndefined();
				expect(await store.getRecord('other-scope', put.key)).toBeUndefined();
				expect(await store.getRecord(put.scope, put.key)).toBeDefined();
			});

			it('replaces value, contact key and expiry on a second put, keeping createdAt', async () => {
				const first = record({ value: { status: 'pending' } });
				await store.putRecord(first);
				const created = (await store.getRecord(first.scope, first.key))!.createdAt;
				await sleep(20);
				const second = record({ key: first.key, value: { status: 'replied' }, ttlMs: 120000 });
				await store.putRecord(second);
				const got = await store.getRecord(first.scope, first.key);
				expect(got?.value).toEqual({ status: 'replied' });
				expect(got?.contactKey).toBe(second.contactKey);
				expect(got?.expiresAt.getTime()).toBe(second.expiresAt.getTime());
				expect(got?.createdAt.getTime()).toBe(created.getTime());
			});

			it('treats a put over an expired record as new', async () => {
				// Long enough to read back on a loaded machine, short enough to wait out.
				const first = record({ ttlMs: 1000 });
				await store.putRecord(first);
				const created = (await store.getRecord(first.scope, first.key))!.createdAt;
				await sleep(1200);
				expect(await store.getRecord(first.scope, first.key)).toBeUndefined();
				await store.putRecord(record({ key: first.key, value: 'again' }));
				const got = await store.getRecord(first.scope, first.key);
				expect(got?.value).toBe('again');
				expect(got!.createdAt.getTime()).toBeGreaterThan(created.getTime());
			});

			it('never returns or lists an expired record, even before purge', async () => {
				const scope = unique('expiry');
				const soon = record({ scope, ttlMs: 1000 });
				const past = record({ scope, ttlMs: -1000 });
				await store.putRecord(soon);
				await store.putRecord(past);
				expect(await store.getRecord(scope, past.key)).toBeUndefined();
				expect(await store.getRecord(scope, soon.key)).toBeDefined();
				expect(keys(await store.listRecords(scope))).toEqual([soon.key]);
				await sleep(1200);
				expect(await store.getRecord(scope, soon.key)).toBeUndefined();
				expect(await store.listRecords(scope)).toEqual([]);
			});

			it('deletes, expired or not', async () => {
				const put = record();
				await store.putRecord(put);
				expect(await store.deleteRecord(put.scope, put.key)).toBe(true);
				expect(await store.getRecord(put.scope, put.key)).toBeUndefined();
				expect(await store.deleteRecord(put.scope, put.key)).toBe(false);
				const expired = record({ ttlMs: -1000 });
				await store.putRecord(expired);
				expect(await store.deleteRecord(expired.scope, expired.key)).toBe(true);
				expect(await store.deleteRecord(expired.scope, expired.key)).toBe(false);
			});

			it('lists a scope newest first, optionally for one contact', async () => {
				const scope = unique('list');
				const alice = unique('alice');
				const bob = unique('bob');
				const put = [
					record({ scope, contactKey: alice, value: 0 }),
					record({ scope, contactKey: bob, value: 1 }),
					record({ scope, contactKey: alice, value: 2 }),
					record({ scope, contactKey: undefined, value: 3 }),
				];
				for (const r of put) {
					await store.putRecord(r);
					await sleep(5); // distinct createdAt milliseconds
				}
				await store.putRecord(record({ scope: unique('elsewhere'), contactKey: alice }));

				const all = await store.listRecords<number>(scope);
				expect(keys(all)).toEqual([put[3].key, put[2].key, put[1].key, put[0].key]);
				expect(all.map((r) => r.value)).toEqual([3, 2, 1, 0]);
				expect(all[3]).toEqual(await store.getRecord(scope, put[0].key));
				expect(keys(await store.listRecords(scope, { contactKey: alice }))).toEqual([put[2].key, put[0].key]);
				expect(keys(await store.listRecords(scope, { contactKey: bob }))).toEqual([put[1].key]);
				expect(await store.listRecords(scope, { contactKey: unique('nobody') })).toEqual([]);
				expect(await store.listRecords(unique('empty'))).toEqual([]);
			});

			it('keeps its place in the list when updated', async () => {
				const scope = unique('list');
				const older = record({ scope });
				const newer = record({ scope });
				await store.putRecord(older);
				await sleep(5);
				await store.putRecord(newer);
				await sleep(5);
				await store.putRecord({ ...older, value: 'updated' });
				expect(keys(await store.listRecords(scope))).toEqual([newer.key, older.key]);
			});

			it('limits the list: as asked, 100 by default, never more than 1000', async () => {
				expect(DEFAULT_RECORD_LIST_LIMIT).toBe(100);
				expect(MAX_RECORD_LIST_LIMIT).toBe(1000);
				const scope = unique('limit');
				const contactKey = unique('contact');
				const total = MAX_RECORD_LIST_LIMIT + 5;
				for (let i = 0; i < total; i += 50) {
					await Promise.all(
						Array.from({ length: Math.min(50, total - i) }, (_, j) =>
							store.putRecord(record({ scope, contactKey, key: `k${String(i + j).padStart(5, '0')}`, value: i + j })),
						),
					);
				}
				const three = await store.listRecords(scope, { limit: 3 });
				expect(three).toHaveLength(3);
				// Newest first: every listed record is at least as new as the next.
				for (let i = 1; i < three.length; i++) {
					expect(three[i - 1].createdAt.getTime()).toBeGreaterThanOrEqual(three[i].createdAt.getTime());
				}
				expect(await store.listRecords(scope)).toHaveLength(DEFAULT_RECORD_LIST_LIMIT);
				expect(await store.listRecords(scope, { contactKey })).toHaveLength(DEFAULT_RECORD_LIST_LIMIT);
				expect(await store.listRecords(scope, { limit: 5000 })).toHaveLength(MAX_RECORD_LIST_LIMIT);
				expect(await store.listRecords(scope, { contactKey, limit: 1001 })).toHaveLength(MAX_RECORD_LIST_LIMIT);
				expect(await store.listRecords(scope, { limit: 1 })).toHaveLength(1);
			});

			it('purges expired records and keeps the rest', async () => {
				const scope = unique('purge');
				const expired = [record({ scope, ttlMs: -1000 }), record({ scope, ttlMs: -1 })];
				const live = record({ scope });
				for (const r of [...expired, live]) await store.putRecord(r);

				expect(await store.purgeExpired()).toBeGreaterThanOrEqual(2);
				for (const r of expired) expect(await store.deleteRecord(scope, r.key)).toBe(false);
				expect(await store.getRecord(scope, live.key)).toBeDefined();
			});

			it("erases a contact's records, expired or not, with their content, and nobody else's", async () => {
				const contactKey = unique('contact');
				const mine = [
					record({ contactKey }),
					record({ contactKey, scope: 'sent' }),
					record({ contactKey, ttlMs: -1000 }),
				];
				const theirs = record();
				const nobodys = record({ contactKey: undefined });
				for (const r of [...mine, theirs, nobodys]) await store.putRecord(r);
				await store.putContent({
					ref: unique('ref'),
					contactKey,
					data: Buffer.from('x'),
					expiresAt: new Date(Date.now() + 60000),
				});

				expect(await store.eraseContact(contactKey)).toBe(4);
				for (const r of mine) expect(await store.deleteRecord(r.scope, r.key)).toBe(false);
				expect(await store.getRecord(theirs.scope, theirs.key)).toBeDefined();
				expect(await store.getRecord(nobodys.scope, nobodys.key)).toBeDefined();
				expect(await store.eraseContact(contactKey)).toBe(0);
			});

			it('refuses values that are not JSON, clearly', async () => {
				const circular: Record<string, unknown> = {};
				circular.self = circular;
				for (const value of [undefined, () => 1, Symbol('s'), 10n, circular, { nested: 1n }]) {
					await expect(store.putRecord(record({ value }))).rejects.toThrow(TypeError);
					await expect(store.putRecord(record({ value }))).rejects.toThrow(/JSON-serialisable/);
				}
			});

			it('caps a value at 64 KiB of JSON, counting bytes', async () => {
				expect(MAX_RECORD_VALUE_BYTES).toBe(64 * 1024);
				const atCap = record({ value: 'a'.repeat(MAX_RECORD_VALUE_BYTES - 2) }); // plus two quotes
				await store.putRecord(atCap);
				expect(((await store.getRecord(atCap.scope, atCap.key))?.value as string).length).toBe(
					MAX_RECORD_VALUE_BYTES - 2,
				);
				const over = record({ value: 'a'.repeat(MAX_RECORD_VALUE_BYTES - 1) });
				await expect(store.putRecord(over)).rejects.toThrow(RangeError);
				await expect(store.putRecord(over)).rejects.toThrow(/65537 bytes.*65536/);
				// Fewer characters than the cap, but more bytes.
				const multibyte = record({ value: 'é'.repeat(40000) });
				await expect(store.putRecord(multibyte)).rejects.toThrow(/not content/);
				expect(await store.getRecord(over.scope, over.key)).toBeUndefined();
				expect(await store.getRecord(multibyte.scope, multibyte.key)).toBeUndefined();
			});

			it('rejects invalid arguments', async () => {
				const long = 'x'.repeat(1025);
				await expect(store.putRecord(record({ scope: '' }))).rejects.toThrow(TypeError);
				await expect(store.putRecord(record({ key: '' }))).rejects.toThrow(TypeError);
				await expect(store.putRecord(record({ key: long }))).rejects.toThrow(TypeError);
				await expect(store.putRecord(record({ contactKey: long }))).rejects.toThrow(TypeError);
				await expect(store.putRecord(record({ contactKey: 5 as unknown as string }))).rejects.toThrow(TypeError);
				await expect(store.putRecord({ ...record(), expiresAt: new Date(Number.NaN) })).rejects.toThrow(TypeError);
				await expect(store.putRecord({ ...record(), expiresAt: Date.now() as unknown as Date })).rejects.toThrow(
					TypeError,
				);
				await expect(store.putRecord(null as never)).rejects.toThrow(TypeError);
				await expect(store.getRecord('', 'k')).rejects.toThrow(TypeError);
				await expect(store.getRecord('s', '')).rejects.toThrow(TypeError);
				await expect(store.deleteRecord('', 'k')).rejects.toThrow(TypeError);
				await expect(store.deleteRecord('s', long)).rejects.toThrow(TypeError);
				await expect(store.listRecords('')).rejects.toThrow(TypeError);
				await expect(store.listRecords('s', { contactKey: '' })).rejects.toThrow(TypeError);
				for (const limit of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
					await expect(store.listRecords('s', { limit })).rejects.toThrow(/limit/);
				}
			});
		});

		describe('records by state and due date', () => {
			const day = (n: number) => new Date(Date.UTC(2030, 0, 1) + n * 86_400_000);
			const put = (
				scope: string,
				key: string,
				state: string | undefined,
				dueAt: Date | undefined,
				ttlMs = 60_000,
			) =>
				store.putRecord({
					scope,
					key,
					contactKey: unique('contact'),
					value: { key, state },
					...(state === undefined ? {} : { state }),
					...(dueAt === undefined ? {} : { dueAt }),
					expiresAt: new Date(Date.now() + ttlMs),
				});
			const keys = (page: { records: StoredRecord[] }) => page.records.map((r) => r.key);

			it('lists the records in the given states, soonest due first (ties by key, no due date last), unexpired, of this scope', async () => {
				const scope = unique('requests');
				await put(scope, 'c', 'open', day(3));
				await put(scope, 'a', 'waiting', day(1));
				await put(scope, 'b', 'open', day(3));
				await put(scope, 'd', 'closed', day(0));
				await put(scope, 'e', 'open', undefined);
				await put(scope, 'f', 'open', day(2), -1000);
				await put(scope, 'g', undefined, day(0));
				await put(unique('elsewhere'), 'h', 'open', day(0));

				const page = await store.listRecordsByState(scope, { states: ['open', 'waiting'] });
				expect(keys(page)).toEqual(['a', 'b', 'c', 'e']);
				expect(page.next).toBeUndefined();
				expect(page.records[0]).toEqual(await store.getRecord(scope, 'a'));
				expect(keys(await store.listRecordsByState(scope, { states: ['closed'] }))).toEqual(['d']);
				expect(keys(await store.listRecordsByState(scope, { states: ['nothing'] }))).toEqual([]);
			});

			it('lists only those due by a date (inclusive); one without a due date never is', async () => {
				const scope = unique('requests');
				await put(scope, 'a', 'open', day(1));
				await put(scope, 'b', 'open', day(3));
				await put(scope, 'c', 'open', undefined);
				await put(scope, 'z', 'open', day(-400));
				expect(keys(await store.listRecordsByState(scope, { states: ['open'], dueBy: day(2) }))).toEqual(['z', 'a']);
				expect(keys(await store.listRecordsByState(scope, { states: ['open'], dueBy: day(3) }))).toEqual(['z', 'a', 'b']);
				expect(keys(await store.listRecordsByState(scope, { states: ['open'], dueBy: new Date(day(3).getTime() - 1) }))).toEqual(['z', 'a']);
			});

			it('pages through every matching record exactly once, in order', async () => {
				const scope = unique('requests');
				const expected: string[] = [];
				for (let i = 0; i < 23; i++) {
					const key = `k${String(i).padStart(2, '0')}`;
					await put(scope, key, i % 5 === 0 ? 'closed' : 'open', i % 7 === 0 ? undefined : day(i % 4));
				}
				for (let d = 0; d < 4; d++) {
					for (let i = 0; i < 23; i++) if (i % 5 !== 0 && i % 7 !== 0 && i % 4 === d) expected.push(`k${String(i).padStart(2, '0')}`);
				}
				for (let i = 0; i < 23; i++) if (i % 5 !== 0 && i % 7 === 0) expected.push(`k${String(i).padStart(2, '0')}`);
				const seen: string[] = [];
				let after: RecordCursor | undefined;
				let pages = 0;
				for (;;) {
					const page = await store.listRecordsByState(scope, { states: ['open'], limit: 4, ...(after ? { after } : {}) });
					expect(page.records.length).toBeLessThanOrEqual(4);
					seen.push(...keys(page));
					pages++;
					if (!page.next) break;
					after = page.next;
				}
				expect(seen).toEqual(expected);
				expect(pages).toBe(Math.floor(expected.length / 4) + 1);
			});

			it('lists 100 by default, never more than 1000', async () => {
				const scope = unique('requests');
				for (let i = 0; i < 1005; i += 67) {
					await Promise.all(
						Array.from({ length: Math.min(67, 1005 - i) }, (_, j) => put(scope, `k${String(i + j).padStart(5, '0')}`, 'open', day(0))),
					);
				}
				const first = await store.listRecordsByState(scope, { states: ['open'] });
				expect(first.records).toHaveLength(DEFAULT_RECORD_LIST_LIMIT);
				expect(first.next).toBeDefined();
				const most = await store.listRecordsByState(scope, { states: ['open'], limit: 5000 });
				expect(most.records).toHaveLength(MAX_RECORD_LIST_LIMIT);
				const rest = await store.listRecordsByState(scope, { states: ['open'], limit: 5000, after: most.next });
				expect(keys(rest)).toEqual(['k01000', 'k01001', 'k01002', 'k01003', 'k01004']);
				expect(rest.next).toBeUndefined();
			});

			it('indexes a record anew on every put: a new state moves it, a put without one leaves every state list', async () => {
				const scope = unique('requests');
				await put(scope, 'a', 'open', day(1));
				await put(scope, 'a', 'closed', day(1));
				expect(keys(await store.listRecordsByState(scope, { states: ['open'] }))).toEqual([]);
				expect(keys(await store.listRecordsByState(scope, { states: ['closed'] }))).toEqual(['a']);
				await put(scope, 'a', undefined, undefined);
				expect(keys(await store.listRecordsByState(scope, { states: ['closed', 'open'] }))).toEqual([]);
				expect((await store.getRecord(scope, 'a'))?.value).toEqual({ key: 'a' });
			});

			it('erases indexed records with their contact', async () => {
				const scope = unique('requests');
				const contactKey = unique('contact');
				await store.putRecord({ scope, key: 'a', contactKey, value: 1, state: 'open', dueAt: day(1), expiresAt: new Date(Date.now() + 60_000) });
				expect(await store.eraseContact(contactKey)).toBe(1);
				expect(keys(await store.listRecordsByState(scope, { states: ['open'] }))).toEqual([]);
			});

			it('rejects invalid states, due dates, cursors and limits', async () => {
				const scope = unique('requests');
				const base = { scope, key: 'k', value: 1, expiresAt: new Date(Date.now() + 60_000) };
				await expect(store.putRecord({ ...base, state: '' })).rejects.toThrow(/state/);
				await expect(store.putRecord({ ...base, state: 'x'.repeat(129) })).rejects.toThrow(/state/);
				await expect(store.putRecord({ ...base, state: 5 as unknown as string })).rejects.toThrow(TypeError);
				await expect(store.putRecord({ ...base, dueAt: new Date(Number.NaN) })).rejects.toThrow(/dueAt/);
				await expect(store.putRecord({ ...base, dueAt: Date.now() as unknown as Date })).rejects.toThrow(/dueAt/);
				const bad: unknown[] = [
					undefined,
					null,
					{},
					{ states: [] },
					{ states: 'open' },
					{ states: [''] },
					{ states: Array.from({ length: 33 }, (_, i) => `s${i}`) },
					{ states: ['open'], dueBy: new Date(Number.NaN) },
					{ states: ['open'], after: { dueAt: 1.5, key: 'k' } },
					{ states: ['open'], after: { dueAt: 1, key: 5 } },
					{ states: ['open'], limit: 0 },
					{ states: ['open'], limit: 1.5 },
				];
				for (const options of bad) {
					await expect(store.listRecordsByState(scope, options as never)).rejects.toThrow(TypeError);
				}
				await expect(store.listRecordsByState('', { states: ['open'] })).rejects.toThrow(TypeError);
			});
		});

		describe('audit log', () => {
			const input = (overrides: Partial<AuditEntryInput> = {}): AuditEntryInput => ({
				requestId: unique('req'),
				subject: unique('subject'),
				actor: 'system',
				action: 'received',
				...overrides,
			});
			const hex64 = /^[0-9a-f]{64}$/;
			const opened: WhatsAutoStore[] = [];
			let workDir: string;

			beforeAll(() => {
				workDir = makeTempDir(`whatsauto-audit-${name}-`);
			});

			afterAll(async () => {
				for (const s of opened) await s.close();
				rmSync(workDir, { recursive: true, force: true });
			});

			/** A fresh database and a store on it, with `n` entries appended one after another. */
			async function freshLog(n = 0) {
				const db = await options.freshDatabase();
				const log = await db.open();
				opened.push(log);
				const entries: AuditEntry[] = [];
				for (let i = 0; i < n; i++) {
					entries.push(
						await log.appendAudit(
							input({ requestId: 'req-1', action: 'transition', fromState: `s${i}`, toState: `s${i + 1}`, detail: { i } }), AUDIT_KEY
						),
					);
				}
				return { db, log, entries };
			}

			it('appends an entry and reads it back, with its place in the chain', async () => {
				const before = Date.now();
				const put = input({
					actor: 'operator',
					action: 'transition',
					fromState: 'received',
					toState: 'verifying',
					detail: { reason: 'id check', results: [{ store: 'records', count: 2, b: 1, a: 0 }], none: null },
				});
				const entry = await store.appendAudit(put, AUDIT_KEY);
				expect(entry).toEqual({
					seq: expect.any(Number),
					at: expect.any(Date),
					requestId: put.requestId,
					subject: put.subject,
					actor: 'operator',
					action: 'transition',
					fromState: 'received',
					toState: 'verifying',
					detail: put.detail,
					prevHash: expect.stringMatching(hex64),
					hash: expect.stringMatching(hex64),
				});
				expect(Number.isSafeInteger(entry.seq) && entry.seq > 0).toBe(true);
				// PostgreSQL stamps by the server's clock: same machine here, so allow only a little skew.
				expect(Math.abs(entry.at.getTime() - before)).toBeLessThan(5000);
				// Keyed: not the plain SHA-256 anyone could compute.
				expect(entry.hash).not.toBe(sha256AuditHash(entry.prevHash, entry));
				expect(await store.listAudit({ requestId: put.requestId })).toEqual([entry]);
			});

			it("defaults states to '' and detail to {}, and takes an empty subject", async () => {
				const put = input({ subject: '' });
				const entry = await store.appendAudit(put, AUDIT_KEY);
				expect(entry).toMatchObject({ subject: '', fromState: '', toState: '', detail: {} });
				expect(await store.listAudit({ requestId: put.requestId })).toEqual([entry]);
			});

			it('stores detail as JSON, like a record value', async () => {
				const at = new Date('2024-05-01T12:00:00.000Z');
				const entry = await store.appendAudit(input({ detail: { at, nested: { z: 1, a: [true, 'x'] } } }), AUDIT_KEY);
				expect(entry.detail).toEqual({ at: at.toISOString(), nested: { z: 1, a: [true, 'x'] } });
				expect((await store.listAudit({ requestId: entry.requestId }))[0].detail).toEqual(entry.detail);
			});

			it('links every entry to the one before, in increasing seq', async () => {
				const { log, entries } = await freshLog(5);
				expect(entries[0].prevHash).toBe(AUDIT_GENESIS_HASH);
				for (let i = 1; i < entries.length; i++) {
					expect(entries[i].seq).toBeGreaterThan(entries[i - 1].seq);
					expect(entries[i].prevHash).toBe(entries[i - 1].hash);
				}
				expect(await log.listAudit()).toEqual(entries);
			});

			it('lists by request, subject, afterSeq and limit, in ascending seq', async () => {
				const requestId = unique('req');
				const alice = unique('alice');
				const bob = unique('bob');
				const put = [
					input({ requestId, subject: alice, action: 'received' }),
					input({ subject: alice, action: 'received' }),
					input({ requestId, subject: bob, action: 'identity_verified' }),
					input({ requestId, subject: alice, action: 'erased' }),
					input({ subject: bob, action: 'exported' }),
				];
				const e: AuditEntry[] = [];
				for (const p of put) e.push(await store.appendAudit(p, AUDIT_KEY));
				const seqs = (entries: AuditEntry[]) => entries.map((x) => x.seq);

				expect(seqs(await store.listAudit({ requestId }))).toEqual(seqs([e[0], e[2], e[3]]));
				expect(await store.listAudit({ requestId })).toEqual([e[0], e[2], e[3]]);
				expect(seqs(await store.listAudit({ subject: alice }))).toEqual(seqs([e[0], e[1], e[3]]));
				expect(seqs(await store.listAudit({ subject: bob }))).toEqual(seqs([e[2], e[4]]));
				expect(seqs(await store.listAudit({ requestId, subject: alice }))).toEqual(seqs([e[0], e[3]]));
				expect(seqs(await store.listAudit({ requestId, afterSeq: e[0].seq }))).toEqual(seqs([e[2], e[3]]));
				expect(seqs(await store.listAudit({ requestId, afterSeq: e[3].seq }))).toEqual([]);
				expect(seqs(await store.listAudit({ requestId, limit: 2 }))).toEqual(seqs([e[0], e[2]]));
				expect(seqs(await store.listAudit({ subject: alice, afterSeq: e[0].seq, limit: 1 }))).toEqual([e[1].seq]);
				expect(seqs(await store.listAudit({ afterSeq: e[1].seq, limit: 3 }))).toEqual(seqs([e[2], e[3], e[4]]));
				expect(await store.listAudit({ requestId: unique('nobody') })).toEqual([]);
				const all = await store.listAudit({ afterSeq: e[0].seq - 1 });
				expect(seqs(all).slice(0, 5)).toEqual(seqs(e));
			});

			it('lists 1000 by default and pages on with afterSeq', async () => {
				expect(DEFAULT_AUDIT_LIST_LIMIT).toBe(1000);
				expect(MAX_AUDIT_LIST_LIMIT).toBe(10000);
				const requestId = unique('req');
				const total = DEFAULT_AUDIT_LIST_LIMIT + 5;
				for (let i = 0; i < total; i += 50) {
					await Promise.all(
						Array.from({ length: Math.min(50, total - i) }, (_, j) =>
							store.appendAudit(input({ requestId, detail: { n: i + j } }), AUDIT_KEY),
						),
					);
				}
				const first = await store.listAudit({ requestId });
				expect(first).toHaveLength(DEFAULT_AUDIT_LIST_LIMIT);
				const rest = await store.listAudit({ requestId, afterSeq: first[first.length - 1].seq });
				expect(rest).toHaveLength(5);
				const all = await store.listAudit({ requestId, limit: 50_000 });
				expect(all).toHaveLength(total);
				expect(all).toEqual([...first, ...rest]);
				const seqs = all.map((x) => x.seq);
				expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
				expect(new Set(all.map((x) => x.detail.n)).size).toBe(total);
			});

			it('verifies the chain: empty, growing, and the shared log', async () => {
				const { log } = await freshLog();
				expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 0 });
				for (let i = 1; i <= 3; i++) {
					await log.appendAudit(input(), AUDIT_KEY);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: i });
				}
				const shared = await store.verifyAuditChain(AUDIT_KEY);
				expect(shared).toEqual({ ok: true, entries: expect.any(Number) });
				expect((shared as { entries: number }).entries).toBeGreaterThan(DEFAULT_AUDIT_LIST_LIMIT);
			});

			it('serialises concurrent appends in one process into one chain', async () => {
				const { log } = await freshLog();
				const entries = await Promise.all(Array.from({ length: 40 }, (_, i) => log.appendAudit(input({ detail: { i } }), AUDIT_KEY)));
				expect(new Set(entries.map((e) => e.seq)).size).toBe(40);
				const byHash = new Map(entries.map((e) => [e.hash, e]));
				expect(entries.filter((e) => e.prevHash === AUDIT_GENESIS_HASH)).toHaveLength(1);
				for (const e of entries) {
					if (e.prevHash !== AUDIT_GENESIS_HASH) expect(byHash.get(e.prevHash)!.seq).toBeLessThan(e.seq);
				}
				expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 40 });
				expect(await log.listAudit()).toEqual([...entries].sort((a, b) => a.seq - b.seq));
			});

			it('keeps one unbroken chain when several processes append at the same moment', async () => {
				const { db, log } = await freshLog(); // migrated before the race, so every child is ready at once
				const script = buildChildScript(join(workDir, 'build'));
				const perChild = 60;
				const tasks = Array.from({ length: 4 }, (_, c) => ({
					mode: 'audit' as const,
					config: db.config,
					scope: 'race',
					ids: Array.from({ length: perChild }, (_, i) => `c${c}-${i}`),
					concurrency: 4,
					auditKey: AUDIT_KEY.toString('hex'),
				}));
				const results = await runChildren(script, workDir, tasks);
				const appended = results.flatMap((r) => r.appended ?? []);
				expect(results.map((r) => r.appended?.length)).toEqual(tasks.map(() => perChild));
				expect(new Set(appended).size).toBe(tasks.length * perChild);

				expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: tasks.length * perChild });
				const listed = await log.listAudit({ requestId: 'race' });
				expect(listed.map((e) => e.seq)).toEqual([...appended].sort((a, b) => a - b));
				expect(new Set(listed.map((e) => e.detail.id)).size).toBe(tasks.length * perChild);
				expect(new Set(listed.map((e) => e.detail.pid)).size).toBe(tasks.length);
				for (let i = 1; i < listed.length; i++) expect(listed[i].prevHash).toBe(listed[i - 1].hash);
			});

			describe('tampering', () => {
				it('reports an entry whose detail was changed', async () => {
					const { db, log, entries } = await freshLog(5);
					expect(await db.tamper('UPDATE audit_log SET detail = ? WHERE seq = ?', '{"i":99}', entries[2].seq)).toBe(1);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({
						ok: false,
						brokenAtSeq: entries[2].seq,
						reason: expect.stringMatching(/does not match its hash/),
					});
				});

				it('reports an entry whose to_state was changed', async () => {
					const { db, log, entries } = await freshLog(5);
					expect(await db.tamper("UPDATE audit_log SET to_state = 'closed' WHERE seq = ?", entries[1].seq)).toBe(1);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toMatchObject({ ok: false, brokenAtSeq: entries[1].seq });
				});

				it('reports any other field changed, the time and the links included', async () => {
					const changes: Array<[string, string | number]> = [
						['at', 1],
						['request_id', 'other'],
						['subject', 'other'],
						['actor', 'other'],
						['action', 'other'],
						['from_state', 'other'],
						['prev_hash', AUDIT_GENESIS_HASH],
						['hash', AUDIT_GENESIS_HASH],
					];
					for (const [column, value] of changes) {
						const { db, log, entries } = await freshLog(3);
						await db.tamper(`UPDATE audit_log SET ${column} = ? WHERE seq = ?`, value, entries[1].seq);
						expect([column, await log.verifyAuditChain(AUDIT_KEY)]).toEqual([
							column,
							{ ok: false, brokenAtSeq: entries[1].seq, reason: expect.any(String) },
						]);
					}
				});

				it('reports an entry whose detail is no longer JSON, and refuses to list it', async () => {
					const { db, log, entries } = await freshLog(3);
					await db.tamper("UPDATE audit_log SET detail = 'not json' WHERE seq = ?", entries[1].seq);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toMatchObject({ ok: false, brokenAtSeq: entries[1].seq });
					await expect(log.listAudit()).rejects.toThrow(/valid JSON/);
					expect(await log.listAudit({ limit: 1 })).toEqual([entries[0]]);
				});

				it('reports a deleted middle entry at the entry after it', async () => {
					const { db, log, entries } = await freshLog(5);
					expect(await db.tamper('DELETE FROM audit_log WHERE seq = ?', entries[2].seq)).toBe(1);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({
						ok: false,
						brokenAtSeq: entries[3].seq,
						reason: expect.stringMatching(/removed/),
					});
				});

				it('reports an entry rewritten with a plain SHA-256 hash recomputed at the entry itself', async () => {
					const { db, log, entries } = await freshLog(4);
					const forged = { ...entries[1], toState: 'closed' };
					await db.tamper(
						'UPDATE audit_log SET to_state = ?, hash = ? WHERE seq = ?',
						'closed',
						sha256AuditHash(forged.prevHash, forged),
						entries[1].seq,
					);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toMatchObject({ ok: false, brokenAtSeq: entries[1].seq });
				});

				it('is keyed: an outcome rewritten and re-hashed with SHA-256, with every later entry and the head, is caught', async () => {
					// What a database writer without the store secret can do: rewrite `failed` as `completed`, then
					// recompute the documented SHA-256 of that entry and of every entry after it, and move the head.
					const { db, log } = await freshLog();
					const requestId = unique('req');
					const entries: AuditEntry[] = [];
					for (const [from, to] of [['', 'received'], ['received', 'in_progress'], ['in_progress', 'failed']]) {
						entries.push(await log.appendAudit(input({ requestId, action: from ? 'transition' : 'received', fromState: from, toState: to }), AUDIT_KEY));
					}
					entries.push(await log.appendAudit(input({ requestId, action: 'confirmed' }), AUDIT_KEY));
					const raw = await db.rows('SELECT seq, subject FROM audit_log ORDER BY seq');
					const stored = new Map(raw.map((row) => [Number(row.seq), String(row.subject ?? '')]));
					let prevHash = entries[1].hash;
					for (const entry of entries.slice(2)) {
						const forged = { ...entry, subject: stored.get(entry.seq) ?? '', toState: entry.toState === 'failed' ? 'completed' : entry.toState };
						const hash = sha256AuditHash(prevHash, forged);
						await db.tamper('UPDATE audit_log SET to_state = ?, prev_hash = ?, hash = ? WHERE seq = ?', forged.toState, prevHash, hash, entry.seq);
						prevHash = hash;
					}
					expect(await db.tamper('UPDATE audit_head SET hash = ? WHERE id = 1', prevHash)).toBe(1);
					expect((await log.listAudit({ requestId })).map((e) => e.toState)).toEqual(['received', 'in_progress', 'completed', '']);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({
						ok: false,
						brokenAtSeq: entries[2].seq,
						reason: expect.stringMatching(/does not match its hash/),
					});
				});

				it('verifies only with the key the log was written with', async () => {
					const { log, entries } = await freshLog(2);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 2 });
					expect(await log.verifyAuditChain(OTHER_AUDIT_KEY)).toMatchObject({ ok: false, brokenAtSeq: entries[0].seq });
				});

				it('reports entries deleted from the end even when the head was moved back to the last one kept', async () => {
					const { db, log, entries } = await freshLog(4);
					expect(await db.tamper('DELETE FROM audit_log WHERE seq = ?', entries[3].seq)).toBe(1);
					expect(await db.tamper('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', entries[2].seq, entries[2].hash)).toBe(1);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({
						ok: false,
						brokenAtSeq: entries[2].seq,
						reason: expect.stringMatching(/head/),
					});
				});

				it('reports an entry moved to another subject', async () => {
					const { db, log } = await freshLog();
					const alice = unique('alice');
					const bob = unique('bob');
					await log.appendAudit(input({ subject: alice }), AUDIT_KEY);
					const bobs = await log.appendAudit(input({ subject: bob }), AUDIT_KEY);
					expect(await db.tamper('UPDATE audit_subjects SET contact_key = ? WHERE seq = ?', alice, bobs.seq)).toBe(1);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toMatchObject({ ok: false, brokenAtSeq: bobs.seq });
				});

				it('reports entries deleted from the end at the seq the head recorded', async () => {
					const { db, log, entries } = await freshLog(5);
					expect(await db.tamper('DELETE FROM audit_log WHERE seq >= ?', entries[3].seq)).toBe(2);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({
						ok: false,
						brokenAtSeq: entries[4].seq,
						reason: expect.stringMatching(/removed from the end/),
					});
				});

				it('reports the last entry rewritten with its hash recomputed', async () => {
					const { db, log, entries } = await freshLog(3);
					const forged = { ...entries[2], detail: { i: 99 } };
					await db.tamper(
						'UPDATE audit_log SET detail = ?, hash = ? WHERE seq = ?',
						'{"i":99}',
						sha256AuditHash(forged.prevHash, forged),
						entries[2].seq,
					);
					await db.tamper('UPDATE audit_head SET hash = ? WHERE id = 1', sha256AuditHash(forged.prevHash, forged));
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({
						ok: false,
						brokenAtSeq: entries[2].seq,
						reason: expect.stringMatching(/does not match its hash/),
					});
				});

				it('reports an entry inserted behind the store', async () => {
					const { db, log, entries } = await freshLog(3);
					const last = entries[2];
					const forged = { ...last, seq: last.seq + 1, prevHash: last.hash, action: 'forged' };
					await db.tamper(
						`INSERT INTO audit_log (seq, at, request_id, subject, actor, action, from_state, to_state, detail,
							prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
						forged.seq,
						forged.at.getTime(),
						forged.requestId,
						forged.subject,
						forged.actor,
						forged.action,
						forged.fromState,
						forged.toState,
						JSON.stringify(forged.detail),
						forged.prevHash,
						sha256AuditHash(forged.prevHash, forged),
					);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({
						ok: false,
						brokenAtSeq: forged.seq,
						reason: expect.stringMatching(/beyond the head/),
					});
				});

				it('reports a missing head, and refuses to append without one', async () => {
					const { db, log } = await freshLog(2);
					expect(await db.tamper('DELETE FROM audit_head')).toBe(1);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({
						ok: false,
						brokenAtSeq: 0,
						reason: expect.stringMatching(/head .* missing/),
					});
					await expect(log.appendAudit(input(), AUDIT_KEY)).rejects.toThrow(/head of the audit log is missing/);
				});
			});

			it('survives erasure and purge, unlinked: the entries stay, the pseudonym goes', async () => {
				const contactKey = unique('contact');
				const requestId = unique('req');
				await store.putContent({
					ref: unique('ref'),
					contactKey,
					data: Buffer.from('x'),
					expiresAt: new Date(Date.now() - 1000),
				});
				await store.putRecord({ scope: 'outcome', key: unique('k'), contactKey, value: 1, expiresAt: new Date(Date.now() + 60000) });
				const received = await store.appendAudit(input({ requestId, subject: contactKey }), AUDIT_KEY);
				const erased = await store.eraseContact(contactKey);
				expect(erased).toBe(3); // content, record, and the entry's link to the person
				const done = await store.appendAudit(input({ requestId, subject: '', action: 'erased', detail: { rows: erased } }), AUDIT_KEY);
				expect(await store.purgeExpired()).toBeGreaterThanOrEqual(0);
				expect(await store.eraseContact(contactKey)).toBe(0);
				expect(await store.listAudit({ subject: contactKey })).toEqual([]);
				expect(await store.listAudit({ requestId })).toEqual([{ ...received, subject: '' }, done]);
				expect(await store.verifyAuditChain(AUDIT_KEY)).toMatchObject({ ok: true });
			});

			it('unlinks an erased person from every entry: no row of any table holds their pseudonym, the chain verifies', async () => {
				const { db, log } = await freshLog();
				const alice = unique('alice');
				const bob = unique('bob');
				const a1 = await log.appendAudit(input({ requestId: 'r-a', subject: alice }), AUDIT_KEY);
				const b1 = await log.appendAudit(input({ requestId: 'r-b', subject: bob }), AUDIT_KEY);
				const a2 = await log.appendAudit(
					input({ requestId: 'r-a', subject: alice, action: 'transition', fromState: 'received', toState: 'completed' }),
					AUDIT_KEY,
				);
				expect(await db.scan([alice])).not.toEqual([]);
				expect(await log.eraseContact(alice)).toBe(2);
				expect(await db.scan([alice])).toEqual([]);
				expect(await log.listAudit({ subject: alice })).toEqual([]);
				expect(await log.listAudit({ subject: bob })).toEqual([b1]);
				expect(await log.listAudit()).toEqual([{ ...a1, subject: '' }, b1, { ...a2, subject: '' }]);
				expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 3 });
				expect(await db.scan([bob])).not.toEqual([]);
			});

			describe('a person moving to a new id (rekeyContact)', () => {
				const later = () => new Date(Date.now() + 60_000);

				/** Everything a person leaves: content, a contact-keyed record, the person-keyed ones, audit entries. */
				async function person(log: WhatsAutoStore, who: string) {
					const ref = unique('ref');
					await log.putContent({ ref, contactKey: who, data: Buffer.from('ciphertext'), expiresAt: later() });
					const reply = unique('reply');
					await log.putRecord({ scope: 'reply', key: reply, contactKey: who, value: { status: 'replied' }, expiresAt: later() });
					await log.putRecord({ scope: 'suppression', key: who, value: { ai: true, marketing: true, since: 'then' }, expiresAt: later() });
					await log.putRecord({ scope: 'profile', key: who, contactKey: who, value: { name: 'Ana' }, expiresAt: later() });
					const requestId = unique('PR');
					await log.putRecord({ scope: 'privacy-request', key: requestId, contactKey: who, value: { id: requestId, subject: who, state: 'completed' }, state: 'completed', expiresAt: later() });
					const received = await log.appendAudit(input({ requestId, subject: who }), AUDIT_KEY);
					const done = await log.appendAudit(input({ requestId, subject: who, action: 'transition', fromState: 'received', toState: 'completed' }), AUDIT_KEY);
					return { ref, reply, requestId, entries: [received, done] };
				}

				it('moves content, records, person-keyed records and audit entries in one go; the chain verifies; erasure under the new id takes it all', async () => {
					const { db, log } = await freshLog();
					const old = unique('old');
					const now = unique('new');
					const other = unique('other');
					const kept = await person(log, old);
					const bystander = await person(log, other);
					const alias = unique('alias');
					await log.putRecord({ scope: 'contact-alias', key: alias, contactKey: old, value: {}, expiresAt: later() });

					// content, reply, request, suppression (key), profile (key and contact key), alias (contact key), two audit entries
					expect(await log.rekeyContact(old, now, AUDIT_KEY)).toBe(8);
					expect(await db.scan([old])).toEqual([]);
					expect((await log.getContent(kept.ref))?.contactKey).toBe(now);
					expect(await log.getRecord('reply', kept.reply)).toMatchObject({ contactKey: now });
					expect(await log.getRecord('suppression', now)).toMatchObject({ contactKey: '', value: { ai: true } });
					expect(await log.getRecord('profile', now)).toMatchObject({ contactKey: now, value: { name: 'Ana' } });
					expect(await log.getRecord('contact-alias', alias)).toMatchObject({ contactKey: now });
					// A request names its person in its value too.
					expect(await log.getRecord('privacy-request', kept.requestId)).toMatchObject({ contactKey: now, value: { subject: now, state: 'completed' } });
					expect((await log.listRecordsByState('privacy-request', { states: ['completed'] })).records.map((r) => r.key)).toContain(kept.requestId);
					expect(await log.listAudit({ subject: now })).toEqual(kept.entries.map((e) => ({ ...e, subject: now })));
					expect(await log.listAudit({ subject: other })).toEqual(bystander.entries);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 4 });

					// A retry (Meta redelivers the change) finds nothing left to move.
					expect(await log.rekeyContact(old, now, AUDIT_KEY)).toBe(0);
					expect(await log.rekeyContact(now, now, AUDIT_KEY)).toBe(0);

					// Erasure under the new id reaches what was written under the old one; STOP stays, as always.
					expect(await log.eraseContact(now)).toBe(1 + 1 + 1 + 1 + 1 + 2);
					expect(await db.scan([now])).toEqual(['records.key']);
					expect(await log.getRecord('suppression', now)).toBeDefined();
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 4 });
					expect((await log.getRecord('reply', bystander.reply))?.contactKey).toBe(other);
				});

				it('keeps what the new id already holds and drops the old one; an expired record under the new id makes way', async () => {
					const old = unique('old');
					const now = unique('new');
					await store.putRecord({ scope: 'suppression', key: old, value: { ai: true }, expiresAt: later() });
					await store.putRecord({ scope: 'suppression', key: now, value: { ai: false, marketing: true }, expiresAt: later() });
					await store.putRecord({ scope: 'profile', key: old, contactKey: old, value: { name: 'Old' }, expiresAt: later() });
					await store.putRecord({ scope: 'profile', key: now, contactKey: now, value: { name: 'Gone' }, expiresAt: new Date(Date.now() - 1000) });
					expect(await store.rekeyContact(old, now, AUDIT_KEY)).toBe(1);
					expect((await store.getRecord('suppression', now))?.value).toEqual({ ai: false, marketing: true });
					expect(await store.getRecord('suppression', old)).toBeUndefined();
					expect((await store.getRecord('profile', now))?.value).toEqual({ name: 'Old' });
					expect(await store.getRecord('profile', old)).toBeUndefined();
				});

				it('leaves records of other scopes keyed like the person alone (only their contact key moves)', async () => {
					const old = unique('old');
					const now = unique('new');
					await store.putRecord({ scope: 'reply', key: old, contactKey: old, value: 1, expiresAt: later() });
					await store.putRecord({ scope: 'privacy-erasure-confirmation', key: old, value: 2, expiresAt: later() });
					expect(await store.rekeyContact(old, now, AUDIT_KEY)).toBe(1);
					expect(await store.getRecord('reply', old)).toMatchObject({ contactKey: now });
					expect(await store.getRecord('privacy-erasure-confirmation', old)).toMatchObject({ contactKey: '', value: 2 });
				});

				it('detects an entry moved to another person without the key, or with a MAC copied from another entry', async () => {
					const { db, log } = await freshLog();
					const [alice, bob, carol] = [unique('alice'), unique('bob'), unique('carol')];
					const a = await person(log, alice);
					await person(log, bob);
					expect(await log.rekeyContact(bob, carol, AUDIT_KEY)).toBeGreaterThan(0);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 4 });

					// Someone with SQL access files Alice's first entry under Carol.
					const seq = a.entries[0].seq;
					expect(await db.tamper('UPDATE audit_subjects SET contact_key = ? WHERE seq = ?', carol, seq)).toBe(1);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toMatchObject({ ok: false, brokenAtSeq: seq, reason: expect.stringMatching(/moved to another person/) });
					// … and borrows the MAC that vouches for one of Bob's entries now filed under Carol.
					const [{ refiled }] = await db.rows("SELECT refiled FROM audit_subjects WHERE refiled IS NOT NULL AND contact_key = ? LIMIT 1", carol);
					expect(await db.tamper('UPDATE audit_subjects SET refiled = ? WHERE seq = ?', String(refiled), seq)).toBe(1);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toMatchObject({ ok: false, brokenAtSeq: seq, reason: expect.stringMatching(/moved to another person/) });
					// Put back, it verifies again; a move with another key does not.
					expect(await db.tamper('UPDATE audit_subjects SET contact_key = ?, refiled = NULL WHERE seq = ?', alice, seq)).toBe(1);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toEqual({ ok: true, entries: 4 });
					await log.rekeyContact(alice, unique('dave'), OTHER_AUDIT_KEY);
					expect(await log.verifyAuditChain(AUDIT_KEY)).toMatchObject({ ok: false, brokenAtSeq: seq });
				});

				it('refuses keys it will not hold', async () => {
					await expect(store.rekeyContact('', 'b', AUDIT_KEY)).rejects.toThrow(TypeError);
					await expect(store.rekeyContact('a', 'x'.repeat(1025), AUDIT_KEY)).rejects.toThrow(TypeError);
					await expect(store.rekeyContact('a', 'b', Buffer.alloc(3))).rejects.toThrow(/audit key/);
				});
			});

			it('refuses entries it will not hold, clearly', async () => {
				const long = 'x'.repeat(129);
				const bad: Array<[unknown, RegExp]> = [
					[null, /entry required/],
					[{ ...input(), requestId: '' }, /requestId/],
					[{ ...input(), requestId: 5 }, /requestId/],
					[{ ...input(), subject: undefined }, /subject/],
					[{ ...input(), subject: 'x'.repeat(1025) }, /subject/],
					[{ ...input(), actor: '' }, /actor/],
					[{ ...input(), actor: long }, /actor/],
					[{ ...input(), action: '' }, /action/],
					[{ ...input(), action: undefined }, /action/],
					[{ ...input(), fromState: long }, /fromState/],
					[{ ...input(), toState: 3 }, /toState/],
					[{ ...input(), detail: null }, /JSON object/],
					[{ ...input(), detail: [1, 2] }, /JSON object/],
					[{ ...input(), detail: 'text' }, /JSON object/],
					[{ ...input(), detail: { n: 10n } }, /JSON-serialisable/],
					[{ ...input(), detail: () => 1 }, /JSON-serialisable/],
				];
				for (const [entry, message] of bad) {
					await expect(store.appendAudit(entry as AuditEntryInput, AUDIT_KEY)).rejects.toThrow(TypeError);
					await expect(store.appendAudit(entry as AuditEntryInput, AUDIT_KEY)).rejects.toThrow(message);
				}
				const circular: Record<string, unknown> = {};
				circular.self = circular;
				await expect(store.appendAudit(input({ detail: circular }), AUDIT_KEY)).rejects.toThrow(/JSON-serialisable/);
				expect(await store.appendAudit(input({ actor: 'x'.repeat(128) }), AUDIT_KEY)).toMatchObject({ actor: 'x'.repeat(128) });
			});

			it('caps detail at 8 KiB of JSON, counting bytes', async () => {
				expect(MAX_AUDIT_DETAIL_BYTES).toBe(8 * 1024);
				const requestId = unique('req');
				const atCap = { s: 'a'.repeat(MAX_AUDIT_DETAIL_BYTES - 8) }; // {"s":""} is 8 bytes
				expect((await store.appendAudit(input({ requestId, detail: atCap }), AUDIT_KEY)).detail).toEqual(atCap);
				const over = input({ requestId, detail: { s: 'a'.repeat(MAX_AUDIT_DETAIL_BYTES - 7) } });
				await expect(store.appendAudit(over, AUDIT_KEY)).rejects.toThrow(RangeError);
				await expect(store.appendAudit(over, AUDIT_KEY)).rejects.toThrow(/8193 bytes.*8192.*never content/);
				await expect(store.appendAudit(input({ requestId, detail: { s: 'é'.repeat(5000) } }), AUDIT_KEY)).rejects.toThrow(
					RangeError,
				);
				expect(await store.listAudit({ requestId })).toHaveLength(1);
			});

			it('rejects invalid list options', async () => {
				await expect(store.listAudit(null as never)).rejects.toThrow(TypeError);
				await expect(store.listAudit({ requestId: '' })).rejects.toThrow(/requestId/);
				await expect(store.listAudit({ subject: '' })).rejects.toThrow(/subject/);
				for (const afterSeq of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3' as unknown as number]) {
					await expect(store.listAudit({ afterSeq })).rejects.toThrow(/afterSeq/);
				}
				for (const limit of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number]) {
					await expect(store.listAudit({ limit })).rejects.toThrow(/limit/);
				}
			});
		});

		describe('counters', () => {
			const later = (ms = 60_000) => new Date(Date.now() + ms);
			const add = (key: string, amount: number, extra: Partial<CounterInput> = {}) =>
				store.addToCounter({ scope: 'budget', key, amount, expiresAt: later(), ...extra });
			/** A database of the counters block's own (purge and erasure counts exact, rows readable raw). */
			let db: FreshDatabase;
			let own: WhatsAutoStore;
			let workDir: string;
			const rows = async (scope: string) =>
				(await db.rows('SELECT key, contact_key, value FROM counters WHERE scope = ? ORDER BY key', scope)).map((r) => ({
					key: String(r.key),
					contactKey: String(r.contact_key),
					value: Number(r.value),
				}));

			beforeAll(async () => {
				db = await options.freshDatabase();
				own = await db.open();
				workDir = makeTempDir(`whatsauto-counters-${name}-`);
			});

			afterAll(async () => {
				await own?.close();
				rmSync(workDir, { recursive: true, force: true });
			});

			it('lists a contact\'s unexpired counters, no one else\'s', async () => {
				const person = unique('person');
				const other = unique('person');
				await add(`${person}:a`, 3, { contactKey: person });
				await store.addToCounter({ scope: 'spend', key: `${person}:b`, amount: 7, contactKey: person, expiresAt: later() });
				await add(`${person}:gone`, 1, { contactKey: person, expiresAt: new Date(Date.now() + 50) });
				await add(`${other}:a`, 9, { contactKey: other });
				await new Promise((resolve) => setTimeout(resolve, 80));
				const listed = await store.listCounters(person);
				expect(listed.map(({ scope, key, value }) => ({ scope, key, value }))).toEqual([
					{ scope: 'budget', key: `${person}:a`, value: 3 },
					{ scope: 'spend', key: `${person}:b`, value: 7 },
				]);
				expect(listed.every((counter) => counter.expiresAt.getTime() > Date.now())).toBe(true);
				expect(await store.listCounters(unique('nobody'))).toEqual([]);
				await expect(store.listCounters('')).rejects.toThrow(TypeError);
			});

			it('starts at 0 and adds, negative amounts too; keys and scopes apart', async () => {
				const key = unique('counter');
				expect(await store.getCounter('budget', key)).toBe(0);
				expect(await add(key, 5)).toEqual({ added: true, value: 5 });
				expect(await add(key, 3)).toEqual({ added: true, value: 8 });
				expect(await add(key, -10)).toEqual({ added: true, value: -2 });
				expect(await add(key, 0)).toEqual({ added: true, value: -2 });
				expect(await store.getCounter('budget', key)).toBe(-2);
				expect(await store.getCounter('spend', key)).toBe(0);
				expect(await store.getCounter('budget', unique('counter'))).toBe(0);
				expect(await store.addToCounter({ scope: 'spend', key, amount: 1, expiresAt: later() })).toEqual({ added: true, value: 1 });
				expect(await store.getCounter('budget', key)).toBe(-2);
			});

			it('with below, adds only while the value before is below it, and reports the value either way', async () => {
				const key = unique('counter');
				expect(await add(key, 4, { below: 10 })).toEqual({ added: true, value: 4 });
				expect(await add(key, 4, { below: 10 })).toEqual({ added: true, value: 8 });
				// 8 is below 10: the charge goes through, past the limit.
				expect(await add(key, 4, { below: 10 })).toEqual({ added: true, value: 12 });
				expect(await add(key, 1, { below: 10 })).toEqual({ added: false, value: 12 });
				expect(await add(key, 1, { below: 12 })).toEqual({ added: false, value: 12 });
				expect(await add(key, -5, { below: 12 })).toEqual({ added: false, value: 12 });
				expect(await add(key, 1, { below: 13 })).toEqual({ added: true, value: 13 });
				expect(await add(key, -5)).toEqual({ added: true, value: 8 });
				expect(await add(key, 1, { below: 10 })).toEqual({ added: true, value: 9 });
				expect(await store.getCounter('budget', key)).toBe(9);
				// A missing counter is 0: refused at or below it.
				const fresh = unique('counter');
				expect(await add(fresh, 1, { below: 0 })).toEqual({ added: false, value: 0 });
				expect(await add(fresh, 1, { below: -3 })).toEqual({ added: false, value: 0 });
				expect(await store.getCounter('budget', fresh)).toBe(0);
				expect(await add(fresh, 1, { below: 1 })).toEqual({ added: true, value: 1 });
			});

			it('counts an expired counter as 0; the next add restarts it with its own expiry and contact key', async () => {
				const key = unique('counter');
				const [first, second] = [unique('contact'), unique('contact')];
				expect(await add(key, 12, { contactKey: first, expiresAt: later(400) })).toEqual({ added: true, value: 12 });
				// A live counter keeps its expiry and contact key, whatever later adds bring.
				expect(await add(key, 1, { contactKey: second, expiresAt: later(60_000) })).toEqual({ added: true, value: 13 });
				expect(await add(key, 1, { below: 10, contactKey: second })).toEqual({ added: false, value: 13 });
				await sleep(600);
				expect(await store.getCounter('budget', key)).toBe(0);
				expect(await add(key, 3, { below: 10, contactKey: second, expiresAt: later(60_000) })).toEqual({ added: true, value: 3 });
				// Still there after the first expiry passed: it took the new one.
				expect(await store.getCounter('budget', key)).toBe(3);
				expect(await store.eraseContact(first)).toBe(0);
				expect(await store.getCounter('budget', key)).toBe(3);
				expect(await store.eraseContact(second)).toBe(1);
				expect(await store.getCounter('budget', key)).toBe(0);
			});

			it('restarts an expired counter refused by below at 0, with its new expiry and contact key', async () => {
				const scope = unique('cap');
				const contactKey = unique('contact');
				await own.addToCounter({ scope, key: 'k', amount: 5, contactKey: unique('old'), expiresAt: later(100) });
				await sleep(250);
				expect(await own.addToCounter({ scope, key: 'k', amount: 5, below: 0, contactKey, expiresAt: later() })).toEqual({ added: false, value: 0 });
				expect(await rows(scope)).toEqual([{ key: 'k', contactKey, value: 0 }]);
				expect(await own.getCounter(scope, 'k')).toBe(0);
			});

			it('purges expired counters and keeps the live ones', async () => {
				const scope = unique('purge');
				expect(await own.purgeExpired()).toBe(0);
				await own.addToCounter({ scope, key: 'soon-1', amount: 1, expiresAt: later(100) });
				await own.addToCounter({ scope, key: 'soon-2', amount: 2, contactKey: unique('contact'), expiresAt: later(100) });
				await own.addToCounter({ scope, key: 'live', amount: 3, expiresAt: later() });
				await sleep(250);
				expect(await own.purgeExpired()).toBe(2);
				expect(await own.purgeExpired()).toBe(0);
				expect(await rows(scope)).toEqual([{ key: 'live', contactKey: '', value: 3 }]);
				expect(await own.getCounter(scope, 'live')).toBe(3);
			});

			it("erases a contact's counters, expired or not, and nobody else's", async () => {
				const scope = unique('erase');
				const [mine, theirs] = [unique('contact'), unique('contact')];
				await own.addToCounter({ scope, key: 'mine-1', amount: 1, contactKey: mine, expiresAt: later() });
				await own.addToCounter({ scope, key: 'mine-2', amount: 2, contactKey: mine, expiresAt: later(50) });
				await own.addToCounter({ scope, key: 'theirs', amount: 3, contactKey: theirs, expiresAt: later() });
				await own.addToCounter({ scope, key: 'nobodys', amount: 4, expiresAt: later() });
				await sleep(100);
				expect(await own.eraseContact(mine)).toBe(2);
				expect(await own.eraseContact(mine)).toBe(0);
				expect(await rows(scope)).toEqual([
					{ key: 'nobodys', contactKey: '', value: 4 },
					{ key: 'theirs', contactKey: theirs, value: 3 },
				]);
				expect(await db.scan([mine])).toEqual([]);
			});

			it('moves counters to a person’s new id (rekeyContact), and erasure under it takes them', async () => {
				const scope = unique('rekey');
				const [old, now, other] = [unique('old'), unique('new'), unique('other')];
				await own.addToCounter({ scope, key: 'a', amount: 1, contactKey: old, expiresAt: later() });
				await own.addToCounter({ scope, key: 'b', amount: 2, contactKey: other, expiresAt: later() });
				expect(await own.rekeyContact(old, now, AUDIT_KEY)).toBe(1);
				expect(await db.scan([old])).toEqual([]);
				expect(await rows(scope)).toEqual([
					{ key: 'a', contactKey: now, value: 1 },
					{ key: 'b', contactKey: other, value: 2 },
				]);
				// A live counter keeps the contact key it was moved to.
				expect(await own.addToCounter({ scope, key: 'a', amount: 1, contactKey: old, expiresAt: later() })).toEqual({ added: true, value: 2 });
				expect(await own.eraseContact(now)).toBe(1);
				expect(await own.getCounter(scope, 'a')).toBe(0);
				expect(await own.getCounter(scope, 'b')).toBe(2);
			});

			it('rejects invalid arguments, and a value that would leave the safe integers', async () => {
				const key = unique('counter');
				const long = 'x'.repeat(1025);
				const bad = (input: Partial<Record<keyof CounterInput, unknown>>) =>
					store.addToCounter({ scope: 'budget', key, amount: 1, expiresAt: later(), ...input } as CounterInput);
				await expect(store.addToCounter(null as never)).rejects.toThrow(TypeError);
				await expect(bad({ scope: '' })).rejects.toThrow(TypeError);
				await expect(bad({ key: '' })).rejects.toThrow(TypeError);
				await expect(bad({ key: long })).rejects.toThrow(TypeError);
				await expect(bad({ contactKey: long })).rejects.toThrow(TypeError);
				await expect(bad({ contactKey: 5 })).rejects.toThrow(TypeError);
				await expect(bad({ expiresAt: new Date(Number.NaN) })).rejects.toThrow(TypeError);
				await expect(bad({ expiresAt: Date.now() + 1000 })).rejects.toThrow(TypeError);
				await expect(bad({ expiresAt: undefined })).rejects.toThrow(TypeError);
				await expect(bad({ amount: '5' })).rejects.toThrow(TypeError);
				await expect(bad({ amount: undefined })).rejects.toThrow(TypeError);
				await expect(bad({ amount: 10n })).rejects.toThrow(TypeError);
				await expect(bad({ below: '5' })).rejects.toThrow(TypeError);
				await expect(bad({ below: null })).rejects.toThrow(TypeError);
				for (const n of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -(2 ** 53)]) {
					await expect(bad({ amount: n })).rejects.toThrow(RangeError);
					await expect(bad({ below: n })).rejects.toThrow(RangeError);
				}
				expect(await store.getCounter('budget', key)).toBe(0);
				await expect(store.getCounter('', key)).rejects.toThrow(TypeError);
				await expect(store.getCounter('budget', '')).rejects.toThrow(TypeError);
				await expect(store.getCounter('budget', long)).rejects.toThrow(TypeError);
				await expect(store.countRecords('')).rejects.toThrow(TypeError);

				expect(await add(key, Number.MAX_SAFE_INTEGER - 1)).toEqual({ added: true, value: Number.MAX_SAFE_INTEGER - 1 });
				expect(await add(key, 1)).toEqual({ added: true, value: Number.MAX_SAFE_INTEGER });
				await expect(add(key, 1)).rejects.toThrow(RangeError);
				expect(await store.getCounter('budget', key)).toBe(Number.MAX_SAFE_INTEGER);
				expect(await add(key, -Number.MAX_SAFE_INTEGER)).toEqual({ added: true, value: 0 });
			});

			it('counts the unexpired records of a scope, and only those', async () => {
				const scope = unique('conversations');
				expect(await store.countRecords(scope)).toBe(0);
				const put = (key: string, ms: number, s = scope) => store.putRecord({ scope: s, key, value: { open: true }, expiresAt: later(ms) });
				await put('a', 60_000);
				await put('b', 60_000);
				await put('c', 300);
				await put('gone', -1000);
				await put('elsewhere', 60_000, unique('other'));
				expect(await store.countRecords(scope)).toBe(3);
				await sleep(500);
				expect(await store.countRecords(scope)).toBe(2);
				expect(await store.deleteRecord(scope, 'a')).toBe(true);
				expect(await store.countRecords(scope)).toBe(1);
			});

			it('never overshoots a limit among concurrent callers in one process', async () => {
				const key = unique('counter');
				const results = await Promise.all(Array.from({ length: 40 }, () => add(key, 7, { below: 100 })));
				const added = results.filter((r) => r.added);
				const final = await store.getCounter('budget', key);
				expect(final).toBe(added.length * 7);
				expect(final).toBeGreaterThanOrEqual(100);
				expect(final).toBeLessThan(100 + 7);
				for (const r of added) expect(r.value - 7).toBeLessThan(100);
				for (const r of results.filter((x) => !x.added)) expect(r.value).toBeGreaterThanOrEqual(100);
			});

			it('never overshoots a limit when several processes add at the same moment', async () => {
				const script = buildChildScript(join(workDir, 'build'));
				const scope = unique('race');
				const [amount, below, attempts] = [7, 500, 50];
				const task = { mode: 'counter' as const, config: db.config, scope, concurrency: 8, counter: { key: 'budget', amount, below, attempts, ttlMs: 600_000 } };
				const results = await runChildren(script, workDir, [task, task, task, task]);
				const adds = results.flatMap((r) => r.adds ?? []);
				expect(results.map((r) => r.adds?.length)).toEqual([attempts, attempts, attempts, attempts]);
				const added = adds.filter((r) => r.added);
				const final = await own.getCounter(scope, 'budget');
				// Every charge counted once, each made while the value before it was below the limit: it filled up, never past one charge.
				expect(final).toBe(added.length * amount);
				expect(final).toBeGreaterThanOrEqual(below);
				expect(final).toBeLessThan(below + amount);
				expect(added.filter((r) => r.value - amount >= below)).toEqual([]);
				expect(adds.filter((r) => !r.added && r.value < below)).toEqual([]);
				// The values the adds saw are all different (each add saw the one before it).
				expect(new Set(added.map((r) => r.value)).size).toBe(added.length);
				expect(await rows(scope)).toEqual([{ key: 'budget', contactKey: '', value: final }]);
			});
		});

		describeInboxConformance(() => store, options.makeStore, options.freshDatabase);

		describe('close', () => {
			it('closes idempotently and refuses use afterwards', async () => {
				const own = await options.makeStore();
				expect(await own.claim('close', unique('k'), 60000)).toBe(true);
				await own.close();
				await own.close();
				await expect(own.claim('close', unique('k'), 60000)).rejects.toThrow(/closed/);
				await expect(own.getContent(unique('r'))).rejects.toThrow(/closed/);
				await expect(own.releaseClaim('close', unique('k'))).rejects.toThrow(/closed/);
				await expect(
					own.putRecord({ scope: 'close', key: unique('k'), value: 1, expiresAt: new Date(Date.now() + 60000) }),
				).rejects.toThrow(/closed/);
				await expect(own.getRecord('close', unique('k'))).rejects.toThrow(/closed/);
				await expect(own.deleteRecord('close', unique('k'))).rejects.toThrow(/closed/);
				await expect(own.listRecords('close')).rejects.toThrow(/closed/);
				await expect(
					own.appendAudit({ requestId: unique('r'), subject: '', actor: 'system', action: 'received' }, AUDIT_KEY),
				).rejects.toThrow(/closed/);
				await expect(own.listAudit()).rejects.toThrow(/closed/);
				await expect(own.verifyAuditChain(AUDIT_KEY)).rejects.toThrow(/closed/);
				await expect(own.schemaVersion()).rejects.toThrow(/closed/);
				await expect(own.rekeyContact('a', 'b', AUDIT_KEY)).rejects.toThrow(/closed/);
			});
		});
	});
}

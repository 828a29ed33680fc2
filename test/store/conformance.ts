import { randomBytes } from 'node:crypto';

import {
	DEFAULT_RECORD_LIST_LIMIT,
	MAX_RECORD_LIST_LIMIT,
	MAX_RECORD_VALUE_BYTES,
} from '../../nodes/shared/store/common';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../nodes/shared/store/migrations';
import type { StoreBackend, StoredRecord, WhatsAutoStore } from '../../nodes/shared/store/types';
import { sleep } from './helpers';

/** Unique per call, so tests sharing one database never see each other's rows. */
const unique = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

export interface ConformanceOptions {
	backend: StoreBackend;
	/** Opens a new, uncached store instance on the same database every call. */
	makeStore: () => Promise<WhatsAutoStore>;
	/** Rows in the migrations table, read directly from the database. */
	migrationRows: () => Promise<Array<{ version: number; name: string }>>;
	/** A second database, used only to test upgrading one that a version-1 store left behind. */
	upgrade: {
		/**
		 * Creates the database exactly as schema version 1 left it, by hand: the migrations table, migration 1's
		 * own statements and its row, then the seed rows.
		 */
		createAtVersion1: (seed: Version1Seed) => Promise<void>;
		/** Opens (and so migrates) that database with the current code. */
		open: () => Promise<WhatsAutoStore>;
		migrationRows: () => Promise<Array<{ version: number; name: string }>>;
	};
}

/** Rows written straight into a version-1 database (times in epoch ms). */
export interface Version1Seed {
	claim: { scope: string; key: string; expiresAt: number };
	content: { ref: string; contactKey: string; data: Buffer; expiresAt: number };
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

			it('is at version 2, records', async () => {
				expect(await store.schemaVersion()).toBe(2);
				expect((await options.migrationRows()).map((r) => [Number(r.version), r.name])).toEqual([
					[1, 'claims and content'],
					[2, 'records'],
				]);
			});

			it('upgrades a version-1 database to the latest version, keeping its data', async () => {
				const seed: Version1Seed = {
					claim: { scope: 'message', key: unique('v1'), expiresAt: Date.now() + 3_600_000 },
					content: {
						ref: unique('v1-ref'),
						contactKey: unique('v1-contact'),
						data: Buffer.from('kept across the upgrade'),
						expiresAt: Date.now() + 3_600_000,
					},
				};
				await options.upgrade.createAtVersion1(seed);
				expect((await options.upgrade.migrationRows()).map((r) => Number(r.version))).toEqual([1]);

				const upgraded = await options.upgrade.open();
				try {
					expect(await upgraded.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
					expect((await options.upgrade.migrationRows()).map((r) => [Number(r.version), r.name])).toEqual(
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
				const again = await options.upgrade.open();
				try {
					expect(await again.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
				} finally {
					await again.close();
				}
				expect(await options.upgrade.migrationRows()).toHaveLength(MIGRATIONS.length);
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
				expect(await store.claim('message', key, 150)).toBe(true);
				expect(await store.claim('message', key, 150)).toBe(false);
				await sleep(300);
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
				const soon = entry({ ttlMs: 150 });
				const past = entry({ ttlMs: -1000 });
				await store.putContent(soon);
				await store.putContent(past);
				expect(await store.getContent(past.ref)).toBeUndefined();
				expect(await store.getContent(soon.ref)).toBeDefined();
				await sleep(300);
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
				const first = record({ ttlMs: 100 });
				await store.putRecord(first);
				const created = (await store.getRecord(first.scope, first.key))!.createdAt;
				await sleep(250);
				expect(await store.getRecord(first.scope, first.key)).toBeUndefined();
				await store.putRecord(record({ key: first.key, value: 'again' }));
				const got = await store.getRecord(first.scope, first.key);
				expect(got?.value).toBe('again');
				expect(got!.createdAt.getTime()).toBeGreaterThan(created.getTime());
			});

			it('never returns or lists an expired record, even before purge', async () => {
				const scope = unique('expiry');
				const soon = record({ scope, ttlMs: 150 });
				const past = record({ scope, ttlMs: -1000 });
				await store.putRecord(soon);
				await store.putRecord(past);
				expect(await store.getRecord(scope, past.key)).toBeUndefined();
				expect(await store.getRecord(scope, soon.key)).toBeDefined();
				expect(keys(await store.listRecords(scope))).toEqual([soon.key]);
				await sleep(300);
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
				await expect(own.schemaVersion()).rejects.toThrow(/closed/);
			});
		});
	});
}

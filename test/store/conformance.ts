import { randomBytes } from 'node:crypto';

import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../nodes/shared/store/migrations';
import type { StoreBackend, WhatsAutoStore } from '../../nodes/shared/store/types';
import { sleep } from './helpers';

/** Unique per call, so tests sharing one database never see each other's rows. */
const unique = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

export interface ConformanceOptions {
	backend: StoreBackend;
	/** Opens a new, uncached store instance on the same database every call. */
	makeStore: () => Promise<WhatsAutoStore>;
	/** Rows in the migrations table, read directly from the database. */
	migrationRows: () => Promise<Array<{ version: number; name: string }>>;
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

			it('rejects invalid arguments', async () => {
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

		describe('close', () => {
			it('closes idempotently and refuses use afterwards', async () => {
				const own = await options.makeStore();
				expect(await own.claim('close', unique('k'), 60000)).toBe(true);
				await own.close();
				await own.close();
				await expect(own.claim('close', unique('k'), 60000)).rejects.toThrow(/closed/);
				await expect(own.getContent(unique('r'))).rejects.toThrow(/closed/);
				await expect(own.schemaVersion()).rejects.toThrow(/closed/);
			});
		});
	});
}

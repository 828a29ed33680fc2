/**
 * capacity.ts on a real SQLite store: what the waitlist keeps (the number only sealed, bound to its person), how a
 * second message while waiting changes an entry (place and expiry kept, window and language updated), paging
 * past entries that cannot be read, and the capacity check's edges. The operations are tested end to end in
 * test/engine/reply.waitlist.engine.test.ts, on both backends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { activeConversations, atCapacity, isActive, joinWaitlist, leaveWaitlist, markActive, onWaitlist, waitlistPage, type CapacitySettings } from '../../nodes/shared/conversation/capacity';
import { closeAllStores, openStore } from '../../nodes/shared/store';
import { toContentKeys } from '../../nodes/shared/store/access';
import { SCOPES } from '../../nodes/shared/store/scopes';
import type { WhatsAutoStore } from '../../nodes/shared/store/types';

const keys = toContentKeys({ secretKey: 'a-test-secret-that-is-long-enough-0123456789' })!;
const otherKeys = toContentKeys({ secretKey: 'another-secret-that-is-long-enough-9876543210' })!;
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

const settings = (maxActiveConversations: number): CapacitySettings => ({
	maxActiveConversations,
	activeWindowMs: 30 * 60_000,
	shedOnAccountBudget: false,
	message: '',
	waitlistTtlMs: 7 * DAY_MS,
});

describe('capacity and the waitlist', () => {
	let dir: string;
	let store: WhatsAutoStore;
	let people = 0;
	const person = () => {
		const waId = `1650555${String(++people).padStart(4, '0')}`;
		return { waId, subject: keys.pseudonymise(waId) };
	};
	const enlist = async (who: { waId: string; subject: string }, at: Date, extra: { language?: string; ttlMs?: number; phoneNumberId?: string } = {}) =>
		await joinWaitlist(
			store,
			keys,
			{ subject: who.subject, recipient: { waId: who.waId }, phoneNumberId: extra.phoneNumberId ?? '106540352242922', ...(extra.language ? { language: extra.language } : {}) },
			extra.ttlMs ?? 7 * DAY_MS,
			at,
		);

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'whatsauto-capacity-'));
		store = await openStore({ backend: 'sqlite', path: join(dir, 'store.sqlite') });
	});

	afterAll(async () => {
		await closeAllStores();
		rmSync(dir, { recursive: true, force: true });
	});

	beforeEach(async () => {
		for (const scope of [SCOPES.waitlist.name, SCOPES.activeConversation.name]) {
			for (const record of await store.listRecords(scope, { limit: 1000 })) await store.deleteRecord(scope, record.key);
		}
	});

	it('keeps the number only sealed, under the person’s pseudonym', async () => {
		const who = person();
		expect(await enlist(who, new Date())).toBe(true);
		const record = await store.getRecord<Record<string, unknown>>(SCOPES.waitlist.name, who.subject);
		expect(record?.contactKey).toBe(who.subject);
		expect(JSON.stringify(record)).not.toContain(who.waId);
		const [entry] = (await waitlistPage(store, keys, { limit: 10 })).entries;
		expect(entry).toMatchObject({ subject: who.subject, recipient: { waId: who.waId }, phoneNumberId: '106540352242922' });
	});

	it('a second message while waiting: the place and the expiry stay, the window and language move', async () => {
		const who = person();
		const first = new Date(Date.now() - 30 * HOUR_MS);
		const again = new Date(Date.now() - HOUR_MS);
		expect(await enlist(who, first, { ttlMs: 2 * DAY_MS })).toBe(true);
		expect(await enlist(who, again, { ttlMs: 2 * DAY_MS, language: 'es' })).toBe(false);
		const [entry] = (await waitlistPage(store, keys, { limit: 10 })).entries;
		expect(entry.addedAt).toBe(first.toISOString());
		expect(entry.lastMessageAt).toBe(again.toISOString());
		expect(entry.language).toBe('es');
		const record = await store.getRecord(SCOPES.waitlist.name, who.subject);
		// writing while waiting does not keep anyone on the list past their TTL
		expect(record!.expiresAt.getTime()).toBe(first.getTime() + 2 * DAY_MS);
	});

	it('pages longest waiting first, past entries it cannot read', async () => {
		const order = [person(), person(), person(), person()];
		for (const [index, who] of order.entries()) await enlist(who, new Date(Date.now() - (10 - index) * HOUR_MS));
		// one sealed under another secret (a rotated key), one moved to another person's key (the seal names its person)
		const foreign = order[1];
		await joinWaitlist(store, otherKeys, { subject: foreign.subject, recipient: { waId: foreign.waId }, phoneNumberId: '1' }, DAY_MS, new Date(Date.now() - 9 * HOUR_MS));
		const moved = order[2];
		const stolen = await store.getRecord<Record<string, unknown>>(SCOPES.waitlist.name, order[0].subject);
		await store.putRecord({
			scope: SCOPES.waitlist.name,
			key: moved.subject,
			contactKey: moved.subject,
			value: { ...stolen!.value, addedAt: new Date(Date.now() - 8 * HOUR_MS).toISOString() },
			state: 'waiting',
			dueAt: new Date(Date.now() - 8 * HOUR_MS),
			expiresAt: new Date(Date.now() + DAY_MS),
		});

		const first = await waitlistPage(store, keys, { limit: 2 });
		expect(first.entries.map((entry) => entry.subject)).toEqual([order[0].subject]);
		expect(first.next).toBeDefined();
		const second = await waitlistPage(store, keys, { limit: 2, after: first.next });
		expect(second.entries.map((entry) => entry.subject)).toEqual([order[3].subject]);
		expect(second.next).toBeDefined();
		const last = await waitlistPage(store, keys, { limit: 2, after: second.next });
		expect(last).toEqual({ entries: [] });
	});

	it('leaveWaitlist: true once', async () => {
		const who = person();
		await enlist(who, new Date());
		expect(await onWaitlist(store, who.subject)).toBe(true);
		expect(await leaveWaitlist(store, who.subject)).toBe(true);
		expect(await leaveWaitlist(store, who.subject)).toBe(false);
		expect(await onWaitlist(store, who.subject)).toBe(false);
	});

	it('counts active conversations; 0 means no limit', async () => {
		expect(await atCapacity(store, settings(1))).toBe(false);
		const [a, b] = [person(), person()];
		await markActive(store, a.subject, HOUR_MS);
		await markActive(store, a.subject, HOUR_MS);
		await markActive(store, '', HOUR_MS);
		expect(await activeConversations(store)).toBe(1);
		expect(await atCapacity(store, settings(2))).toBe(false);
		await markActive(store, b.subject, HOUR_MS);
		expect(await atCapacity(store, settings(2))).toBe(true);
		expect(await atCapacity(store, settings(0))).toBe(false);
		// a conversation past its active window no longer counts
		await markActive(store, b.subject, HOUR_MS, new Date(Date.now() - 2 * HOUR_MS));
		expect(await isActive(store, b.subject)).toBe(false);
		expect(await isActive(store, '')).toBe(false);
		expect(await activeConversations(store)).toBe(1);
	});
});

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { MAX_TURN_MESSAGES } from '../../nodes/shared/store/inboxCommon';
import type { InboxRow, WhatsAutoStore } from '../../nodes/shared/store/types';
import type { FreshDatabase } from './conformance';
import { buildChildScript, makeTempDir, runChildren, sleep } from './helpers';

const unique = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;
const SCOPE = 'inbox-test';
const HOUR = 3_600_000;

/** The conversation gate's inbox (migration 7), on whichever backend `store()` is. */
export function describeInboxConformance(
	store: () => WhatsAutoStore,
	makeStore: () => Promise<WhatsAutoStore>,
	freshDatabase: () => Promise<FreshDatabase>,
): void {
	describe('inbox (conversation gate)', () => {
		const row = (gate: string, contactKey: string, sentAt: number, label = 'm'): InboxRow => ({
			id: unique(label),
			gate,
			contactKey,
			sentAt,
			data: Buffer.from(label),
			expiresAt: new Date(Date.now() + HOUR),
		});
		const admit = async (rows: InboxRow[]) => await store().admitInbox(SCOPE, HOUR, rows.map((r) => ({ claimKey: r.id, row: r })));
		const lease = async (gate: string, extra: Partial<Parameters<WhatsAutoStore['leaseTurns']>[1]> = {}) =>
			await store().leaseTurns(gate, { leaseId: unique('lease'), debounceMs: 0, capMs: 15000, leaseMs: 60000, limit: 20, ...extra });

		it('admits a message with its claim, once: a redelivery is refused and stores nothing', async () => {
			const gate = unique('g');
			const r = row(gate, 'alice', Date.now());
			expect(await admit([r])).toEqual([true]);
			expect(await admit([{ ...r, data: Buffer.from('other') }])).toEqual([false]);
			expect(await store().claim(SCOPE, r.id, HOUR)).toBe(false);
			expect(await store().inboxCounts(gate)).toEqual({ pending: 1 });
			const [turn] = await lease(gate);
			expect(turn.messages.map((m) => m.data.toString())).toEqual(['m']);
		});

		it('takes claims without rows (statuses, events) in the same call', async () => {
			const gate = unique('g');
			const r = row(gate, 'alice', Date.now());
			const bare = unique('status');
			expect(await store().admitInbox(SCOPE, HOUR, [{ claimKey: bare }, { claimKey: r.id, row: r }])).toEqual([true, true]);
			expect(await store().admitInbox(SCOPE, HOUR, [{ claimKey: bare }])).toEqual([false]);
			expect(await store().inboxCounts(gate)).toEqual({ pending: 1 });
		});

		it('tells which claims are held without taking any (the overload check), and counts waiting rows per gate', async () => {
			const gate = unique('g');
			const [a, b] = [row(gate, 'alice', Date.now()), row(gate, 'bob', Date.now())];
			await admit([a]);
			await admit([row(unique('other-gate'), 'carol', Date.now())]);
			expect(await store().claimed(SCOPE, [a.id, b.id])).toEqual([true, false]);
			expect(await store().claimed(SCOPE, [])).toEqual([]);
			// Read only: the unheld key is still free to claim.
			expect(await admit([b])).toEqual([true]);
			await store().withdrawInbox(SCOPE, [a.id]);
			expect(await store().claimed(SCOPE, [a.id, b.id])).toEqual([false, true]);
			await lease(gate);
			expect(await store().inboxCounts(gate)).toEqual({ leased: 1 });
		});

		it('withdraws rows and their claims, so a retry is admitted', async () => {
			const gate = unique('g');
			const r = row(gate, 'alice', Date.now());
			await admit([r]);
			expect(await store().withdrawInbox(SCOPE, [r.id])).toBe(1);
			expect(await store().inboxCounts(gate)).toEqual({});
			expect(await admit([r])).toEqual([true]);
		});

		it('hands a burst on as one turn once the last message is debounce old, in the order sent', async () => {
			const gate = unique('g');
			const now = Date.now();
			const rows = [row(gate, 'alice', now - 2000, 'a1'), row(gate, 'alice', now - 3000, 'a0'), row(gate, 'alice', now - 1000, 'a2')];
			await admit(rows);
			expect(await lease(gate, { debounceMs: 400 })).toEqual([]);
			await sleep(500);
			const turns = await lease(gate, { debounceMs: 400 });
			expect(turns).toHaveLength(1);
			expect(turns[0].contactKey).toBe('alice');
			expect(turns[0].messages.map((m) => m.data.toString())).toEqual(['a0', 'a1', 'a2']);
			expect(await store().inboxCounts(gate)).toEqual({ leased: 3 });
		});

		it('keeps the order given for messages sent within the same second (one delivery of many)', async () => {
			const gate = unique('g');
			const sentAt = Math.floor(Date.now() / 1000) * 1000 - 2000;
			// the ids are keyed hashes in real use: random, so they cannot be what orders the turn
			const labels = Array.from({ length: 12 }, (_, i) => `same-second-${String(i).padStart(2, '0')}`);
			await admit(labels.map((label) => row(gate, 'bob', sentAt, label)));
			const turns = await lease(gate);
			expect(turns).toHaveLength(1);
			expect(turns[0].messages.map((m) => m.data.toString())).toEqual(labels);
			expect(new Set(turns[0].messages.map((m) => m.receivedAt)).size).toBe(labels.length);
		});

		it('keeps a debounce reset by each message, capped after the first', async () => {
			const gate = unique('g');
			await admit([row(gate, 'bob', Date.now())]);
			await sleep(300);
			await admit([row(gate, 'bob', Date.now())]);
			expect(await lease(gate, { debounceMs: 250, capMs: 10000 })).toEqual([]); // the last is too young
			const turns = await lease(gate, { debounceMs: 250, capMs: 250 }); // the first is past the cap
			expect(turns.map((t) => t.messages.length)).toEqual([2]);
		});

		it('holds a contact’s next turn while one is in flight, and never leases a message twice', async () => {
			const gate = unique('g');
			await admit([row(gate, 'alice', Date.now(), 'first')]);
			const [first] = await lease(gate);
			await admit([row(gate, 'alice', Date.now(), 'second'), row(gate, 'bob', Date.now(), 'bob')]);
			const next = await lease(gate);
			expect(next.map((t) => t.contactKey)).toEqual(['bob']);
			expect(await lease(gate)).toEqual([]);
			expect(await store().settleTurn(first.leaseId, 'done')).toBe(1);
			const after = await lease(gate);
			expect(after.map((t) => t.messages.map((m) => m.data.toString()))).toEqual([['second']]);
		});

		it('takes over a lapsed lease (a crashed holder); the old holder can no longer settle it', async () => {
			const gate = unique('g');
			await admit([row(gate, 'carol', Date.now())]);
			const [old] = await lease(gate, { leaseMs: 200 });
			expect(await lease(gate)).toEqual([]);
			await sleep(300);
			const [taken] = await lease(gate);
			expect(taken.messages).toHaveLength(1);
			expect(await store().settleTurn(old.leaseId, 'done')).toBe(0);
			expect(await store().settleTurn(taken.leaseId, 'done')).toBe(1);
			expect(await store().inboxCounts(gate)).toEqual({});
		});

		it('renews a lease it still holds, so it does not lapse', async () => {
			const gate = unique('g');
			await admit([row(gate, 'ivy', Date.now())]);
			const [held] = await lease(gate, { leaseMs: 300 });
			await sleep(150);
			expect(await store().renewTurns([held.leaseId], 60000)).toBe(1);
			await sleep(300);
			expect(await lease(gate)).toEqual([]);
			expect(await store().settleTurn(held.leaseId, 'done')).toBe(1);
		});

		it('gives a failed turn back, counted, and marks it failed after the last attempt', async () => {
			const gate = unique('g');
			await admit([row(gate, 'dan', Date.now())]);
			const [a] = await lease(gate);
			expect(await store().settleTurn(a.leaseId, 'failed', 2)).toBe(1);
			const [b] = await lease(gate);
			expect(b.messages[0].attempts).toBe(1);
			expect(await store().settleTurn(b.leaseId, 'failed', 2)).toBe(1);
			expect(await lease(gate)).toEqual([]);
			expect(await store().inboxCounts(gate)).toEqual({ failed: 1 });
		});

		it('expires messages too old to answer instead of leasing them', async () => {
			const gate = unique('g');
			const now = Date.now();
			const old = row(gate, 'erin', now - 2 * HOUR, 'old');
			await admit([old, row(gate, 'erin', now, 'new')]);
			const turns = await lease(gate, { sentBefore: now - HOUR });
			expect(turns.map((t) => t.messages.map((m) => m.data.toString()))).toEqual([['new']]);
			const expired = await store().expireInbox(gate, now - HOUR);
			expect(expired.map((e) => [e.id, e.contactKey])).toEqual([[old.id, 'erin']]);
			expect(await store().expireInbox(gate, now - HOUR)).toEqual([]);
			expect(await store().inboxCounts(gate)).toEqual({ leased: 1, expired: 1 });
		});

		it('caps a turn’s messages and the number of turns', async () => {
			const gate = unique('g');
			const now = Date.now();
			await admit(Array.from({ length: MAX_TURN_MESSAGES + 2 }, (_, i) => row(gate, 'fay', now - 10000 + i)));
			await admit(['g1', 'g2', 'g3'].map((c) => row(gate, c, now)));
			const turns = await lease(gate, { limit: 2 });
			expect(turns.map((t) => t.contactKey)).toEqual(['fay', 'g1']);
			expect(turns[0].messages).toHaveLength(MAX_TURN_MESSAGES);
		});

		it('is erased and moved with the person, and purged once expired', async () => {
			const gate = unique('g');
			const person = unique('person');
			const moved = unique('moved');
			await admit([row(gate, person, Date.now()), { ...row(gate, unique('gone'), Date.now()), expiresAt: new Date(Date.now() - 1) }]);
			expect(await store().rekeyContact(person, moved, Buffer.alloc(32, 7))).toBeGreaterThanOrEqual(1);
			expect((await lease(gate)).map((t) => t.contactKey).sort()).toEqual([moved]);
			expect(await store().eraseContact(moved)).toBe(1);
			expect(await store().inboxCounts(gate)).toEqual({ pending: 1 });
			expect(await store().purgeExpired()).toBeGreaterThanOrEqual(1);
			expect(await store().inboxCounts(gate)).toEqual({});
		});

		it('never hands the same message, or a contact’s turn, to two processes leasing at the same moment', async () => {
			const db = await freshDatabase();
			const own = await db.open();
			const workDir = makeTempDir('whatsauto-inbox-race-');
			try {
				const gate = unique('g');
				const now = Date.now();
				const rows = Array.from({ length: 60 }, (_, i) => row(gate, `c${i % 20}`, now + i));
				await own.admitInbox(SCOPE, HOUR, rows.map((r) => ({ claimKey: r.id, row: r })));
				const script = buildChildScript(join(workDir, 'build'));
				const results = await runChildren(script, workDir, Array.from({ length: 4 }, () => ({ mode: 'lease' as const, config: db.config, scope: gate })));
				const ids = results.flatMap((r) => r.won ?? []);
				expect(ids.sort()).toEqual(rows.map((r) => r.id).sort());
				const contacts = results.flatMap((r) => r.contacts ?? []);
				expect(new Set(contacts).size).toBe(contacts.length);
				expect(contacts).toHaveLength(20);
			} finally {
				await own.close();
				rmSync(workDir, { recursive: true, force: true });
			}
		});

		it('never hands the same message to two stores leasing at once', async () => {
			const gate = unique('g');
			const other = await makeStore();
			try {
				const now = Date.now();
				await admit(Array.from({ length: 30 }, (_, i) => row(gate, `c${i % 10}`, now + i)));
				const rounds = await Promise.all(
					Array.from({ length: 6 }, (_, i) => ((i % 2 ? other : store()).leaseTurns(gate, { leaseId: unique('l'), debounceMs: 0, capMs: 0, leaseMs: 60000, limit: 3 }))),
				);
				const ids = rounds.flat().flatMap((t) => t.messages.map((m) => m.id));
				expect(new Set(ids).size).toBe(ids.length);
				const contacts = rounds.flat().map((t) => t.contactKey);
				expect(new Set(contacts).size).toBe(contacts.length);
			} finally {
				await other.close();
			}
		});
	});
}

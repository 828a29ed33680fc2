/**
 * The deadline monitor's view on both store backends, through n8n-core's engine: List Open sees every open
 * request, however many closed ones the store keeps (request records live 25 months), fetching them page by
 * page, soonest due first; and a request still waiting for its code once the code's lifetime and a day of
 * grace have passed is denied ("not verified") — by List Open, Get Status or the background purge — with its
 * transition in the audit log, exactly once; so is an erasure question (awaiting_confirmation) nobody answered
 * within its 10 minutes, and a tap arriving while another worker denies it does nothing.
 */
import { itemsOf, privacySuite, type PrivacyRig, type StoreHandle } from './privacy-harness';

import { CONFIRMATION_TTL_MS, EXPIRED_REASON } from '../../nodes/shared/privacy/confirmation';
import { PrivacyDesk, LIST_OPEN_PAGE_SIZE, UNVERIFIED_GRACE_MS, UNVERIFIED_REASON } from '../../nodes/shared/privacy/desk';
import { CODE_TTL_MS } from '../../nodes/shared/privacy/identity';
import type { PrivacyRequest, RequestState } from '../../nodes/shared/privacy/lifecycle';
import type { WhatsAutoStore } from '../../nodes/shared/store';
import { purgeNow } from '../../nodes/shared/store/access';
import type { PostgresServer } from './privacy-postgres';
import { STORE_SECRET, WA } from './reply-harness';

jest.setTimeout(120_000);

const DAY = 24 * 60 * 60 * 1000;
/** When a request waiting for its code is denied: the code's lifetime (10 minutes) and a day of grace. */
const UNVERIFIED_AFTER = 10 * 60 * 1000 + DAY;

let rig: PrivacyRig;
let pg: PostgresServer;
privacySuite({ started: (started) => (rig = started), postgres: (server) => (pg = server), resetEachTest: false });

type Backend = 'sqlite' | 'postgres';

describe.each<[Backend]>([['sqlite'], ['postgres']])('deadlines on %s', (backend) => {
	let stores = 0;
	/** A store of its own per test: List Open lists the whole store. */
	const freshStore = (): StoreHandle => {
		const id = `deadlines-${backend}-${++stores}`;
		return backend === 'sqlite'
			? rig.sqliteStore(id)
			: rig.addStore(id, { backend: 'postgres', ...pg.base, ssl: false, schema: pg.schema(`deadlines_${stores}`), secretKey: STORE_SECRET });
	};
	const listOpen = async (store: StoreHandle, withinDays = 0) => {
		const run = await rig.runPrivacy(itemsOf({}), { operation: 'listOpen', withinDays }, { store });
		expect(run.error).toBeUndefined();
		return run.out;
	};
	/** A request as the desk keeps it, received `daysAgo` days ago, in `state`. */
	const request = (desk: PrivacyDesk, id: string, state: RequestState, daysAgo: number, subject = ''): PrivacyRequest => {
		const received = new Date(desk.now().getTime() - daysAgo * DAY);
		const due = new Date(received.getTime() + 30 * DAY);
		return { id, type: 'access', channel: 'form', state, subject, receivedAt: received.toISOString(), dueAt: due.toISOString(), results: [] };
	};
	/** Saves many records the way the desk does, a batch at a time. */
	const saveAll = async (desk: PrivacyDesk, requests: PrivacyRequest[], batch = 250) => {
		for (let i = 0; i < requests.length; i += batch) await Promise.all(requests.slice(i, i + batch).map((r) => desk.save(r)));
	};
	/** An unverified form request, opened and sent to awaiting_identity by a desk whose clock reads `ago` ms back. */
	const waitingSince = async (store: StoreHandle, ago: number) => {
		const desk = await rig.deskOf(store, () => new Date(Date.now() - ago));
		return await desk.advance(await desk.open('delete', 'form', WA), 'awaiting_identity', 'form');
	};
	const expiryTrail = async (raw: WhatsAutoStore, id: string) =>
		(await raw.listAudit({ requestId: id })).filter((entry) => entry.toState === 'denied');

	it('has the grace this file assumes', () => {
		expect(CODE_TTL_MS + UNVERIFIED_GRACE_MS).toBe(UNVERIFIED_AFTER);
		expect(LIST_OPEN_PAGE_SIZE).toBe(500);
	});

	it('lists the one open request behind 10,000 newer closed or abandoned ones', async () => {
		const store = freshStore();
		const desk = await rig.deskOf(store);
		// due in four days, and the oldest record in the store
		const open = await desk.advance(await desk.open('access', 'form', WA, { deadline: '45_days' }), 'in_progress', 'form');
		const dueSoon = { ...open, dueAt: new Date(Date.now() + 4 * DAY).toISOString() };
		await desk.save(dueSoon);
		// 10,000 newer ones: STOPs and exports done, abandoned form requests denied, a few failed
		const closed: RequestState[] = ['completed', 'partially_completed', 'denied', 'failed'];
		const started = Date.now();
		await saveAll(
			desk,
			Array.from({ length: 10_000 }, (_, i) => request(desk, `PR-CLOSED-${String(i).padStart(5, '0')}`, closed[i % closed.length], 0, i % 2 ? desk.subjectOf(`4477009${String(i).padStart(5, '0')}`) : '')),
		);
		const filled = Date.now() - started;
		expect(await (await rig.storeOf(store)).listRecords('privacy-request', { limit: 1000 })).not.toContainEqual(expect.objectContaining({ key: open.id }));

		const listing = Date.now();
		const all = await listOpen(store);
		const listed = Date.now() - listing;
		expect(all.map((o) => [o.id, o.state])).toEqual([[open.id, 'in_progress']]);
		expect(all[0]).toMatchObject({ dueAt: dueSoon.dueAt, overdue: false, daysLeft: 3 });
		expect((await listOpen(store, 7)).map((o) => o.id)).toEqual([open.id]);
		expect(await listOpen(store, 3)).toEqual([]);
		process.stdout.write(`[${backend}] 10,000 records saved in ${filled} ms; List Open took ${listed} ms\n`);
	});

	it('returns every open request, page after page, soonest due first', async () => {
		const store = freshStore();
		const desk = await rig.deskOf(store);
		const count = 2 * LIST_OPEN_PAGE_SIZE + 7;
		// due dates spread over 50 days, many on the same day: ties go by id
		const requests = Array.from({ length: count }, (_, i) => {
			const r = request(desk, `PR-OPEN-${String(i).padStart(5, '0')}`, i % 2 ? 'in_progress' : 'received', 0);
			return { ...r, dueAt: new Date(Date.UTC(2031, 0, 1) + ((i * 7) % 50) * DAY).toISOString() };
		});
		await saveAll(desk, requests);
		const all = await listOpen(store);
		const expected = [...requests].sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.id.localeCompare(b.id)).map((r) => r.id);
		expect(all).toHaveLength(count);
		expect(all.map((o) => o.id)).toEqual(expected);
	});

	it('denies a request still waiting for its code after the code lifetime and a day of grace: Get Status, once, audited', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const stale = await waitingSince(store, UNVERIFIED_AFTER + 60_000);
		const recent = await waitingSince(store, UNVERIFIED_AFTER - 60_000);

		const status = await rig.runPrivacy(itemsOf({ requestId: stale.id }, { requestId: recent.id }), { operation: 'getStatus' }, { store });
		expect(status.error).toBeUndefined();
		expect(status.out[0]).toMatchObject({ id: stale.id, state: 'denied', reason: 'Identity could not be verified: No verification code was entered in time.', completedAt: expect.any(String) });
		expect(status.out[1]).toMatchObject({ id: recent.id, state: 'awaiting_identity' });
		expect(await expiryTrail(raw, stale.id)).toEqual([
			expect.objectContaining({ actor: 'system', action: 'transition', fromState: 'awaiting_identity', toState: 'denied', detail: { reason: UNVERIFIED_REASON } }),
		]);
		// looking again changes nothing
		const again = await rig.runPrivacy(itemsOf({ requestId: stale.id }), { operation: 'getStatus' }, { store });
		expect(again.out[0]).toMatchObject({ state: 'denied' });
		expect(await expiryTrail(raw, stale.id)).toHaveLength(1);
		expect(await expiryTrail(raw, recent.id)).toEqual([]);
		expect(await raw.verifyAuditChain(rig.keysOf(store).auditKey)).toMatchObject({ ok: true });
	});

	it('denies them in List Open, exactly once even when two monitors run at the same moment, and lists the rest', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const stale = [await waitingSince(store, 3 * DAY), await waitingSince(store, 2 * DAY), await waitingSince(store, UNVERIFIED_AFTER + 1000)];
		const recent = await waitingSince(store, 60 * 60 * 1000);
		const desk = await rig.deskOf(store);
		const working = await desk.advance(await desk.open('access', 'form', WA), 'in_progress', 'form');

		const [one, two] = await Promise.all([listOpen(store), listOpen(store)]);
		expect(one.map((o) => o.id).sort()).toEqual([recent.id, working.id].sort());
		expect(two).toEqual(one);
		for (const request of stale) {
			expect((await desk.get(request.id))?.state).toBe('denied');
			expect(await expiryTrail(raw, request.id)).toHaveLength(1);
		}
		expect((await desk.get(recent.id))?.state).toBe('awaiting_identity');
		expect(await raw.verifyAuditChain(rig.keysOf(store).auditKey)).toMatchObject({ ok: true });
	});

	it('denies them in the background purge too', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const stale = await waitingSince(store, 2 * DAY);
		const recent = await waitingSince(store, 60_000);
		await purgeNow(raw, rig.keysOf(store));
		const desk = await rig.deskOf(store);
		expect(await desk.get(stale.id)).toMatchObject({ state: 'denied', reason: UNVERIFIED_REASON });
		expect(await expiryTrail(raw, stale.id)).toHaveLength(1);
		expect((await desk.get(recent.id))?.state).toBe('awaiting_identity');
		// without the store secret the purge only deletes what expired
		await purgeNow(raw, undefined);
	});

	/**
	 * An erasure asked for over WhatsApp `ago` ms back and left at its question (awaiting_confirmation), as
	 * askToConfirmErasure leaves it: with its pending confirmation, unless `purged` (the store's purge took it).
	 */
	const askedSince = async (store: StoreHandle, ago: number, purged = false) => {
		const desk = await rig.deskOf(store, () => new Date(Date.now() - ago));
		const waiting = await desk.advance(await desk.open('delete', 'whatsapp', WA), 'awaiting_confirmation', 'whatsapp');
		const expiresAt = new Date(desk.now().getTime() + CONFIRMATION_TTL_MS);
		if (!purged) await desk.store.putRecord({ scope: 'privacy-erasure-confirmation', key: waiting.id, value: { expiresAt: expiresAt.toISOString() }, expiresAt });
		return waiting;
	};
	/** The person taps "Delete all my data" under the question of `requestId` (Detect's output for the tap). */
	const tapConfirm = async (store: StoreHandle, requestId: string) => {
		const run = await rig.runPrivacy(itemsOf({ from: { waId: WA }, privacy: { type: 'delete', confirmation: 'confirm', requestId } }), { operation: 'execute' }, { store });
		expect(run.error).toBeUndefined();
		return run.out[0];
	};

	it('closes erasure questions nobody answered within 10 minutes: List Open and Get Status deny them once, keep the one still in time, and a late tap does nothing', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const stale = await askedSince(store, CONFIRMATION_TTL_MS + 60_000);
		const purged = await askedSince(store, 3 * 60 * 60_000, true);
		const byStatus = await askedSince(store, CONFIRMATION_TTL_MS + 1000);
		const inTime = await askedSince(store, 2 * 60_000);

		// two monitors at the same moment: each stale question denied once, the one in time listed
		const [one, two] = await Promise.all([listOpen(store), listOpen(store)]);
		expect(one.map((o) => [o.id, o.state])).toEqual([[inTime.id, 'awaiting_confirmation']]);
		expect(two).toEqual(one);
		const desk = await rig.deskOf(store);
		for (const request of [stale, purged, byStatus]) {
			expect(await desk.get(request.id)).toMatchObject({ state: 'denied', reason: EXPIRED_REASON, completedAt: expect.any(String) });
			expect(await expiryTrail(raw, request.id)).toEqual([
				expect.objectContaining({ actor: 'system', action: 'transition', fromState: 'awaiting_confirmation', toState: 'denied', detail: { reason: EXPIRED_REASON } }),
			]);
			// nothing left for a tap to take
			expect(await raw.getRecord('privacy-erasure-confirmation', request.id)).toBeUndefined();
		}
		expect(await raw.getRecord('privacy-erasure-confirmation', inTime.id)).toBeDefined();

		// a late tap after the expiry: nothing happens, nothing is sent
		rig.base.resetFakes();
		expect(await tapConfirm(store, stale.id)).toMatchObject({ id: stale.id, state: 'denied', confirmed: false, reason: 'not_awaiting_confirmation' });
		expect(rig.graph.sent).toEqual([]);
		expect(await expiryTrail(raw, stale.id)).toHaveLength(1);

		// Get Status denies one on its own too
		const another = await askedSince(store, CONFIRMATION_TTL_MS + 5000);
		const status = await rig.runPrivacy(itemsOf({ requestId: another.id }, { requestId: inTime.id }), { operation: 'getStatus' }, { store });
		expect(status.error).toBeUndefined();
		expect(status.out[0]).toMatchObject({ id: another.id, state: 'denied', reason: EXPIRED_REASON });
		expect(status.out[1]).toMatchObject({ id: inTime.id, state: 'awaiting_confirmation' });
		expect(await raw.verifyAuditChain(rig.keysOf(store).auditKey)).toMatchObject({ ok: true });
	});

	it('denies stale questions in the background purge too, and a tap while another worker denies one does nothing', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const stale = await askedSince(store, CONFIRMATION_TTL_MS + 60_000);
		await purgeNow(raw, rig.keysOf(store));
		expect((await (await rig.deskOf(store)).get(stale.id))?.state).toBe('denied');
		expect(await expiryTrail(raw, stale.id)).toHaveLength(1);

		// another worker's expiry holds the request's expiry claim at the moment the late tap arrives
		const racing = await askedSince(store, CONFIRMATION_TTL_MS + 60_000, true);
		expect(await raw.claim('privacy-expiry', racing.id, 60_000)).toBe(true);
		rig.base.resetFakes();
		expect(await tapConfirm(store, racing.id)).toMatchObject({ id: racing.id, confirmed: false, reason: 'not_awaiting_confirmation' });
		expect(rig.graph.sent).toEqual([]);
		expect((await (await rig.deskOf(store)).get(racing.id))?.state).toBe('awaiting_confirmation'); // the other worker's to deny
		expect(await expiryTrail(raw, racing.id)).toEqual([]);
	});
});

/**
 * The Auto-Reply's waitlist operations (load shedding) in n8n-core's engine, on each store backend (SQLite,
 * PostgreSQL): Get Waitlist lists the people turned away at capacity, longest waiting first, pseudonymously;
 * Notify Waitlist tells them the bot is back (a text in their language inside the 24-hour window, the template
 * outside it, nothing without one), only as many as there is room for, keeps whoever a send failed for, and holds
 * a place for each person told. People are put on the waitlist with capacity.ts's joinWaitlist, as the Reply does;
 * what reached WhatsApp is read from the fake Graph API.
 */
import { ACCOUNT, sentTexts, startReplyRig, type ReplyRig, type ReplyRun, type ReplyStoreBackend, type RunOptions, type StoreDatabase, onBackend } from './reply-harness';

import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { activeConversations, isActive, joinWaitlist, markActive, onWaitlist } from '../../nodes/shared/conversation/capacity';
import { conversationText } from '../../nodes/shared/conversation/messages';
import { contactRef, pseudonymOf } from '../../nodes/shared/contact';
import { SCOPES } from '../../nodes/shared/store/scopes';
import { usageOf } from '../../nodes/shared/usage/ledger';
import { SERVICE_PRICING, status } from '../../devkit/fakes/webhook-payloads';
import type { WhatsAutoStore } from '../../nodes/shared/store';

jest.setTimeout(60_000);

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const BUSINESS = 'Lucky Shrub';
const MESSAGE_REF = /^m:[0-9a-f]{64}$/;

let rig: ReplyRig;

beforeAll(async () => {
	rig = await startReplyRig();
});

afterAll(async () => {
	await rig?.close();
}, 120_000);

describe.each<[ReplyStoreBackend]>([['sqlite'], ['postgres']])('waitlist on %s', (backend) => {
	let store: WhatsAutoStore;
	let db: StoreDatabase;
	/** Every number a test put on the waitlist: none may show in an output, a log line or an error. */
	const NUMBERS: string[] = [];
	let contacts = 0;
	/** A customer of the test's own. */
	const newContact = () => {
		const waId = `4477009${backend === 'sqlite' ? 1 : 2}${String(++contacts).padStart(4, '0')}`;
		NUMBERS.push(waId);
		return waId;
	};
	const subjectOf = (waId: string) => pseudonymOf(rig.storeKeys().pseudonymise, { kind: 'phone', waId });

	onBackend(() => rig, backend, (s, d) => {
		store = s;
		db = d;
	});

	beforeEach(async () => {
		rig.resetFakes();
		// each test starts with nobody waiting and no conversation active
		await db.run(`DELETE FROM {records} WHERE scope IN (?, ?)`, SCOPES.waitlist.name, SCOPES.activeConversation.name);
	});

	afterAll(() => {
		expect(rig.leaks(NUMBERS)).toEqual([]);
	});

	// ---------------------------------------------------------------- helpers

	/**
	 * Puts a new person on the waitlist as the Reply does, `ago` before now (their last message then too), and tells the
	 * fake Graph API when they last wrote (its 24-hour window). Returns their number.
	 */
	const waiting = async (ago: number, options: { language?: string; ttlMs?: number; waId?: string } = {}): Promise<string> => {
		const waId = options.waId ?? newContact();
		const at = new Date(Date.now() - ago);
		const added = await joinWaitlist(
			store,
			rig.storeKeys(),
			{ subject: subjectOf(waId), recipient: { waId }, ...(options.language ? { language: options.language } : {}), phoneNumberId: ACCOUNT.phoneNumberId },
			options.ttlMs ?? 7 * DAY_MS,
			at,
		);
		expect(added).toBe(!options.waId);
		rig.graph.setLastInbound(waId, at);
		return waId;
	};

	/** One of the waitlist operations, fed `items` (one empty item, as a Schedule Trigger gives, by default). */
	const operate = async (
		operation: 'waitlist' | 'notifyWaitlist',
		parameters: INodeParameters = {},
		run: RunOptions = {},
		items: INodeExecutionData[] = [{ json: {} }],
	): Promise<ReplyRun> => {
		const result = await rig.runReply(items, { ...run, parameters: { operation, ...parameters } });
		// nothing ever on the Reply's other outputs
		for (const output of result.outputs.slice(1)) expect(output).toEqual([]);
		// pseudonymous: no number, no Meta message id (a wamid is the number in base64)
		const shown = JSON.stringify(result.outputs);
		for (const waId of NUMBERS) expect(shown).not.toContain(waId);
		for (const sent of rig.graph.sent) expect(shown).not.toContain(sent.id);
		return result;
	};
	const list = async (parameters: INodeParameters = {}, items?: INodeExecutionData[]) => {
		const result = await operate('waitlist', parameters, {}, items);
		expect(result.error).toBeUndefined();
		return result.out;
	};
	const notify = async (parameters: INodeParameters = {}, run: RunOptions = {}) => await operate('notifyWaitlist', parameters, run);

	const byContact = (out: IDataObject[], waId: string) => out.find((json) => json.contactKey === contactRef(subjectOf(waId)));
	const sentTo = (waId: string) => rig.graph.sent.filter((sent) => sent.waId === waId);

	// ---------------------------------------------------------------- Get Waitlist

	describe('Get Waitlist', () => {
		it('lists the people waiting, longest first, with their window and language, never their number', async () => {
			const first = await waiting(30 * HOUR_MS, { language: 'pt' });
			const second = await waiting(3 * HOUR_MS, { language: 'es' });
			const third = await waiting(1 * HOUR_MS);
			// the first writes again while waiting: their window opens again, their place stays
			await waiting(10 * 60_000, { waId: first, language: 'pt' });

			const out = await list();
			expect(out.map((json) => json.contactKey)).toEqual([first, second, third].map((waId) => contactRef(subjectOf(waId))));
			for (const json of out) {
				expect(json.contactKey).toMatch(/^wa:[0-9a-f]{64}$/);
				expect(Object.keys(json).sort()).toEqual(['addedAt', 'contactKey', 'language', 'lastMessageAt', 'windowOpen']);
			}
			expect(Date.now() - Date.parse(String(out[0].addedAt))).toBeGreaterThan(29 * HOUR_MS);
			expect(Date.now() - Date.parse(String(out[0].lastMessageAt))).toBeLessThan(HOUR_MS);
			expect(out.map((json) => json.windowOpen)).toEqual([true, true, true]);
			expect(out.map((json) => json.language)).toEqual(['pt', 'es', null]);
		});

		it('says whose 24-hour window has closed', async () => {
			const closed = await waiting(25 * HOUR_MS);
			const open = await waiting(23 * HOUR_MS);
			const out = await list();
			expect(byContact(out, closed)).toMatchObject({ windowOpen: false });
			expect(byContact(out, open)).toMatchObject({ windowOpen: true });
		});

		it('lists at most Limit people, once per execution whatever the number of input items', async () => {
			const people = [await waiting(4 * HOUR_MS), await waiting(3 * HOUR_MS), await waiting(2 * HOUR_MS)];
			const two = await list({ limit: 2 });
			expect(two.map((json) => json.contactKey)).toEqual(people.slice(0, 2).map((waId) => contactRef(subjectOf(waId))));
			const all = await list({}, [{ json: { a: 1 } }, { json: { a: 2 } }, { json: { a: 3 } }]);
			expect(all).toHaveLength(3);
		});

		it('outputs nothing when nobody waits', async () => {
			expect(await list()).toEqual([]);
		});

		it('leaves out entries past their TTL', async () => {
			const expired = await waiting(2 * HOUR_MS, { ttlMs: HOUR_MS });
			const current = await waiting(2 * HOUR_MS);
			const out = await list();
			expect(byContact(out, expired)).toBeUndefined();
			expect(byContact(out, current)).toBeDefined();
			expect(await onWaitlist(store, subjectOf(expired))).toBe(false);
		});

		it('forgets a person erased', async () => {
			const erased = await waiting(2 * HOUR_MS);
			const kept = await waiting(HOUR_MS);
			expect(await store.eraseContact(subjectOf(erased))).toBeGreaterThanOrEqual(1);
			const out = await list();
			expect(out.map((json) => json.contactKey)).toEqual([contactRef(subjectOf(kept))]);
			const rows = await db.rows('SELECT key FROM {records} WHERE scope = ? AND contact_key = ?', SCOPES.waitlist.name, subjectOf(erased));
			expect(rows).toEqual([]);
		});

		it('needs the store credential’s secret key', async () => {
			const result = await rig.runReply([{ json: {} }], { parameters: { operation: 'waitlist' }, credentials: { whatsAutoStoreApi: null } });
			expect(result.error?.message).toMatch(/Store API credential/);
		});
	});

	// ---------------------------------------------------------------- Notify Waitlist

	describe('Notify Waitlist', () => {
		it('inside the window: the localised “we’re back” in each person’s language, then off the list, a place held', async () => {
			const spanish = await waiting(2 * HOUR_MS, { language: 'es' });
			const english = await waiting(HOUR_MS);

			const result = await notify();
			expect(result.error).toBeUndefined();
			expect(result.out).toHaveLength(2);
			expect(sentTo(spanish).map((sent) => sent.type)).toEqual(['text']);
			expect(sentTexts(rig.graph)).toEqual([conversationText('back', 'es', { business: BUSINESS }), conversationText('back', 'en', { business: BUSINESS })]);
			for (const sent of rig.graph.sent) expect(sent.inWindow).toBe(true);

			const told = byContact(result.out, spanish)!;
			expect(told).toMatchObject({ status: 'notified', windowOpen: true, language: 'es', onWaitlist: false });
			expect(told).not.toHaveProperty('reason');
			expect(told.graphMessageIds).toEqual([expect.stringMatching(MESSAGE_REF)]);
			expect(byContact(result.out, english)).toMatchObject({ status: 'notified', language: null });

			expect(await list()).toEqual([]);
			// their place is kept for the Active Window, so the next run does not give it away again
			expect(await isActive(store, subjectOf(spanish))).toBe(true);
			expect(await activeConversations(store)).toBe(2);
		});

		it('files what it sent like a reply: Meta\'s pricing of it reaches the usage ledger', async () => {
			const waId = await waiting(HOUR_MS);
			const result = await notify();
			expect(result.error).toBeUndefined();
			const [sent] = sentTo(waId);
			expect(sent).toBeDefined();
			const priced = await rig.runReply(rig.statusItems(rig.statusEnvelope([status(sent.id, waId, 'sent', { pricing: SERVICE_PRICING })])), { options: { usageLedger: true } });
			expect(priced.error).toBeUndefined();
			expect((await usageOf(store, subjectOf(waId))).pricing).toEqual([expect.objectContaining({ category: 'service', billable: false, contactKey: subjectOf(waId) })]);
		});

		it('sends your Message instead, {business} filled in', async () => {
			const waId = await waiting(HOUR_MS, { language: 'es' });
			const result = await notify({ message: 'We have room again at {business}!', businessName: 'Green Thumb', activeWindowMinutes: 0 });
			expect(result.error).toBeUndefined();
			expect(sentTexts(rig.graph)).toEqual(['We have room again at Green Thumb!']);
			expect(byContact(result.out, waId)).toMatchObject({ status: 'notified' });
			// Active Window 0: no place held
			expect(await isActive(store, subjectOf(waId))).toBe(false);
		});

		it('outside the window: the template, as configured', async () => {
			const waId = await waiting(30 * HOUR_MS, { language: 'es' });
			const result = await notify({ templateName: 'back_in_service', templateLanguage: 'es', templateParameters: `${BUSINESS}\n\n  mañana  ` });
			expect(result.error).toBeUndefined();
			expect(sentTo(waId)).toHaveLength(1);
			const [sent] = sentTo(waId);
			expect(sent.type).toBe('template');
			expect(sent.body.to).toBe(waId);
			expect(sent.body.template).toEqual({
				name: 'back_in_service',
				language: { code: 'es' },
				components: [{ type: 'body', parameters: [{ type: 'text', text: BUSINESS }, { type: 'text', text: 'mañana' }] }],
			});
			expect(byContact(result.out, waId)).toMatchObject({ status: 'template', reason: 'window_closed', windowOpen: false, onWaitlist: false, graphMessageIds: [expect.stringMatching(MESSAGE_REF)] });
			expect(await onWaitlist(store, subjectOf(waId))).toBe(false);
		});

		it('outside the window without a template: skipped, still waiting, nothing sent', async () => {
			const closed = await waiting(30 * HOUR_MS);
			const open = await waiting(HOUR_MS);
			const result = await notify();
			expect(result.error).toBeUndefined();
			expect(byContact(result.out, closed)).toEqual({
				contactKey: contactRef(subjectOf(closed)),
				language: null,
				windowOpen: false,
				status: 'skipped',
				reason: 'window_closed',
				graphMessageIds: [],
				onWaitlist: true,
			});
			expect(byContact(result.out, open)).toMatchObject({ status: 'notified' });
			expect(sentTo(closed)).toEqual([]);
			expect((await list()).map((json) => json.contactKey)).toEqual([contactRef(subjectOf(closed))]);
		});

		it('a window Meta reports closed on send (131047) gets the template instead', async () => {
			const strict = await rig.addGraph(`meta-sync-${backend}`, { window131047: 'sync' });
			const waId = await waiting(HOUR_MS);
			// the waitlist thinks the window is open; this Meta knows no message from them
			const result = await notify({ templateName: 'back_in_service' }, { credentials: { whatsAutoMetaApi: `meta-sync-${backend}` } });
			expect(result.error).toBeUndefined();
			expect(strict.sent.map((sent) => sent.type)).toEqual(['template']);
			expect(byContact(result.out, waId)).toMatchObject({ status: 'template', reason: 'window_closed', onWaitlist: false });
		});

		it('Only When There Is Room: as many as there are free places, and the places held count next time', async () => {
			const people = [await waiting(3 * HOUR_MS), await waiting(2 * HOUR_MS), await waiting(HOUR_MS)];
			for (const waId of [newContact(), newContact()]) await markActive(store, subjectOf(waId), HOUR_MS);

			const first = await notify({ maxActiveConversations: 3 });
			expect(first.error).toBeUndefined();
			expect(first.out.map((json) => json.contactKey)).toEqual([contactRef(subjectOf(people[0]))]);
			expect(rig.graph.sent).toHaveLength(1);
			expect((await list()).map((json) => json.contactKey)).toEqual(people.slice(1).map((waId) => contactRef(subjectOf(waId))));

			// the person told holds the third place: no room now
			rig.resetFakes();
			const full = await notify({ maxActiveConversations: 3 });
			expect(full.out).toEqual([]);
			expect(rig.graph.sent).toEqual([]);

			// Max People per Run bounds a run without the room check
			const capped = await notify({ onlyWhenRoom: false, notifyLimit: 1 });
			expect(capped.out.map((json) => json.contactKey)).toEqual([contactRef(subjectOf(people[1]))]);
			const rest = await notify({ onlyWhenRoom: false });
			expect(rest.out.map((json) => json.contactKey)).toEqual([contactRef(subjectOf(people[2]))]);
			expect(await list()).toEqual([]);
		});

		it('Max Active Conversations 0: no limit', async () => {
			await markActive(store, subjectOf(newContact()), HOUR_MS);
			const waId = await waiting(HOUR_MS);
			const result = await notify({ maxActiveConversations: 0 });
			expect(byContact(result.out, waId)).toMatchObject({ status: 'notified' });
		});

		it('a Graph API failure fails the node and keeps the person waiting', async () => {
			const failing = await waiting(2 * HOUR_MS);
			const next = await waiting(HOUR_MS);
			rig.graph.inject({ path: '/messages', error: 'undeliverable', times: 1 });
			const result = await notify();
			expect(result.error).toBeDefined();
			expect(result.error?.name).toBe('NodeApiError');
			expect(rig.graph.sent).toEqual([]);
			expect(await onWaitlist(store, subjectOf(failing))).toBe(true);
			expect(await onWaitlist(store, subjectOf(next))).toBe(true);
			expect(await isActive(store, subjectOf(failing))).toBe(false);
		});

		it('with Continue On Fail: the failed person’s item has the error, the others are notified', async () => {
			const failing = await waiting(2 * HOUR_MS);
			const next = await waiting(HOUR_MS);
			rig.graph.inject({ path: '/messages', error: 'undeliverable', times: 1 });
			const result = await notify({}, { continueOnFail: true });
			expect(result.error).toBeUndefined();
			const failed = byContact(result.out, failing)!;
			expect(failed).toMatchObject({ status: 'failed', onWaitlist: true, graphMessageIds: [] });
			expect(String(failed.error)).toMatch(/131026|deliver/i);
			expect(byContact(result.out, next)).toMatchObject({ status: 'notified', onWaitlist: false });
			expect((await list()).map((json) => json.contactKey)).toEqual([contactRef(subjectOf(failing))]);
		});

		it('skips and drops a person who objected (STOP)', async () => {
			const objected = await waiting(2 * HOUR_MS);
			await store.putRecord({ scope: SCOPES.suppression.name, key: subjectOf(objected), value: { ai: true, since: new Date().toISOString() }, expiresAt: new Date(Date.now() + DAY_MS) });
			const result = await notify();
			expect(result.error).toBeUndefined();
			expect(byContact(result.out, objected)).toMatchObject({ status: 'skipped', reason: 'objected', onWaitlist: false });
			expect(sentTo(objected)).toEqual([]);
			expect(await list()).toEqual([]);
			await store.deleteRecord(SCOPES.suppression.name, subjectOf(objected));
		});

		it('neither expired nor erased people are notified', async () => {
			const expired = await waiting(2 * HOUR_MS, { ttlMs: HOUR_MS });
			const erased = await waiting(2 * HOUR_MS);
			await store.eraseContact(subjectOf(erased));
			const result = await notify();
			expect(result.error).toBeUndefined();
			expect(result.out).toEqual([]);
			expect(sentTo(expired)).toEqual([]);
			expect(sentTo(erased)).toEqual([]);
		});

		it('skips a person another run is notifying right now', async () => {
			const waId = await waiting(HOUR_MS);
			const lease = rig.storeKeys().pseudonymise(`waitlist-notify:${subjectOf(waId)}`);
			expect(await store.claim(SCOPES.waitlistNotice.name, lease, 60_000)).toBe(true);
			const result = await notify();
			expect(byContact(result.out, waId)).toMatchObject({ status: 'skipped', reason: 'in_progress', onWaitlist: true });
			expect(rig.graph.sent).toEqual([]);
			await store.releaseClaim(SCOPES.waitlistNotice.name, lease);
		});

		it('runs once per execution, whatever the number of input items', async () => {
			await waiting(HOUR_MS);
			const result = await operate('notifyWaitlist', {}, {}, [{ json: {} }, { json: {} }, { json: {} }]);
			expect(result.out).toHaveLength(1);
			expect(rig.graph.sent).toHaveLength(1);
		});

		it('needs the store credential’s secret key', async () => {
			const result = await rig.runReply([{ json: {} }], { parameters: { operation: 'notifyWaitlist' }, credentials: { whatsAutoStoreApi: null } });
			expect(result.error?.message).toMatch(/Store API credential/);
		});
	});
});

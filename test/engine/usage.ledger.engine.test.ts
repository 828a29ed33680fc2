/**
 * The usage ledger (nodes/shared/usage/ledger.ts) in n8n-core's engine, on each store backend (SQLite, PostgreSQL):
 * one metadata row per item the Auto-Reply processed (a turn from the conversation gate, a skipped message), one
 * pricing row per message we sent from its first status carrying `pricing`; listed by the access export, gone after
 * an erasure, never any text; and `readUsage` reading a period page by page.
 */
import { ACCOUNT, sentTexts, startReplyRig, REPLY_TYPE, type ReplyRig, type ReplyStoreBackend, type StoreDatabase, onBackend } from './reply-harness';
import { itemsOf, PrivacyRig, type StoreHandle } from './privacy-harness';
import { startTrigger, until, type RunningTrigger } from './gate-harness';

import type { IDataObject, INodeProperties, INodePropertyCollection } from 'n8n-workflow';

import { envelope, messagesChange, msg, SERVICE_PRICING, status, templatePricing } from '../../devkit/fakes/webhook-payloads';
import { pauseFor } from '../../nodes/shared/conversation/pause';
import { canonicalOf } from '../../nodes/shared/store/people';
import { DAY_MS, DEFAULT_USAGE_RETENTION_MS, SCOPES } from '../../nodes/shared/store/scopes';
import type { WhatsAutoStore } from '../../nodes/shared/store';
import { readUsage, recordPricing, recordTurn, usageOf, usageRetentionMs, type UsageEntry } from '../../nodes/shared/usage/ledger';
import type { UsageReport } from '../../nodes/shared/usage/aggregate';

jest.setTimeout(60_000);

const ANSWER = 'Yes, the blue mugs are in stock today.';
const TOKENS = { prompt: 321, completion: 17, cached: 256 };
const USAGE = { usageLedger: true };
const USAGE_SCOPES = [SCOPES.usage.name, SCOPES.usagePricing.name];

let rig: ReplyRig;

/**
 * The Usage Ledger fields of the Options collection, for as long as the node's description does not offer them yet
 * (n8n drops collection values it has no field for): the same names and defaults options.ts reads.
 */
function offerUsageOptions(): void {
	const reply = rig.nodeTypes.getByNameAndVersion(REPLY_TYPE);
	const collections = reply.description.properties.filter(
		(p): p is INodeProperties & { options: INodeProperties[] } =>
			p.name === 'options' && p.type === 'collection' && Array.isArray(p.options) && (p.options as Array<INodeProperties | INodePropertyCollection>).some((o) => o.name === 'fallbackMessage'),
	);
	expect(collections.length).toBeGreaterThan(0);
	for (const collection of collections) {
		if (!collection.options.some((o) => o.name === 'usageLedger')) collection.options.push({ displayName: 'Usage Ledger', name: 'usageLedger', type: 'boolean', default: false });
		if (!collection.options.some((o) => o.name === 'usageRetentionMonths')) {
			collection.options.push({ displayName: 'Usage Retention (Months)', name: 'usageRetentionMonths', type: 'number', default: 13 });
		}
	}
}

beforeAll(async () => {
	rig = await startReplyRig({ ai: { responder: () => ({ content: ANSWER, usage: { promptTokens: TOKENS.prompt, completionTokens: TOKENS.completion, cachedTokens: TOKENS.cached } }) } });
	offerUsageOptions();
});

afterAll(async () => {
	await rig?.close();
}, 120_000);

describe.each<[ReplyStoreBackend]>([['sqlite'], ['postgres']])('usage ledger on %s', (backend) => {
	let store: WhatsAutoStore;
	let db: StoreDatabase;
	let running: RunningTrigger | undefined;
	/** What customers wrote and what was sent to them in this block: no usage row may hold any of it. */
	const SAID: string[] = [];
	const said = <T extends string>(text: T): T => {
		SAID.push(text);
		return text;
	};
	let contacts = 0;
	const newContact = () => `3465557${backend === 'sqlite' ? 1 : 2}${String(++contacts).padStart(3, '0')}`;

	onBackend(() => rig, backend, (s, d) => {
		store = s;
		db = d;
	});

	beforeEach(() => rig.resetFakes());

	afterEach(async () => {
		await running?.stop();
		await running?.settled();
		running = undefined;
	});

	const subjectOf = async (waId: string): Promise<string> => (await canonicalOf(store, rig.storeKeys(), { waId }))!;

	/** The raw usage rows of the store's database (both scopes), expired or not. */
	const rawRows = async (contactKey?: string) =>
		await db.rows<{ scope: string; key: string; contact_key: string; value: string }>(
			`SELECT scope, key, contact_key, value FROM {records} WHERE scope IN (?, ?)${contactKey === undefined ? '' : ' AND contact_key = ?'} ORDER BY scope, key`,
			...USAGE_SCOPES,
			...(contactKey === undefined ? [] : [contactKey]),
		);

	/** One text message answered through Messages → Auto-Reply with the Usage Ledger on. */
	const answered = async (customer: string, text: string) => {
		const result = await rig.runReply(rig.inbound([msg.text(customer, said(text))]), { options: USAGE });
		expect(result.error).toBeUndefined();
		expect(result.out[0]).toMatchObject({ status: 'replied' });
		return result;
	};

	const statusRun = async (statuses: ReturnType<typeof status>[]) => {
		const result = await rig.runReply(rig.statusItems(rig.statusEnvelope(statuses)), { options: USAGE });
		expect(result.error).toBeUndefined();
		return result;
	};

	it('records one row for a turn of 3 messages from the conversation gate: types, tokens as OpenAI reported, every stage timed, 1 sent', async () => {
		const customer = newContact();
		const chain = rig.chainWorkflow({ triggerParameters: { options: { conversationGate: true, gateDebounceSeconds: 0.4 } }, options: USAGE });
		running = await startTrigger(chain.workflow, chain.start, rig.credentials);
		const burst = [msg.text(customer, said('hi there')), msg.text(customer, said('do you have')), msg.text(customer, said('blue mugs with a saucer?'))];
		for (const m of burst) {
			const payload = envelope(ACCOUNT, [messagesChange(ACCOUNT, [m])]);
			rig.graph.noteInbound(payload);
			expect(await chain.post(payload)).toBe(200);
		}
		await until(() => running!.emitted.length > 0, 10_000, 'the turn');
		await running.settled();
		expect(running.emitted).toHaveLength(1);
		expect(running.emitted[0].run?.status).toBe('success');
		expect(rig.ai.chatRequests).toHaveLength(1);
		expect(sentTexts(rig.graph)).toEqual([ANSWER]);
		SAID.push(ANSWER);

		const subject = await subjectOf(customer);
		const { turns, pricing } = await usageOf(store, subject);
		expect(pricing).toEqual([]);
		expect(turns).toHaveLength(1);
		const [turn] = turns;
		const reported = rig.ai.chatRequests[0].usage!;
		expect(turn).toMatchObject({
			contactKey: subject,
			messages: 3,
			messageTypes: ['text', 'text', 'text'],
			outcome: 'replied',
			model: rig.ai.chatRequests[0].body.model,
			tokens: { prompt: reported.prompt_tokens, completion: reported.completion_tokens, cached: reported.prompt_tokens_details.cached_tokens },
			sent: 1,
		});
		expect(turn.tokens).toEqual(TOKENS);
		expect(turn).not.toHaveProperty('reason');
		for (const stage of ['ack', 'wait', 'understand', 'model', 'send', 'total'] as const) {
			expect(typeof turn.latencyMs[stage]).toBe('number');
			expect(turn.latencyMs[stage]).toBeGreaterThanOrEqual(0);
		}
		// the gate held the turn at least its debounce after the last message came in
		expect(turn.latencyMs.wait).toBeGreaterThanOrEqual(300);
		// each stage rounded on its own: a millisecond or two either way
		expect(turn.latencyMs.total + 2).toBeGreaterThanOrEqual(turn.latencyMs.model! + turn.latencyMs.send!);
		expect(Math.abs(Date.parse(turn.at) - Date.now())).toBeLessThan(60_000);
		// dated by when the turn finished: readUsage finds it in the minute around now
		const around = await readUsage(store, new Date(Date.now() - 60_000), new Date(Date.now() + 1000));
		expect(around.turns.filter((t) => t.contactKey === subject)).toEqual([turn]);
		// one row, under an opaque key: no message id of Meta's anywhere in it
		const rows = await rawRows(subject);
		expect(rows).toHaveLength(1);
		for (const m of burst) expect(JSON.stringify(rows)).not.toContain(m.id);
		expect(JSON.stringify(rows)).not.toContain(customer);
	});

	it('records a skipped message with its reason (objected; paused by an operator); a duplicate adds nothing; with the option off, nothing', async () => {
		const objecting = newContact();
		const objector = await subjectOf(objecting);
		await store.putRecord({ scope: SCOPES.suppression.name, key: objector, value: { ai: true, marketing: false, since: new Date().toISOString() }, expiresAt: new Date(Date.now() + DAY_MS) });
		const items = rig.inbound([msg.text(objecting, said('please answer me anyway'))]);
		const skipped = await rig.runReply(items, { options: USAGE });
		expect(skipped.out[0]).toMatchObject({ status: 'skipped', reason: 'objected' });
		const [row] = (await usageOf(store, objector)).turns;
		expect(row).toMatchObject({ contactKey: objector, outcome: 'skipped', reason: 'objected', messages: 1, messageTypes: ['text'], sent: 0 });
		expect(row).not.toHaveProperty('tokens');
		expect(row).not.toHaveProperty('model');
		// a message handed on directly (no gate): no ack or wait, the node's own time only
		expect(Object.keys(row.latencyMs)).toEqual(['total']);

		const again = await rig.runReply(items, { options: USAGE });
		expect(again.out[0]).toMatchObject({ reason: 'duplicate' });
		expect((await usageOf(store, objector)).turns).toEqual([row]);

		const paused = newContact();
		const pausedKey = await subjectOf(paused);
		await pauseFor(store, pausedKey, 'operator');
		const quiet = await rig.runReply(rig.inbound([msg.image(paused, rig.graph.addMedia({ bytes: Buffer.from('not really a png'), mimeType: 'image/png' }))]), { options: USAGE });
		expect(quiet.out[0]).toMatchObject({ status: 'skipped', reason: 'paused_by_operator' });
		expect((await usageOf(store, pausedKey)).turns).toEqual([expect.objectContaining({ outcome: 'skipped', reason: 'paused_by_operator', messageTypes: ['image'], messages: 1, sent: 0 })]);
		expect(rig.ai.chatRequests).toEqual([]);

		const off = newContact();
		await rig.runReply(rig.inbound([msg.text(off, said('no ledger for this one'))]));
		expect(rig.graph.sent).toHaveLength(1);
		expect(await rawRows(await subjectOf(off))).toEqual([]);
	});

	it('records the pricing of a reply once, from its first status with pricing; ignores statuses of messages it did not send', async () => {
		const customer = newContact();
		const subject = await subjectOf(customer);
		await answered(customer, 'How much is shipping to Porto?');
		const wamid = rig.graph.sent[0].id;
		const pricingRows = async () => (await rawRows()).filter((r) => r.scope === SCOPES.usagePricing.name);
		const before = (await pricingRows()).length;

		const sent = await statusRun([status(wamid, customer, 'sent', { pricing: SERVICE_PRICING })]);
		expect(sent.out[0]).toMatchObject({ kind: 'status', status: 'skipped', reason: 'status' });
		const { pricing } = await usageOf(store, subject);
		expect(pricing).toEqual([{ at: expect.any(String), contactKey: subject, category: 'service', billable: false, pricingModel: 'PMP' }]);

		// pricing again on delivered (Meta sends it on sent and on one of delivered/read), none on read: still one row
		await statusRun([status(wamid, customer, 'delivered', { pricing: SERVICE_PRICING }), status(wamid, customer, 'read')]);
		expect((await usageOf(store, subject)).pricing).toEqual(pricing);
		// a message someone else sent (another tool on the same number): no row
		await statusRun([status(`wamid.${Buffer.from(`${customer}-other`).toString('base64')}`, customer, 'sent', { pricing: templatePricing('marketing') })]);
		expect((await pricingRows()).length).toBe(before + 1);
		const raw = JSON.stringify(await pricingRows());
		expect(raw).not.toContain(wamid);
		expect(raw).not.toContain(customer);
		// the turn row counts the reply as sent
		expect((await usageOf(store, subject)).turns).toEqual([expect.objectContaining({ outcome: 'replied', sent: 1, messages: 1 })]);
	});

	it('Get Usage Report over real traffic equals what the fakes recorded: tokens, replies sent, skips, Meta pricing categories', async () => {
		const from = new Date(Date.now() - 1000);
		const report = async () => {
			const run = await rig.runReply([{ json: {} }], {
				parameters: { operation: 'usage', period: 'custom', from: from.toISOString(), to: new Date(Date.now() + 60_000).toISOString() },
			});
			expect(run.error).toBeUndefined();
			return run.out[0] as unknown as UsageReport;
		};
		const start = await report();
		const [first, second] = [newContact(), newContact()];
		await answered(first, 'Do you deliver to Braga on Sundays?');
		await answered(second, 'Is the oak table still available?');
		await answered(first, 'And what does delivery cost there?');
		// a reaction is skipped: a turn without a model call or a send
		const reacted = await rig.runReply(rig.inbound([msg.reaction(second, 'wamid.any', '👍')]), { options: USAGE });
		expect(reacted.out[0]).toMatchObject({ status: 'skipped', reason: 'reaction' });
		const sends = rig.graph.sent.filter((sent) => sent.type === 'text');
		expect(sends).toHaveLength(3);
		// Meta prices two replies as service, and one (say, after a template) as utility
		const categories = ['service', 'service', 'utility'];
		await statusRun(sends.map((sent, index) => status(sent.id, sent.waId!, 'sent', { pricing: categories[index] === 'service' ? SERVICE_PRICING : templatePricing('utility') })));

		const end = await report();
		const calls = rig.ai.chatRequests.map((request) => request.usage!);
		expect(calls).toHaveLength(3);
		const sum = (pick: (usage: (typeof calls)[number]) => number) => calls.reduce((total, usage) => total + pick(usage), 0);
		expect(end.tokens.prompt - start.tokens.prompt).toBe(sum((usage) => usage.prompt_tokens));
		expect(end.tokens.completion - start.tokens.completion).toBe(sum((usage) => usage.completion_tokens));
		expect(end.tokens.cached - start.tokens.cached).toBe(sum((usage) => usage.prompt_tokens_details.cached_tokens));
		expect(end.turns - start.turns).toBe(4);
		expect(end.replies - start.replies).toBe(sends.length);
		expect(end.outcomes.skipped - start.outcomes.skipped).toBe(1);
		const byCategory = (r: UsageReport, category: string) => r.metaMessages.byCategory[category]?.messages ?? 0;
		expect(byCategory(end, 'service') - byCategory(start, 'service')).toBe(2);
		expect(byCategory(end, 'utility') - byCategory(start, 'utility')).toBe(1);
		expect(end.metaMessages.billable - start.metaMessages.billable).toBe(1);
	});

	it('is listed by the access export, holds no text, and is gone after an erasure', async () => {
		const customer = newContact();
		const subject = await subjectOf(customer);
		const text = said('My order number is in the other chat, blue saucer please');
		await answered(customer, text);
		SAID.push(...sentTexts(rig.graph));
		await statusRun([status(rig.graph.sent[0].id, customer, 'sent', { pricing: SERVICE_PRICING })]);
		const kept = await usageOf(store, subject);
		expect(kept.turns).toHaveLength(1);
		expect(kept.pricing).toHaveLength(1);

		// access: the export (a WhatsApp document) lists the rows as the ledger has them
		rig.resetFakes();
		const privacy = new PrivacyRig(rig);
		const handle: StoreHandle = privacy.addStore(rig.storeId, rig.storeCredential);
		const access = await privacy.runPrivacy(itemsOf({ waId: customer }), { operation: 'execute', requestType: 'access', delivery: 'whatsapp' }, { store: handle });
		expect(access.error).toBeUndefined();
		expect(access.out[0]).toMatchObject({ type: 'access', state: 'completed' });
		const exported = JSON.parse(rig.graph.getMedia(rig.graph.uploads[0].id)!.bytes.toString('utf8')) as { usage: IDataObject };
		expect(exported.usage).toEqual(JSON.parse(JSON.stringify(kept)));

		// no row of the ledger, anyone's, holds anything a customer wrote or was sent
		const raw = await rawRows();
		expect(raw.length).toBeGreaterThan(0);
		for (const row of raw) for (const words of SAID) expect(row.value).not.toContain(words);
		for (const row of raw) expect(row.value).not.toContain(customer);

		// erasure deletes every usage row of the person, on this backend too
		const erased = await store.eraseContact(subject);
		expect(erased).toBeGreaterThanOrEqual(2);
		expect(await rawRows(subject)).toEqual([]);
		expect(await usageOf(store, subject)).toEqual({ turns: [], pricing: [] });
	});

	it('readUsage reads a period of more than 1000 rows page by page, ties included, and nothing outside it', async () => {
		// a day of its own, long ago enough that nothing else is dated in it, recent enough to be kept
		const from = new Date(Date.now() - 200 * DAY_MS);
		const to = new Date(from.getTime() + DAY_MS);
		const entry = (at: Date, i: number): UsageEntry => ({
			at: at.toISOString(),
			contactKey: i % 3 === 0 ? '' : `volume-${backend}-${i % 7}`,
			messageTypes: ['text'],
			messages: 1,
			outcome: i % 5 === 0 ? 'skipped' : 'replied',
			...(i % 5 === 0 ? { reason: 'objected' } : { model: 'gpt-4o-mini', tokens: { prompt: 10, completion: i, cached: 0 } }),
			latencyMs: { total: i },
			sent: i % 5 === 0 ? 0 : 1,
		});
		const puts: Array<() => Promise<void>> = [];
		// 1,250 rows at the very same millisecond (paging must go on by key), 1,000 spread over the day
		for (let i = 0; i < 1250; i++) puts.push(async () => await recordTurn(store, `vol-${backend}-tie-${i}`, entry(new Date(from.getTime() + 1000), i), DEFAULT_USAGE_RETENTION_MS));
		for (let i = 0; i < 1000; i++) puts.push(async () => await recordTurn(store, `vol-${backend}-in-${i}`, entry(new Date(from.getTime() + i * 80_000), i), DEFAULT_USAGE_RETENTION_MS));
		// just outside: the millisecond before `from`, `to` itself and after it
		for (let i = 0; i < 30; i++) puts.push(async () => await recordTurn(store, `vol-${backend}-early-${i}`, entry(new Date(from.getTime() - 1 - i * 1000), i), DEFAULT_USAGE_RETENTION_MS));
		for (let i = 0; i < 30; i++) puts.push(async () => await recordTurn(store, `vol-${backend}-late-${i}`, entry(new Date(to.getTime() + i * 1000), i), DEFAULT_USAGE_RETENTION_MS));
		// pricing rows: 3 inside, 1 outside
		for (let i = 0; i < 4; i++) {
			puts.push(async () => {
				await recordPricing(store, `vol-${backend}-price-${i}`, { at: new Date(i < 3 ? from.getTime() + i : to.getTime()).toISOString(), contactKey: '', category: 'utility', billable: true, pricingModel: 'PMP' }, DEFAULT_USAGE_RETENTION_MS);
			});
		}
		for (let i = 0; i < puts.length; i += 50) await Promise.all(puts.slice(i, i + 50).map(async (put) => await put()));

		const read = await readUsage(store, from, to);
		expect(read.turns).toHaveLength(2250);
		expect(read.pricing).toHaveLength(3);
		const times = read.turns.map((t) => Date.parse(t.at));
		expect(times.every((t) => t >= from.getTime() && t < to.getTime())).toBe(true);
		expect([...times].sort((a, b) => a - b)).toEqual(times);
		expect(read.turns.filter((t) => t.outcome === 'skipped')).toHaveLength(250 + 200);
		expect(read.turns.find((t) => t.outcome === 'replied')).toMatchObject({ model: 'gpt-4o-mini', sent: 1, messages: 1 });
		// the same period cut in two adds up
		const middle = new Date(from.getTime() + 1001);
		const [a, b] = [await readUsage(store, from, middle), await readUsage(store, middle, to)];
		expect(a.turns.length + b.turns.length).toBe(2250);
		expect(a.turns.length).toBe(1250 + 1);
		// an empty or reversed period: nothing
		expect(await readUsage(store, to, from)).toEqual({ turns: [], pricing: [] });
		// a pricing row is written once per key
		expect(await recordPricing(store, `vol-${backend}-price-0`, { at: from.toISOString(), contactKey: '', category: 'marketing', billable: true, pricingModel: 'PMP' }, DEFAULT_USAGE_RETENTION_MS)).toBe(false);
		expect((await store.getRecord<IDataObject>(SCOPES.usagePricing.name, `vol-${backend}-price-0`))!.value.category).toBe('utility');
	});

	it('keeps rows as long as the retention says, and never text in a label', async () => {
		expect(usageRetentionMs(undefined)).toBe(DEFAULT_USAGE_RETENTION_MS);
		expect(usageRetentionMs(0)).toBe(usageRetentionMs(1));
		const at = new Date();
		await recordTurn(
			store,
			`retention-${backend}`,
			{ at: at.toISOString(), contactKey: '', messageTypes: ['text', 'a type with spaces'], messages: 2, outcome: 'skipped', reason: 'some words the customer wrote', latencyMs: { total: 5, send: -3 }, sent: 0 },
			usageRetentionMs(2),
		);
		const record = await store.getRecord<UsageEntry>(SCOPES.usage.name, `retention-${backend}`);
		expect(record!.expiresAt.getTime()).toBe(at.getTime() + usageRetentionMs(2));
		expect(record!.value).toEqual({ at: at.toISOString(), messageTypes: ['text', 'other'], messages: 2, outcome: 'skipped', latencyMs: { total: 5, send: 0 }, sent: 0 });
	});
});

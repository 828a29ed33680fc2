/**
 * The Auto-Reply's guards in n8n-core's engine, on each store backend (SQLite, PostgreSQL): Keyword Rules checked
 * before the model (a fixed reply, or the item routed to the Rule output with nothing sent) and the Allowed /
 * Blocked Contacts lists, compared by pseudonym so items with contact references match the numbers listed.
 * Asserted through the fakes (what reached OpenAI, what was sent to WhatsApp), the outputs and the usage ledger.
 */
import { RIG_START_TIMEOUT_MS, sentTexts, startReplyRig, type ReplyRig, type ReplyRun, type ReplyStoreBackend, type RunOptions } from './reply-harness';

import type { IDataObject } from 'n8n-workflow';

import { msg } from '../../devkit/fakes/webhook-payloads';
import { contactRef } from '../../nodes/shared/contact';
import { canonicalOf } from '../../nodes/shared/store/people';
import type { WhatsAutoStore } from '../../nodes/shared/store';
import { turnItem } from '../../nodes/shared/turns';
import { usageOf } from '../../nodes/shared/usage/ledger';

jest.setTimeout(60_000);

const MODEL_ANSWER = 'A thoughtful answer from the model.';
const HOURS_TEXT = 'We are open Mon-Fri 9:00-18:00.';

type Rule = { match: 'exact' | 'contains' | 'regex'; pattern: string; action?: 'reply' | 'route'; replyText?: string };
const rules = (...list: Rule[]): IDataObject => ({ keywordRules: { rule: list.map((rule) => ({ action: 'reply', replyText: '', ...rule })) } });

let rig: ReplyRig;

beforeAll(async () => {
	rig = await startReplyRig({ ai: { responder: () => MODEL_ANSWER } });
});

afterAll(async () => {
	await rig?.close();
}, 120_000);

describe.each<[ReplyStoreBackend]>([['sqlite'], ['postgres']])('guards on %s', (backend) => {
	let store: WhatsAutoStore;
	let contacts = 0;
	const newContact = () => `3465558${backend === 'sqlite' ? 1 : 2}${String(++contacts).padStart(3, '0')}`;

	beforeAll(async () => {
		await rig.useBackend(backend);
		store = await rig.store();
		expect(store.backend).toBe(backend);
	}, RIG_START_TIMEOUT_MS);

	beforeEach(() => rig.resetFakes());

	const say = async (from: string, text: string, options: IDataObject, run: RunOptions = {}): Promise<ReplyRun> => {
		const result = await rig.runReply(rig.inbound([msg.text(from, text)]), { ...run, options: { ...options, ...run.options } });
		expect(result.error).toBeUndefined();
		return result;
	};
	const subjectOf = async (waId: string): Promise<string> => (await canonicalOf(store, rig.storeKeys(), { waId }))!;

	describe('keyword rules', () => {
		it('an exact rule matches regardless of case, accents, spaces and punctuation: the fixed reply, no model call', async () => {
			const customer = newContact();
			const result = await say(customer, '  Opening Hours! ', rules({ match: 'exact', pattern: 'opening hours', replyText: HOURS_TEXT }));
			expect(result.out).toEqual([expect.objectContaining({ status: 'replied', reason: 'keyword_rule', rule: 1, replies: [HOURS_TEXT] })]);
			expect(sentTexts(rig.graph)).toEqual([HOURS_TEXT]);
			expect(rig.ai.chatRequests).toHaveLength(0);
		});

		it('an exact rule does not match a longer text: the model answers', async () => {
			const result = await say(newContact(), 'what are your opening hours on sunday', rules({ match: 'exact', pattern: 'opening hours', replyText: HOURS_TEXT }));
			expect(result.out[0]).toMatchObject({ status: 'replied' });
			expect(result.out[0].reason).toBeUndefined();
			expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
			expect(rig.ai.chatRequests).toHaveLength(1);
		});

		it('a contains rule matches inside a text, accents ignored', async () => {
			const result = await say(newContact(), '¿Cuál es el HORARIO de la tienda?', rules({ match: 'contains', pattern: 'horário', replyText: HOURS_TEXT }));
			expect(result.out[0]).toMatchObject({ status: 'replied', reason: 'keyword_rule', rule: 1 });
			expect(sentTexts(rig.graph)).toEqual([HOURS_TEXT]);
			expect(rig.ai.chatRequests).toHaveLength(0);
		});

		it('a regex rule matches (case-insensitive, unicode)', async () => {
			const result = await say(newContact(), 'Where is my ORDER #12345?', rules({ match: 'regex', pattern: 'order\\s*#\\d{5}', replyText: 'Tracking is on its way.' }));
			expect(result.out[0]).toMatchObject({ status: 'replied', reason: 'keyword_rule', rule: 1 });
			expect(sentTexts(rig.graph)).toEqual(['Tracking is on its way.']);
			expect(rig.ai.chatRequests).toHaveLength(0);
		});

		it('the first matching rule wins', async () => {
			const options = rules(
				{ match: 'exact', pattern: 'refund', replyText: 'never' },
				{ match: 'contains', pattern: 'price', replyText: 'Prices are on our website.' },
				{ match: 'contains', pattern: 'price list', replyText: 'Too late' },
			);
			const result = await say(newContact(), 'Can I have the price list?', options);
			expect(result.out[0]).toMatchObject({ status: 'replied', reason: 'keyword_rule', rule: 2 });
			expect(sentTexts(rig.graph)).toEqual(['Prices are on our website.']);
		});

		it('a route rule sends nothing: the item leaves on the Rule output, no model call; the usage ledger records it', async () => {
			const customer = newContact();
			const options = { ...rules({ match: 'contains', pattern: 'complaint', action: 'route' }), usageLedger: true };
			const result = await say(customer, 'I have a complaint about my delivery', options);
			expect(result.outputs).toHaveLength(4);
			expect(result.outputs[3]).toEqual([]);
			expect(result.out).toEqual([]);
			expect(result.handoff).toEqual([]);
			expect(result.outputs[2].map((item) => item.json)).toEqual([expect.objectContaining({ status: 'skipped', skipped: true, reason: 'routed_by_rule', rule: 1 })]);
			expect(sentTexts(rig.graph)).toEqual([]);
			expect(rig.ai.chatRequests).toHaveLength(0);
			const { turns } = await usageOf(store, await subjectOf(customer));
			expect(turns).toEqual([expect.objectContaining({ outcome: 'skipped', reason: 'routed_by_rule', sent: 0 })]);
		});

		it('the usage ledger records a keyword reply', async () => {
			const customer = newContact();
			await say(customer, 'opening hours', { ...rules({ match: 'exact', pattern: 'Opening Hours', replyText: HOURS_TEXT }), usageLedger: true });
			const { turns } = await usageOf(store, await subjectOf(customer));
			expect(turns).toEqual([expect.objectContaining({ outcome: 'replied', reason: 'keyword_rule', sent: 1 })]);
		});

		it('a turn of three messages where the second matches: the fixed reply, once, no model call', async () => {
			const customer = newContact();
			const items = rig.inbound([msg.text(customer, 'hello there'), msg.text(customer, 'opening hours?'), msg.text(customer, 'thanks')]);
			const result = await rig.runReply([turnItem(items, customer)], { options: rules({ match: 'exact', pattern: 'opening hours', replyText: HOURS_TEXT }) });
			expect(result.error).toBeUndefined();
			expect(result.out).toEqual([expect.objectContaining({ status: 'replied', reason: 'keyword_rule', rule: 1 })]);
			expect(sentTexts(rig.graph)).toEqual([HOURS_TEXT]);
			expect(rig.ai.chatRequests).toHaveLength(0);
		});

		it('no rule matches: the model answers as before', async () => {
			const result = await say(newContact(), 'Do you sell blue mugs?', rules({ match: 'contains', pattern: 'refund', replyText: 'x' }, { match: 'regex', pattern: '^order', action: 'route' }));
			expect(result.out).toEqual([expect.objectContaining({ status: 'replied' })]);
			expect(result.outputs[2]).toEqual([]);
			expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
			expect(rig.ai.chatRequests).toHaveLength(1);
		});

		it('a bad regex fails the node with the rule number', async () => {
			const result = await rig.runReply(rig.inbound([msg.text(newContact(), 'hello')]), {
				options: rules({ match: 'contains', pattern: 'fine' }, { match: 'regex', pattern: 'order(' }),
			});
			expect(result.error?.message).toMatch(/Keyword rule 2: the regex is not valid/);
			expect(sentTexts(rig.graph)).toEqual([]);
			expect(rig.ai.chatRequests).toHaveLength(0);
		});

		it('a regex over 200 characters fails the node with the rule number', async () => {
			const result = await rig.runReply(rig.inbound([msg.text(newContact(), 'hello')]), { options: rules({ match: 'regex', pattern: 'a'.repeat(201) }) });
			expect(result.error?.message).toMatch(/Keyword rule 1: the regex is longer than 200 characters/);
			expect(sentTexts(rig.graph)).toEqual([]);
		});
	});

	describe('allowed and blocked contacts', () => {
		it('a blocked contact gets nothing (reason blocked_contact), others are answered', async () => {
			const blocked = newContact();
			const other = newContact();
			const options = { denyContacts: `+${blocked}` };
			const result = await say(blocked, 'hello?', options);
			expect(result.out).toEqual([expect.objectContaining({ status: 'skipped', reason: 'blocked_contact' })]);
			expect(sentTexts(rig.graph)).toEqual([]);
			expect(rig.ai.chatRequests).toHaveLength(0);
			const answered = await say(other, 'hello?', options);
			expect(answered.out[0]).toMatchObject({ status: 'replied' });
		});

		it('an allow list without the sender: skipped, reason not_allowed', async () => {
			const result = await say(newContact(), 'hello?', { allowContacts: `+${newContact()},\n+1 650 555 0000` });
			expect(result.out).toEqual([expect.objectContaining({ status: 'skipped', reason: 'not_allowed' })]);
			expect(sentTexts(rig.graph)).toEqual([]);
			expect(rig.ai.chatRequests).toHaveLength(0);
		});

		it('an allow list with the sender: answered', async () => {
			const customer = newContact();
			const result = await say(customer, 'hello?', { allowContacts: `+1 650 555 0000\n+${customer}` });
			expect(result.out).toEqual([expect.objectContaining({ status: 'replied' })]);
			expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
		});

		it('the lists also hold without the store: the number itself is compared', async () => {
			const customer = newContact();
			const run = { credentials: { whatsAutoStoreApi: null } };
			const blocked = await say(customer, 'hello?', { denyContacts: `+${customer}` }, run);
			expect(blocked.out[0]).toMatchObject({ status: 'skipped', reason: 'blocked_contact' });
			const allowed = await say(customer, 'hello again', { allowContacts: `+${customer}` }, run);
			expect(allowed.out[0]).toMatchObject({ status: 'replied' });
			expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
		});

		it('an item with a contact reference (trigger with content by reference) is matched against the number', async () => {
			const customer = newContact();
			const chain = async (options: IDataObject) => {
				const payload = rig.envelopeFor([msg.text(customer, `hello ${options.denyContacts ? 'one' : 'two'}`)]);
				rig.graph.noteInbound(payload);
				const result = await rig.runChain(payload, { options, triggerParameters: { options: { contentByReference: true } } });
				expect(result.error).toBeUndefined();
				return result;
			};
			const ref = contactRef(await subjectOf(customer));
			const blocked = await chain({ denyContacts: `+${customer}` });
			expect(blocked.out).toEqual([expect.objectContaining({ status: 'skipped', reason: 'blocked_contact', to: ref })]);
			expect(sentTexts(rig.graph)).toEqual([]);
			const allowed = await chain({ allowContacts: `+${customer}` });
			expect(allowed.out).toEqual([expect.objectContaining({ status: 'replied', to: ref })]);
			expect(sentTexts(rig.graph)).toEqual([MODEL_ANSWER]);
		});

		it('a blocked contact asking for a person or a reset gets nothing either (no handoff, no pause, no confirmation)', async () => {
			const customer = newContact();
			for (const text of ['human', 'reset']) {
				const result = await say(customer, text, { denyContacts: customer }, { parameters: { conversation: { handoff: true, memoryTurns: 5 } } });
				expect(result.out[0]).toMatchObject({ status: 'skipped', reason: 'blocked_contact' });
				expect(result.handoff).toEqual([]);
			}
			expect(sentTexts(rig.graph)).toEqual([]);
			expect(await store.getRecord('conversation-pause', await subjectOf(customer))).toBeUndefined();
		});

		it('a blocked contact is not answered by a keyword rule either', async () => {
			const customer = newContact();
			const result = await say(customer, 'opening hours', { ...rules({ match: 'exact', pattern: 'opening hours', replyText: HOURS_TEXT }), denyContacts: customer });
			expect(result.out[0]).toMatchObject({ status: 'skipped', reason: 'blocked_contact' });
			expect(sentTexts(rig.graph)).toEqual([]);
		});
	});
});

/**
 * The Auto-Reply's conversation features in n8n-core's engine, on each store backend (SQLite, PostgreSQL): memory
 * of earlier turns (its order in the prompt, its limits, its time-to-live, reset, erasure and the access export),
 * handoff to a person and the pauses that keep the AI quiet (Handoff output, Pause/Resume/Get Status operations,
 * a reply from the WhatsApp Business app), business hours with the away message, and the first-contact AI
 * disclosure. Everything is asserted through the fakes (what reached OpenAI, what was sent to WhatsApp) and the
 * store (its API and its raw tables).
 */
import {
	ACCOUNT,
	sentTexts,
	startReplyRig,
	type ReplyRig,
	type ReplyRun,
	type ReplyStoreBackend,
	type RunOptions,
	type StoreDatabase,
	markers,
	onBackend,
} from './reply-harness';
import { itemsOf, PrivacyRig, type StoreHandle } from './privacy-harness';

import { DateTime } from 'luxon';
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { echo, echoesChange, envelope, msg, type WebhookMessage } from '../../devkit/fakes/webhook-payloads';
import { samplePng, type FakeOpenAi } from '../../devkit/fakes/openai';
import { webhookBytes } from '../../devkit/fakes/meta-json';
import { conversationText } from '../../nodes/shared/conversation/messages';
import { MEMORY_REF_PREFIX } from '../../nodes/shared/conversation/memory';
import { pauseFor, type PauseRecord } from '../../nodes/shared/conversation/pause';
import { privacyMessage } from '../../nodes/shared/privacy/messages';
import { contactRef } from '../../nodes/shared/contact';
import { decrypt } from '../../nodes/shared/crypto';
import { canonicalOf } from '../../nodes/shared/store/people';
import { SCOPES } from '../../nodes/shared/store/scopes';
import type { WhatsAutoStore } from '../../nodes/shared/store';
import { isMessageEcho, parseDelivery } from '../../nodes/shared/whatsapp';
import { HISTORY_LABEL } from '../../nodes/WhatsAutoReply/actions/reply/prompt';

jest.setTimeout(60_000);

const BUSINESS = 'Lucky Shrub';
const HOUR_MS = 60 * 60 * 1000;
const DAY_NAMES = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

type ChatRequest = FakeOpenAi['chatRequests'][number];

/** The roles of a chat request's messages, in order. */
const roles = (request: ChatRequest): string[] => request.messages.map((m) => m.role);
/** The remembered turns of a request: everything between the system message and the current user message. */
const historyOf = (request: ChatRequest) => request.messages.slice(1, -1);
/** Everything a request carries, as one text. */
const allText = (request: ChatRequest): string => request.messages.map((m) => m.text).join('\n');

/** A chat request with memory: system first, then (user, assistant) pairs, then the current user message; nothing stored, no tools. */
function expectConversationShape(request: ChatRequest): void {
	expect(request.body.store).toBe(false);
	for (const key of ['tools', 'tool_choice', 'functions', 'function_call', 'parallel_tool_calls', 'response_format']) expect(request.body).not.toHaveProperty(key);
	const shape = roles(request);
	expect(shape[0]).toBe('system');
	expect(shape.at(-1)).toBe('user');
	expect(shape.length % 2).toBe(0);
	for (let i = 1; i < shape.length - 1; i += 2) expect([shape[i], shape[i + 1]]).toEqual(['user', 'assistant']);
	for (const message of historyOf(request).filter((m) => m.role === 'user')) expect(message.text.startsWith(`${HISTORY_LABEL}\n`)).toBe(true);
	expect(request.remoteUrls).toEqual([]);
}

let answers = 0;
/** The fake model: a different answer each call, so each reply can be told apart in a later prompt. */
const answer = () => `Happy to help, answer number ${++answers} from the shop.`;

/** One rig for both backends: the fakes stay, the store credential moves (reply-harness.ts useBackend). */
let rig: ReplyRig;

beforeAll(async () => {
	rig = await startReplyRig({ ai: { responder: answer } });
});

afterAll(async () => {
	await rig?.close();
}, 120_000);

describe.each<[ReplyStoreBackend]>([['sqlite'], ['postgres']])('conversation on %s', (backend) => {
	let store: WhatsAutoStore;
	let db: StoreDatabase;
	/** What customers (and the people answering) wrote in this block: none of it may reach a log line or an error. */
	const SAID: string[] = [];
	const said = <T extends string>(text: T): T => {
		SAID.push(text);
		return text;
	};
	let contacts = 0;
	/** A customer of the test's own: the store remembers things per person across tests. */
	const newContact = () => `3465550${backend === 'sqlite' ? 1 : 2}${String(++contacts).padStart(3, '0')}`;
	/** A word no other test uses (no digits: nothing for the personal-data masking to touch). */
	const mark = markers(backend);

	onBackend(() => rig, backend, (s, d) => {
		store = s;
		db = d;
	});

	beforeEach(() => {
		rig.resetFakes();
		rig.ai.setResponder(answer);
	});

	afterEach(() => {
		for (const request of rig.ai.chatRequests) expectConversationShape(request);
	});

	// ---------------------------------------------------------------- helpers

	const subjectOf = async (waId: string): Promise<string> => (await canonicalOf(store, rig.storeKeys(), { waId }))!;

	/** The raw `mem:` rows the store's database holds for a person, expired or not. */
	const memoryRows = async (waId: string) =>
		await db.rows<{ ref: string; data: Uint8Array; expires_at: number | string }>(
			"SELECT ref, data, expires_at FROM {content} WHERE contact_key = ? AND ref LIKE 'mem:%' ORDER BY ref",
			await subjectOf(waId),
		);

	/** One customer message (or several, one item each) through Messages → Auto-Reply. */
	const send = async (messages: WebhookMessage[], conversation: INodeParameters, run: RunOptions = {}): Promise<ReplyRun> => {
		const result = await rig.runReply(rig.inbound(messages), { ...run, parameters: { conversation, ...run.parameters } });
		expect(result.error).toBeUndefined();
		return result;
	};
	const say = async (from: string, text: string, conversation: INodeParameters, run?: RunOptions) => await send([msg.text(from, said(text))], conversation, run);

	/** A conversation operation (pause, resume, status) on the items given (the Contact field reads each item's contactKey). */
	const operate = async (operation: 'pause' | 'resume' | 'status', items: INodeExecutionData[], parameters: INodeParameters = {}) => {
		const result = await rig.runReply(items, { parameters: { operation, contact: '={{ $json.contactKey }}', ...parameters } });
		expect(result.error).toBeUndefined();
		expect(result.handoff).toEqual([]);
		return result.out;
	};
	const contactItem = (contact: string) => itemsOf({ contactKey: contact });

	/** No request at all reached the fake Graph API: no message, no read receipt, no typing indicator. */
	const expectNothingSent = () => {
		expect(rig.graph.sent).toEqual([]);
		expect(rig.graph.readReceipts).toEqual([]);
		expect(rig.graph.typingIndicators).toEqual([]);
		expect(rig.graph.requests.filter((r) => r.method !== 'GET')).toEqual([]);
	};

	// ---------------------------------------------------------------- memory

	describe('memory', () => {
		const MEMORY = { memoryTurns: 10 };

		it('puts the earlier turn (what the customer said, the reply sent) after the unchanged system message and before the current message', async () => {
			const customer = newContact();
			const first = `Do you sell the ${mark('fern')} in a clay pot?`;
			const second = `And how tall does the ${mark('palm')} grow?`;
			const one = await say(customer, first, MEMORY);
			expect(one.out[0]).toMatchObject({ status: 'replied' });
			const two = await say(customer, second, MEMORY);
			expect(two.out[0]).toMatchObject({ status: 'replied' });

			const [r1, r2] = rig.ai.chatRequests;
			const [reply1, reply2] = sentTexts(rig.graph);
			expect(roles(r1)).toEqual(['system', 'user']);
			expect(roles(r2)).toEqual(['system', 'user', 'assistant', 'user']);
			// the system message stays first and identical (the provider's prompt cache keeps working)
			expect(r2.messages[0].text).toBe(r1.messages[0].text);
			expect(r2.messages[0].text).not.toContain(first);
			// the earlier turn: the customer's side framed as it was then, then the reply we sent
			expect(r2.messages[1].text).toBe(`${HISTORY_LABEL}\n${r1.messages[1].text}`);
			expect(r2.messages[1].text).toContain(first);
			expect(r2.messages[2].text).toBe(reply1);
			// the current message last, alone
			expect(r2.messages[3].text).toBe(r1.messages[1].text.replace(first, second));
			expect(r2.messages[3].text).not.toContain(first);
			expect(reply2).not.toBe(reply1);
		});

		it('shows only the last turns (Memory Turns 2): the 4th request holds turns 2 and 3, the store keeps 2 rows', async () => {
			const customer = newContact();
			const texts = [`Turn one about the ${mark('cactus')}`, `Turn two about the ${mark('orchid')}`, `Turn three about the ${mark('bonsai')}`, `Turn four about the ${mark('ivy')}`];
			for (const text of texts) await say(customer, text, { memoryTurns: 2 });
			expect(rig.ai.chatRequests).toHaveLength(4);
			const replies = sentTexts(rig.graph);
			const fourth = rig.ai.chatRequests[3];
			expect(roles(fourth)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
			const history = historyOf(fourth);
			expect(history[0].text).toContain(texts[1]);
			expect(history[1].text).toBe(replies[1]);
			expect(history[2].text).toContain(texts[2]);
			expect(history[3].text).toBe(replies[2]);
			expect(allText(fourth)).not.toContain(texts[0]);
			expect(allText(fourth)).not.toContain(replies[0]);
			// the third request had turns 1 and 2
			expect(historyOf(rig.ai.chatRequests[2]).map((m) => m.text)).toEqual([expect.stringContaining(texts[0]), replies[0], expect.stringContaining(texts[1]), replies[1]]);

			// what no prompt can show again is gone from the store: turns 3 and 4 stay
			const rows = await memoryRows(customer);
			expect(rows).toHaveLength(2);
			const listed = (await store.listContent(await subjectOf(customer))).filter((entry) => entry.ref.startsWith(MEMORY_REF_PREFIX));
			expect(listed.map((entry) => entry.ref).sort()).toEqual(rows.map((row) => row.ref).sort());
		});

		it('drops the oldest turn once the history would pass Memory Max Tokens, and keeps no turn that no prompt can show', async () => {
			const customer = newContact();
			// ~250 tokens by the memory's estimate (3 characters a token), over the 200 allowed
			const long = `Long story about my ${mark('garden')}: ${'the hedge grows and the roses bloom and the path winds on. '.repeat(12)}`;
			const shortA = `Short question about the ${mark('tulip')}`;
			const shortB = `Short question about the ${mark('lily')}`;
			const conversation = { memoryTurns: 10, memoryMaxTokens: 200 };
			for (const text of [long, shortA, shortB, `Last question about the ${mark('rose')}`]) await say(customer, text, conversation);
			const replies = sentTexts(rig.graph);
			const fourth = rig.ai.chatRequests[3];
			expect(historyOf(fourth).map((m) => m.text)).toEqual([expect.stringContaining(shortA), replies[1], expect.stringContaining(shortB), replies[2]]);
			expect(allText(fourth)).not.toContain('the hedge grows');
			expect(allText(fourth)).not.toContain(replies[0]);
			// the long turn never fitted again after the next turn: the second request already went without it
			expect(roles(rig.ai.chatRequests[1])).toEqual(['system', 'user']);
			// the same conversation with the default cap keeps it (it is the cap, not the turn count, that dropped it)
			const other = newContact();
			for (const text of [long, shortA]) await say(other, text, { memoryTurns: 10 });
			expect(historyOf(rig.ai.chatRequests[5])[0].text).toContain('the hedge grows');

			// storage limitation: a turn that cannot fit any later prompt is not kept either
			const rows = await memoryRows(customer);
			expect(rows).toHaveLength(3);
		});

		it('remembers a photo as words, never its bytes: the next request carries the caption and a note, no image', async () => {
			const customer = newContact();
			const caption = `This ${mark('planter')} arrived cracked`;
			const image = rig.graph.addMedia({ bytes: samplePng(2, 2), mimeType: 'image/png' });
			await send([msg.image(customer, image, { caption: said(caption) })], MEMORY);
			expect(rig.ai.chatRequests[0].images).toHaveLength(1);
			await say(customer, `Can you replace the ${mark('saucer')} too?`, MEMORY);
			const second = rig.ai.chatRequests[1];
			expect(second.images).toEqual([]);
			expect(historyOf(second)[0].text).toContain(caption);
			expect(historyOf(second)[0].text).toContain('[a photo, shown to the assistant then]');
		});

		it('is stateless without the setting: the second request has no history and nothing is stored', async () => {
			const customer = newContact();
			const first = `Is the ${mark('moss')} pet friendly?`;
			await say(customer, first, {});
			await say(customer, `What about the ${mark('aloe')}?`, {});
			expect(rig.ai.chatRequests.map(roles)).toEqual([
				['system', 'user'],
				['system', 'user'],
			]);
			expect(allText(rig.ai.chatRequests[1])).not.toContain(first);
			expect(await memoryRows(customer)).toEqual([]);
		});

		it('forgets turns past their time-to-live: the next request has none of it, and a purge leaves no row of it', async () => {
			const customer = newContact();
			const conversation = { memoryTurns: 10, memoryHours: 1 };
			const first = `Please remember my ${mark('basil')} order`;
			await say(customer, first, conversation);
			const before = await memoryRows(customer);
			expect(before).toHaveLength(1);
			// the row expires one hour after the turn
			expect(Math.abs(Number(before[0].expires_at) - (Date.now() + HOUR_MS))).toBeLessThan(60_000);

			// an hour and a bit later, by the store's own clock: the expiry moved into the past in the database
			expect(await db.run("UPDATE {content} SET expires_at = ? WHERE contact_key = ? AND ref LIKE 'mem:%'", Date.now() - 1000, await subjectOf(customer))).toBe(1);
			const reply1 = sentTexts(rig.graph)[0];
			await say(customer, `Did you note my ${mark('thyme')} order?`, conversation);
			const second = rig.ai.chatRequests[1];
			expect(roles(second)).toEqual(['system', 'user']);
			expect(allText(second)).not.toContain(first);
			expect(allText(second)).not.toContain(reply1);

			await store.purgeExpired();
			const after = await memoryRows(customer);
			expect(after.map((row) => row.ref)).not.toContain(before[0].ref);
			// only the new turn is left, unexpired
			expect(after).toHaveLength(1);
			expect(Number(after[0].expires_at)).toBeGreaterThan(Date.now());
		});

		it('resets on "reset": the English confirmation, no model call, no memory left, the next request starts fresh', async () => {
			const customer = newContact();
			const first = `My ${mark('lavender')} arrived broken`;
			await say(customer, first, MEMORY);
			expect(await memoryRows(customer)).toHaveLength(1);
			rig.resetFakes();

			const reset = await say(customer, 'reset', MEMORY);
			expect(reset.out[0]).toMatchObject({ status: 'replied', reason: 'memory_reset' });
			expect(sentTexts(rig.graph)).toEqual([conversationText('reset', 'en', { business: BUSINESS })]);
			expect(rig.ai.chatRequests).toEqual([]);
			expect(await memoryRows(customer)).toEqual([]);

			await say(customer, `Can I order a ${mark('sage')} instead?`, MEMORY);
			expect(roles(rig.ai.chatRequests[0])).toEqual(['system', 'user']);
			expect(allText(rig.ai.chatRequests[0])).not.toContain(first);
		});

		it('resets on "empezar de nuevo" with the Spanish confirmation', async () => {
			const customer = newContact();
			await say(customer, `Hola, quiero una maceta para mi ${mark('helecho')}`, MEMORY);
			rig.resetFakes();
			const reset = await say(customer, 'Empezar de nuevo, por favor', MEMORY);
			expect(reset.out[0]).toMatchObject({ status: 'replied', reason: 'memory_reset' });
			expect(sentTexts(rig.graph)).toEqual([conversationText('reset', 'es', { business: BUSINESS })]);
			expect(rig.ai.chatRequests).toEqual([]);
			expect(await memoryRows(customer)).toEqual([]);
		});

		it('is what the access export lists, and what an erasure removes (Privacy node): the next request has no history', async () => {
			const privacy = new PrivacyRig(rig);
			const handle: StoreHandle = privacy.addStore(rig.storeId, rig.storeCredential);
			const customer = newContact();
			const first = `Deliver the ${mark('juniper')} to the back door`;
			const second = `And the ${mark('yucca')} to the front`;
			await say(customer, first, MEMORY);
			await say(customer, second, MEMORY);
			const replies = sentTexts(rig.graph);

			// access: the export (a WhatsApp document) lists both turns, readable
			rig.resetFakes();
			const access = await privacy.runPrivacy(itemsOf({ waId: customer }), { operation: 'execute', requestType: 'access', delivery: 'whatsapp' }, { store: handle });
			expect(access.error).toBeUndefined();
			expect(access.out[0]).toMatchObject({ type: 'access', state: 'completed' });
			expect(rig.graph.uploads).toHaveLength(1);
			const exported = JSON.parse(rig.graph.getMedia(rig.graph.uploads[0].id)!.bytes.toString('utf8')) as { conversationMemory: Array<{ expiresAt: string; content: IDataObject }> };
			const memory = exported.conversationMemory.filter((entry) => entry.content.kind === 'conversation-memory');
			expect(memory).toHaveLength(2);
			const turns = memory.map((entry) => entry.content).sort((a, b) => String(a.at).localeCompare(String(b.at)));
			expect(turns[0]).toMatchObject({ customer: expect.stringContaining(first), reply: replies[0] });
			expect(turns[1]).toMatchObject({ customer: expect.stringContaining(second), reply: replies[1] });
			for (const entry of memory) expect(Date.parse(entry.expiresAt)).toBeGreaterThan(Date.now());
			// the node's output holds none of it
			expect(JSON.stringify(access.outputs)).not.toContain(first);

			// erasure: a web-form request, its code verified
			rig.resetFakes();
			const asked = await privacy.runPrivacy(itemsOf({ phone: `+${customer}` }), { operation: 'execute', requestType: 'delete', channel: 'form' }, { store: handle });
			expect(asked.out[0]).toMatchObject({ type: 'delete', state: 'awaiting_identity' });
			const code = /(?<!\d)(\d{6})(?!\d)/.exec(sentTexts(rig.graph)[0])![1];
			const erased = await privacy.runPrivacy(itemsOf({}), { operation: 'verify', requestId: String(asked.out[0].id), contact: `+${customer}`, code }, { store: handle });
			expect(erased.out[0]).toMatchObject({ verified: true, state: 'completed' });
			expect(sentTexts(rig.graph).at(-1)).toBe(privacyMessage('delete_done', 'en', { requestId: String(asked.out[0].id) }));
			expect(await memoryRows(customer)).toEqual([]);
			expect(await store.listContent(await subjectOf(customer))).toEqual([]);

			rig.resetFakes();
			await say(customer, `Is the ${mark('olive')} tree hardy?`, MEMORY);
			expect(roles(rig.ai.chatRequests[0])).toEqual(['system', 'user']);
			expect(allText(rig.ai.chatRequests[0])).not.toContain(first);
			expect(allText(rig.ai.chatRequests[0])).not.toContain(second);
		});

		it('works on pseudonymous items (trigger with content by reference): memory under the contact reference, no number at OpenAI', async () => {
			const customer = newContact();
			const first = `Chain question about the ${mark('agave')}`;
			const chain = async (text: string) => {
				const payload = rig.envelopeFor([msg.text(customer, said(text))]);
				rig.graph.noteInbound(payload);
				const result = await rig.runChain(payload, { parameters: { conversation: MEMORY }, triggerParameters: { options: { contentByReference: true } } });
				expect(result.error).toBeUndefined();
				expect(result.out[0]).toMatchObject({ status: 'replied', to: contactRef(await subjectOf(customer)) });
				return result;
			};
			await chain(first);
			await chain(`Follow-up about the ${mark('fig')}`);
			const second = rig.ai.chatRequests[1];
			expect(roles(second)).toEqual(['system', 'user', 'assistant', 'user']);
			expect(historyOf(second)[0].text).toContain(first);
			expect(historyOf(second)[1].text).toBe(sentTexts(rig.graph)[0]);
			expect(rig.ai.allReceivedText()).not.toContain(customer);
			expect(await memoryRows(customer)).toHaveLength(2);
		});
	});

	// ---------------------------------------------------------------- handoff and pauses

	describe('handoff', () => {
		const HANDOFF = { handoff: true };

		it('hands over on "human" (Handoff output, no model call), stays silent while paused, answers again after Resume AI', async () => {
			const customer = newContact();
			const [before] = await operate('status', contactItem(customer));
			expect(before).toMatchObject({ contactKey: contactRef(await subjectOf(customer)), aiPaused: false });

			const human = rig.inbound([msg.text(customer, 'human')]);
			const asked = await rig.runReply(human, { parameters: { conversation: HANDOFF } });
			expect(asked.error).toBeUndefined();
			expect(sentTexts(rig.graph)).toEqual([conversationText('handoff', 'en', { business: BUSINESS })]);
			expect(rig.ai.chatRequests).toEqual([]);
			expect(asked.items).toEqual([]);
			expect(asked.handoff).toHaveLength(1);
			const handoffItem = asked.handoff[0];
			expect(handoffItem.json).toMatchObject({ status: 'handoff', reason: 'handoff_requested', handoff: { language: 'en', aiPaused: true, contactKey: customer } });
			expect(handoffItem.pairedItem).toEqual({ item: 0 });

			// the same message again (a retried execution): recorded once, the team is not told twice
			rig.resetFakes();
			const retried = await rig.runReply(human, { parameters: { conversation: HANDOFF } });
			expect(retried.handoff).toEqual([]);
			expect(retried.out[0]).toMatchObject({ status: 'handoff', skipped: true, reason: 'duplicate' });
			expectNothingSent();

			const [paused] = await operate('status', [handoffItem]);
			expect(paused).toMatchObject({ aiPaused: true, reason: 'paused_by_handoff', pausedSince: expect.any(String), pausedUntil: expect.any(String) });
			expect(Date.parse(String(paused.pausedUntil)) - Date.parse(String(paused.pausedSince))).toBe(12 * HOUR_MS);

			// three more messages: nothing at all goes out, each output says why
			rig.resetFakes();
			for (const text of [`Hello? ${mark('anyone')}`, `Still waiting about the ${mark('pot')}`, `Please answer about the ${mark('soil')}`]) {
				const quiet = await say(customer, text, HANDOFF);
				expect(quiet.out[0]).toMatchObject({ status: 'skipped', skipped: true, reason: 'paused_by_handoff', graphMessageIds: [] });
				expect(quiet.handoff).toEqual([]);
			}
			expectNothingSent();
			expect(rig.ai.chatRequests).toEqual([]);

			const [resumed] = await operate('resume', [handoffItem]);
			expect(resumed).toMatchObject({ aiPaused: false, resumed: true });
			expect((await operate('status', [handoffItem]))[0]).toMatchObject({ aiPaused: false });
			expect((await operate('status', [handoffItem]))[0]).not.toHaveProperty('reason');

			const again = await say(customer, `Back to the ${mark('planter')} please`, HANDOFF);
			expect(again.out[0]).toMatchObject({ status: 'replied' });
			expect(rig.ai.chatRequests).toHaveLength(1);
			expect(sentTexts(rig.graph)).toHaveLength(1);
			expect(rig.graph.readReceipts).toHaveLength(1);
		});

		it('hands over pseudonymous items too (trigger with content by reference): the Handoff item names the contact by reference only', async () => {
			const customer = newContact();
			const ref = contactRef(await subjectOf(customer));
			const chain = async (text: string) => {
				const payload = rig.envelopeFor([msg.text(customer, said(text))]);
				rig.graph.noteInbound(payload);
				const result = await rig.runChain(payload, { parameters: { conversation: HANDOFF }, triggerParameters: { options: { contentByReference: true } } });
				expect(result.error).toBeUndefined();
				return result;
			};
			const asked = await chain('talk to someone');
			expect(asked.handoff).toHaveLength(1);
			expect(asked.handoff[0].json).toMatchObject({ status: 'handoff', contactKey: ref, to: ref, handoff: { contactKey: ref, aiPaused: true } });
			expect(JSON.stringify(asked.handoff)).not.toContain(customer);
			expect(sentTexts(rig.graph)).toEqual([conversationText('handoff', 'en', { business: BUSINESS })]);
			expect(rig.graph.sent[0].to).toBe(customer);

			rig.resetFakes();
			expect((await chain(`Hello about the ${mark('rake')}?`)).out[0]).toMatchObject({ status: 'skipped', reason: 'paused_by_handoff', to: ref });
			expectNothingSent();
			const [resumed] = await operate('resume', asked.handoff);
			expect(resumed).toMatchObject({ contactKey: ref, aiPaused: false, resumed: true });
			expect((await chain(`Hello again about the ${mark('spade')}`)).out[0]).toMatchObject({ status: 'replied', to: ref });
			expect(rig.ai.chatRequests).toHaveLength(1);
		});

		it('is a command only when the setting is on, and only as the whole message', async () => {
			const customer = newContact();
			const off = await say(customer, 'human', {});
			expect(off.out[0]).toMatchObject({ status: 'replied' });
			expect(off.handoff).toEqual([]);
			const mention = await say(customer, `Is the ${mark('human')} size pot in stock?`, HANDOFF);
			expect(mention.out[0]).toMatchObject({ status: 'replied' });
			expect(mention.handoff).toEqual([]);
			expect(rig.ai.chatRequests).toHaveLength(2);
			expect((await operate('status', contactItem(customer)))[0]).toMatchObject({ aiPaused: false });
		});

		it('answers in the customer\'s language ("hablar con una persona" → Spanish) and pauses by Pause AI too', async () => {
			const customer = newContact();
			const asked = await say(customer, 'Quiero hablar con una persona', HANDOFF);
			expect(sentTexts(rig.graph)).toEqual([conversationText('handoff', 'es', { business: BUSINESS })]);
			expect(asked.handoff[0].json).toMatchObject({ handoff: { language: 'es' } });
			await operate('resume', contactItem(customer));

			// an operator's pause (e.g. a helpdesk took the ticket): silent with its own reason
			const [paused] = await operate('pause', contactItem(`+${customer}`));
			expect(paused).toMatchObject({ aiPaused: true, reason: 'paused_by_operator' });
			rig.resetFakes();
			const quiet = await say(customer, `¿Tienen la ${mark('maceta')} grande?`, HANDOFF);
			expect(quiet.out[0]).toMatchObject({ status: 'skipped', reason: 'paused_by_operator' });
			expectNothingSent();
			await operate('resume', contactItem(customer));
			expect((await say(customer, `¿Y la ${mark('regadera')}?`, HANDOFF)).out[0]).toMatchObject({ status: 'replied' });
		});
	});

	describe('a person answering from the WhatsApp Business app', () => {
		const ECHO = { pauseOnHumanReply: true };

		/** The trigger's item for a message the business sent from the app (smb_message_echoes). */
		const echoItem = (to: string, text: string): INodeExecutionData[] => {
			const payload = envelope(ACCOUNT, [echoesChange(ACCOUNT, [echo(ACCOUNT, to, said(text))])]);
			const items = parseDelivery(JSON.parse(webhookBytes(payload).toString('utf8'))).filter(isMessageEcho);
			expect(items).toHaveLength(1);
			return items.map((update) => ({ json: JSON.parse(JSON.stringify(update)) as IDataObject }));
		};

		it('pauses the AI for that contact until the people answering have been silent long enough', async () => {
			const customer = newContact();
			const paused = await rig.runReply(echoItem(customer, `Hi, Maria here about your ${mark('order')}`), { parameters: { conversation: ECHO } });
			expect(paused.error).toBeUndefined();
			expect(paused.out[0]).toMatchObject({ kind: 'message_echo', status: 'paused', skipped: true, reason: 'paused_by_human_reply', pausedUntil: expect.any(String) });
			expect(Date.parse(String(paused.out[0].pausedUntil)) - Date.now()).toBeGreaterThan(11.9 * HOUR_MS);
			expectNothingSent();

			const quiet = await say(customer, `Thanks Maria, one more thing about the ${mark('vase')}`, ECHO);
			expect(quiet.out[0]).toMatchObject({ status: 'skipped', reason: 'paused_by_human_reply' });
			expectNothingSent();
			expect(rig.ai.chatRequests).toEqual([]);

			// 13 hours of silence from the people answering: their last word moved back in the store
			const subject = await subjectOf(customer);
			const record = (await store.getRecord<PauseRecord>(SCOPES.conversationPause.name, subject))!;
			expect(record.value).toMatchObject({ reason: 'human_reply' });
			const earlier = new Date(Date.now() - 13 * HOUR_MS).toISOString();
			await store.putRecord({ scope: SCOPES.conversationPause.name, key: subject, contactKey: subject, value: { ...record.value, since: earlier, lastActivity: earlier }, expiresAt: record.expiresAt });

			const answered = await say(customer, `Hello again about the ${mark('urn')}`, ECHO);
			expect(answered.out[0]).toMatchObject({ status: 'replied' });
			expect(sentTexts(rig.graph)).toHaveLength(1);
			// the lapsed pause is gone
			expect(await store.getRecord(SCOPES.conversationPause.name, subject)).toBeUndefined();
		});

		it('restarts the silence with each reply of theirs, and uses the node\'s Pause Ends After Silence', async () => {
			const customer = newContact();
			const conversation = { ...ECHO, pauseSilenceHours: 2 };
			const first = await rig.runReply(echoItem(customer, `First reply from the ${mark('team')}`), { parameters: { conversation } });
			expect(Date.parse(String(first.out[0].pausedUntil)) - Date.now()).toBeLessThanOrEqual(2 * HOUR_MS);
			expect(Date.parse(String(first.out[0].pausedUntil)) - Date.now()).toBeGreaterThan(1.9 * HOUR_MS);
			const subject = await subjectOf(customer);
			const record = (await store.getRecord<PauseRecord>(SCOPES.conversationPause.name, subject))!;
			const earlier = new Date(Date.now() - 3 * HOUR_MS).toISOString();
			await store.putRecord({ scope: SCOPES.conversationPause.name, key: subject, contactKey: subject, value: { ...record.value, lastActivity: earlier }, expiresAt: record.expiresAt });
			// a second reply of theirs: the silence counts from now again
			await rig.runReply(echoItem(customer, `Second reply from the ${mark('team')}`), { parameters: { conversation } });
			const quiet = await say(customer, `Ok about the ${mark('bench')}`, conversation);
			expect(quiet.out[0]).toMatchObject({ status: 'skipped', reason: 'paused_by_human_reply' });
			const [status] = await operate('status', contactItem(customer), { pauseSilenceHours: 2 });
			expect(status).toMatchObject({ aiPaused: true, reason: 'paused_by_human_reply' });
			expect(Date.parse(String(status.lastActivity))).toBeGreaterThan(Date.now() - 60_000);
		});

		it('pauses through the trigger too (Events output, content by reference): the echo names the contact by reference', async () => {
			const customer = newContact();
			const trigger = { events: ['smb_message_echoes'], options: { contentByReference: true } };
			const echoed = await rig.runChain(envelope(ACCOUNT, [echoesChange(ACCOUNT, [echo(ACCOUNT, customer, said(`Maria from the ${mark('shop')} here`))])]), {
				parameters: { conversation: ECHO },
				triggerParameters: trigger,
				connectEvents: true,
			});
			expect(echoed.error).toBeUndefined();
			const ref = contactRef(await subjectOf(customer));
			expect(echoed.out[0]).toMatchObject({ kind: 'message_echo', status: 'paused', reason: 'paused_by_human_reply', to: ref });
			expect(JSON.stringify(echoed.out)).not.toContain(customer);
			expectNothingSent();

			const payload = rig.envelopeFor([msg.text(customer, said(`Thanks Maria, about the ${mark('hose')}`))]);
			rig.graph.noteInbound(payload);
			const quiet = await rig.runChain(payload, { parameters: { conversation: ECHO }, triggerParameters: trigger, connectEvents: true });
			expect(quiet.out[0]).toMatchObject({ status: 'skipped', reason: 'paused_by_human_reply', to: ref });
			expectNothingSent();
			expect(rig.ai.chatRequests).toEqual([]);
		});

		it('lets a person who took over while the model was writing answer instead: the reply is not sent, not remembered', async () => {
			const customer = newContact();
			const subject = await subjectOf(customer);
			// the person answers from the app while the model is still writing
			rig.ai.setResponder(async () => {
				await pauseFor(store, subject, 'human_reply');
				return answer();
			});
			const result = await say(customer, `Quick one about the ${mark('trellis')}`, { ...ECHO, memoryTurns: 10, aiDisclosure: true });
			expect(rig.ai.chatRequests).toHaveLength(1);
			expect(result.out[0]).toMatchObject({ status: 'skipped', reason: 'paused_by_human_reply', graphMessageIds: [] });
			expect(rig.graph.sent).toEqual([]);
			expect(await memoryRows(customer)).toEqual([]);
			expect(await store.getRecord(SCOPES.aiDisclosure.name, subject)).toBeUndefined();
		});

		it('changes nothing without Pause on Human Reply', async () => {
			const customer = newContact();
			const ignored = await rig.runReply(echoItem(customer, `A reply from the ${mark('shop')}`), { parameters: { conversation: {} } });
			expect(ignored.out[0]).toMatchObject({ status: 'skipped', reason: 'not_a_message:message_echo' });
			expect(await store.getRecord(SCOPES.conversationPause.name, await subjectOf(customer))).toBeUndefined();
			expect((await say(customer, `Is the ${mark('lamp')} back?`, {})).out[0]).toMatchObject({ status: 'replied' });
		});
	});

	// ---------------------------------------------------------------- business hours

	describe('business hours', () => {
		/** A zone where it is not close to midnight now, so that "today" stays today while the test runs. */
		const zone = ['Europe/Madrid', 'Asia/Tokyo', 'America/New_York', 'Pacific/Auckland'].find((z) => {
			const hour = DateTime.now().setZone(z).hour;
			return hour >= 1 && hour <= 21;
		})!;
		const today = () => DateTime.now().setZone(zone);
		/** Open one hour on the weekday three days from now: closed today and the next two days. */
		const closedSchedule = () => `${DAY_NAMES[((today().weekday + 2) % 7) + 1]} 09:00-10:00`;
		const AWAY_EN = conversationText('away', 'en', { business: BUSINESS });

		it('stays silent outside hours (holiday today): one away message for three messages, no model call, no read receipt', async () => {
			const customer = newContact();
			const conversation = { businessHours: 'Mon-Sun 00:00-24:00', hoursTimezone: zone, holidays: today().toISODate()!, outsideHours: 'silent' };
			const outs: IDataObject[] = [];
			for (const text of [`Are you open for ${mark('pickup')}?`, `Hello? ${mark('pickup')}`, `Anyone there for ${mark('pickup')}?`]) outs.push((await say(customer, text, conversation)).out[0]);
			expect(sentTexts(rig.graph)).toEqual([AWAY_EN]);
			expect(rig.graph.sent).toHaveLength(1);
			expect(rig.graph.readReceipts).toEqual([]);
			expect(rig.ai.chatRequests).toEqual([]);
			expect(outs.map((out) => [out.status, out.reason])).toEqual([
				['away', 'outside_hours'],
				['skipped', 'outside_hours'],
				['skipped', 'outside_hours'],
			]);
			// another person gets their own away message
			await say(newContact(), `Open today for ${mark('pickup')}?`, conversation);
			expect(sentTexts(rig.graph)).toEqual([AWAY_EN, AWAY_EN]);
		});

		it('answers outside hours when set to: the first reply starts with the away message, the next two do not', async () => {
			const customer = newContact();
			const away = 'We are closed now; a person will read this when we open.';
			const conversation = { businessHours: closedSchedule(), hoursTimezone: zone, outsideHours: 'answer', awayMessage: away };
			for (const text of [`Do you ship ${mark('seeds')}?`, `To Porto, ${mark('seeds')}?`, `Thanks for the ${mark('seeds')}`]) {
				expect((await say(customer, text, conversation)).out[0]).toMatchObject({ status: 'replied' });
			}
			const sent = sentTexts(rig.graph);
			expect(rig.ai.chatRequests).toHaveLength(3);
			expect(sent).toHaveLength(3);
			expect(sent[0].startsWith(`${away}\n\n`)).toBe(true);
			expect(sent[0].slice(away.length + 2)).toMatch(/^Happy to help, answer number \d+ from the shop\.$/);
			expect(sent[1]).not.toContain(away);
			expect(sent[2]).not.toContain(away);
		});

		it('sends no away message while open', async () => {
			const customer = newContact();
			const conversation = { businessHours: 'Mon-Sun 00:00-24:00', hoursTimezone: zone, outsideHours: 'silent' };
			await say(customer, `Do you have ${mark('mulch')}?`, conversation);
			const sent = sentTexts(rig.graph);
			expect(sent).toHaveLength(1);
			expect(sent[0]).toMatch(/^Happy to help, answer number \d+ from the shop\.$/);
			expect(rig.ai.chatRequests).toHaveLength(1);
		});

		it('keeps the away message for the retried execution when the send failed', async () => {
			const customer = newContact();
			const conversation = { businessHours: closedSchedule(), hoursTimezone: zone, outsideHours: 'silent' };
			const items = rig.inbound([msg.text(customer, said(`Open on ${mark('sunday')}?`))]);
			rig.graph.inject({ path: '/messages', when: (r) => r.params.type === 'text', error: 'token_expired' });
			const failed = await rig.runReply(items, { parameters: { conversation } });
			expect(failed.error).toBeDefined();
			expect(rig.graph.sent).toEqual([]);
			// nothing reached the customer: the retry sends the away message, once
			const retried = await rig.runReply(items, { parameters: { conversation } });
			expect(retried.error).toBeUndefined();
			expect(retried.out[0]).toMatchObject({ status: 'away', reason: 'outside_hours' });
			expect(sentTexts(rig.graph)).toEqual([AWAY_EN]);
		});
	});

	// ---------------------------------------------------------------- disclosure

	describe('AI disclosure', () => {
		const DISCLOSE = { aiDisclosure: true };
		const DISCLOSURE_EN = conversationText('disclosure', 'en', { business: BUSINESS });

		it('opens the first reply to each person, once', async () => {
			const [a, b] = [newContact(), newContact()];
			await say(a, `Hi, do you sell ${mark('cacti')}?`, DISCLOSE);
			await say(a, `And ${mark('succulents')}?`, DISCLOSE);
			await say(b, `Hello, any ${mark('ferns')}?`, DISCLOSE);
			const [first, second, other] = sentTexts(rig.graph);
			expect(first.startsWith(`${DISCLOSURE_EN}\n\n`)).toBe(true);
			expect(first.slice(DISCLOSURE_EN.length + 2)).toMatch(/^Happy to help, answer number \d+ from the shop\.$/);
			expect(second).toMatch(/^Happy to help, answer number \d+ from the shop\.$/);
			expect(other.startsWith(`${DISCLOSURE_EN}\n\n`)).toBe(true);
			// the model never sees it as its own words
			for (const request of rig.ai.chatRequests) expect(allText(request)).not.toContain(DISCLOSURE_EN);
			expect((await operate('status', contactItem(a)))[0]).toMatchObject({ aiDisclosed: true });
			expect((await operate('status', contactItem(newContact())))[0]).toMatchObject({ aiDisclosed: false });
		});

		it('speaks the customer\'s language: a Spanish message gets the Spanish notice', async () => {
			const customer = newContact();
			await say(customer, `Hola, ¿tienen macetas de barro para mi ${mark('jardin')}?`, DISCLOSE);
			const [sent] = sentTexts(rig.graph);
			expect(sent.startsWith(`${conversationText('disclosure', 'es', { business: BUSINESS })}\n\n`)).toBe(true);
		});

		it('also opens a direct reply (the welcome message) the first time, and only then', async () => {
			const customer = newContact();
			const welcome = await send([msg.requestWelcome(customer)], DISCLOSE);
			expect(welcome.out[0]).toMatchObject({ status: 'replied', understood: { source: 'welcome' } });
			expect(rig.ai.chatRequests).toEqual([]);
			await say(customer, `Do you have ${mark('compost')}?`, DISCLOSE);
			expect(sentTexts(rig.graph)).toEqual([`${DISCLOSURE_EN}\n\nHi! How can we help you today?`, expect.stringMatching(/^Happy to help, answer number \d+ from the shop\.$/)]);
		});

		it('is not recorded when nothing reached the person', async () => {
			const customer = newContact();
			const items = rig.inbound([msg.text(customer, said(`First contact about ${mark('hedges')}`))]);
			rig.graph.inject({ path: '/messages', when: (r) => r.params.type === 'text', error: 'token_expired' });
			expect((await rig.runReply(items, { parameters: { conversation: DISCLOSE } })).error).toBeDefined();
			expect(await store.getRecord(SCOPES.aiDisclosure.name, await subjectOf(customer))).toBeUndefined();
			await rig.runReply(items, { parameters: { conversation: DISCLOSE } });
			expect(sentTexts(rig.graph)[0].startsWith(`${DISCLOSURE_EN}\n\n`)).toBe(true);
		});
	});

	// ---------------------------------------------------------------- privacy

	describe('privacy', () => {
		it('keeps memory as ciphertext under the pseudonym: no text, no number in the raw row', async () => {
			const customer = newContact();
			const secret = `My ${mark('plaintextmarker')} is at the gate`;
			await say(customer, secret, { memoryTurns: 5 });
			const rows = await memoryRows(customer);
			expect(rows).toHaveLength(1);
			const bytes = Buffer.from(rows[0].data);
			expect(bytes.includes(Buffer.from(secret.split(' ')[1], 'utf8'))).toBe(false);
			expect(bytes.includes(Buffer.from(customer, 'utf8'))).toBe(false);
			expect(rows[0].ref.includes(customer)).toBe(false);
			// the raw bytes do hold the turn, for the store's key only
			const plain = decrypt(rig.storeKeys().contentKey, bytes, rows[0].ref).toString('utf8');
			expect(plain).toContain(secret);
			const all = await db.rows<{ contact_key: string }>("SELECT contact_key FROM {content} WHERE ref LIKE 'mem:%'");
			expect(all.some((row) => row.contact_key.includes(customer))).toBe(false);
		});

		it('leaves no customer text in n8n\'s logs or the executions\' errors', () => {
			expect(SAID.length).toBeGreaterThan(40);
			expect(rig.leaks(SAID)).toEqual([]);
		});
	});
});

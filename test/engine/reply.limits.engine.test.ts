/**
 * The Auto-Reply's Limits in n8n-core's engine, on each store backend (SQLite, PostgreSQL): the per-person reply
 * caps, the loop guard against other bots, the token budgets and the monthly spend cap (the fallback message once,
 * or the cheaper model), and load shedding with the waitlist. Every stop is asserted through what reached the fakes
 * (WhatsApp sends, OpenAI requests and their models), the node's four outputs (the fourth: Flagged) and the store's
 * counters and records, read raw (rig.database()).
 */
import {
	expectNothingFromMetaAtOpenAi,
	expectSafeChatRequests,
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
import { itemsOf } from './privacy-harness';

import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { DateTime } from 'luxon';

import { msg } from '../../devkit/fakes/webhook-payloads';
import { conversationText } from '../../nodes/shared/conversation/messages';
import { isActive, onWaitlist, type WaitlistValue } from '../../nodes/shared/conversation/capacity';
import { canonicalOf } from '../../nodes/shared/store/people';
import { contactRef } from '../../nodes/shared/contact';
import { turnItem } from '../../nodes/shared/turns';
import { SCOPES } from '../../nodes/shared/store/scopes';
import type { WhatsAutoStore } from '../../nodes/shared/store';
import { DEFAULTS } from '../../nodes/WhatsAutoReply/actions/reply/options';

jest.setTimeout(120_000);

const BUSINESS = 'Lucky Shrub';
const DEFAULT_FALLBACK_TEXT = DEFAULTS.fallbackMessage;

let answers = 0;
/** The fake model: a different answer each call (an echo of one can be told apart from the next). */
const answer = () => `Happy to help, this is answer ${'abcdefghijklmnopqrstuvwxyz'[answers % 26]}${'abcdefghijklmnopqrstuvwxyz'[Math.floor(answers++ / 26) % 26]} from the shop.`;
/** The same, with the usage OpenAI reports fixed: 400 prompt tokens (100 of them cached) and 100 completion tokens a call. */
const USAGE = { promptTokens: 400, completionTokens: 100, cachedTokens: 100 };
const answerWithUsage = () => ({ content: answer(), usage: USAGE });

/** One rig for both backends: the fakes stay, the store credential moves (reply-harness.ts useBackend). */
let rig: ReplyRig;

beforeAll(async () => {
	rig = await startReplyRig({ ai: { responder: answer } });
});

afterAll(async () => {
	await rig?.close();
}, 120_000);

/** Waits out the last seconds of a clock hour, so a test counting replies per hour stays within one. */
async function clearOfHourTurn(): Promise<void> {
	const now = new Date();
	const left = 3_600_000 - (now.getTime() % 3_600_000);
	if (left < 45_000) await new Promise((resolve) => setTimeout(resolve, left + 1_000));
}

describe.each<[ReplyStoreBackend]>([['sqlite'], ['postgres']])('limits on %s', (backend) => {
	let store: WhatsAutoStore;
	let db: StoreDatabase;
	/** What customers wrote (and what the echo bot sent back) in this block: none of it may reach a log line or an error. */
	const SAID: string[] = [];
	const said = <T extends string>(text: T): T => {
		SAID.push(text);
		return text;
	};
	let contacts = 0;
	const newContact = () => `3465559${backend === 'sqlite' ? 1 : 2}${String(++contacts).padStart(3, '0')}`;
	/** Words no other test uses (no digits: nothing for the personal-data masking to touch), for the raw-row checks. */
	const MARKS: string[] = [];
	const newMark = markers(backend);
	const mark = (word: string) => {
		const made = newMark(word);
		MARKS.push(made);
		return made;
	};

	onBackend(() => rig, backend, (s, d) => {
		store = s;
		db = d;
	});

	beforeEach(() => {
		rig.resetFakes();
		rig.ai.setResponder(answer);
	});

	afterEach(() => {
		expectSafeChatRequests(rig.ai);
		expectNothingFromMetaAtOpenAi(rig);
	});

	// ---------------------------------------------------------------- helpers

	const subjectOf = async (waId: string): Promise<string> => (await canonicalOf(store, rig.storeKeys(), { waId }))!;

	/** One customer message through Messages → Auto-Reply with these Limits (a node parameter next to `options`). */
	const say = async (from: string, text: string, limits: INodeParameters, run: RunOptions = {}): Promise<ReplyRun> => {
		const result = await rig.runReply(rig.inbound([msg.text(from, said(text))]), { ...run, parameters: { ...run.parameters, limits } });
		expect(result.error).toBeUndefined();
		return result;
	};

	/** The one item a run put out, and on which output: 0 Replies, 1 Handoff, 2 Rule, 3 Flagged. */
	const outcome = (result: ReplyRun): { output: number; json: IDataObject } => {
		expect(result.outputs).toHaveLength(4);
		expect(result.outputs.flat()).toHaveLength(1);
		const output = result.outputs.findIndex((items) => items.length > 0);
		return { output, json: result.outputs[output][0].json };
	};

	/** A counter's value, read raw: the one counter of `scope` about this person (or with no person: `''`). */
	const counter = async (scope: string, contactKey: string): Promise<number> => {
		const rows = await db.rows<{ value: number | string }>('SELECT value FROM {counters} WHERE scope = ? AND contact_key = ?', scope, contactKey);
		expect(rows.length).toBeLessThanOrEqual(1);
		return rows.length ? Number(rows[0].value) : 0;
	};

	/** Resume AI for a number (the Contact field reads each item's contactKey). */
	const resumeAi = async (customer: string): Promise<IDataObject> => {
		const result = await rig.runReply(itemsOf({ contactKey: customer }), { parameters: { operation: 'resume', contact: '={{ $json.contactKey }}' } });
		expect(result.error).toBeUndefined();
		return result.out[0];
	};

	const expectNothingSent = () => {
		expect(rig.graph.sent).toEqual([]);
		expect(rig.graph.readReceipts).toEqual([]);
	};

	// ---------------------------------------------------------------- caps

	describe('Replies per Hour', () => {
		const CAP = { repliesPerHour: 2 };

		it('answers two turns, skips the third on the Flagged output and the fourth without a flag', async () => {
			await clearOfHourTurn();
			const customer = newContact();
			const first = outcome(await say(customer, `Do you sell ${mark('ferns')}?`, CAP));
			const second = outcome(await say(customer, `And ${mark('cacti')}?`, CAP));
			expect([first, second]).toEqual([
				{ output: 0, json: expect.objectContaining({ status: 'replied' }) },
				{ output: 0, json: expect.objectContaining({ status: 'replied' }) },
			]);

			const third = outcome(await say(customer, `What about ${mark('orchids')}?`, CAP));
			expect(third.output).toBe(3);
			expect(third.json).toMatchObject({
				status: 'skipped',
				skipped: true,
				reason: 'replies_per_hour',
				graphMessageIds: [],
				contactKey: customer,
				// the clock hour in the workflow's time zone (n8n's default, America/New_York, when the workflow sets none)
				flagged: { guard: 'replies_per_hour', period: DateTime.now().setZone('America/New_York').toFormat("yyyy-LL-dd'T'HH") },
			});

			const fourth = outcome(await say(customer, `Hello? ${mark('anyone')}`, CAP));
			expect(fourth.output).toBe(0);
			expect(fourth.json).toMatchObject({ status: 'skipped', reason: 'replies_per_hour', graphMessageIds: [] });
			expect(fourth.json).not.toHaveProperty('flagged');

			expect(sentTexts(rig.graph)).toHaveLength(2);
			expect(rig.ai.chatRequests).toHaveLength(2);
			expect(rig.graph.readReceipts).toHaveLength(2);
			expect(await counter(SCOPES.repliesContactHour.name, await subjectOf(customer))).toBe(2);

			// another person has caps of their own
			expect(outcome(await say(newContact(), `Do you sell ${mark('ivy')}?`, CAP)).json).toMatchObject({ status: 'replied' });
		});

		it('gives the place back when a turn sent nothing (Send Reply off, a rule routing the item)', async () => {
			await clearOfHourTurn();
			const customer = newContact();
			const quiet = outcome(await say(customer, `Price of ${mark('moss')}?`, CAP, { parameters: { sendReply: false } }));
			expect(quiet).toMatchObject({ output: 0, json: { status: 'output_only' } });
			const route = { keywordRules: { rule: [{ match: 'contains', pattern: 'refund', action: 'route', replyText: '' }] } };
			const routed = outcome(await say(customer, `I want a refund for the ${mark('hose')}`, CAP, { options: route }));
			expect(routed).toMatchObject({ output: 2, json: { status: 'skipped', reason: 'routed_by_rule' } });
			expect(await counter(SCOPES.repliesContactHour.name, await subjectOf(customer))).toBe(0);
			expectNothingSent();

			for (const word of ['tulips', 'roses']) expect(outcome(await say(customer, `Any ${mark(word)}?`, CAP)).json).toMatchObject({ status: 'replied' });
			expect(outcome(await say(customer, `Any ${mark('lilies')}?`, CAP)).json).toMatchObject({ reason: 'replies_per_hour' });
			expect(sentTexts(rig.graph)).toHaveLength(2);
		});

		it('flags pseudonymous items (trigger with content by reference) by contact reference only', async () => {
			await clearOfHourTurn();
			const customer = newContact();
			const ref = contactRef(await subjectOf(customer));
			const chain = async (text: string) => {
				const payload = rig.envelopeFor([msg.text(customer, said(text))]);
				rig.graph.noteInbound(payload);
				const result = await rig.runChain(payload, { parameters: { limits: { repliesPerHour: 1 } }, triggerParameters: { options: { contentByReference: true } } });
				expect(result.error).toBeUndefined();
				return outcome(result);
			};
			expect((await chain(`Any ${mark('heather')}?`)).json).toMatchObject({ status: 'replied', to: ref });
			const flagged = await chain(`Any ${mark('lavender')}?`);
			expect(flagged).toMatchObject({ output: 3, json: { reason: 'replies_per_hour', contactKey: ref, to: ref, flagged: { guard: 'replies_per_hour' } } });
			expect(JSON.stringify(flagged.json)).not.toContain(customer);
			expect(rig.graph.sent.map((sent) => sent.to)).toEqual([customer]);
		});

		it('counts Replies per Day next to it, the first cap reached named', async () => {
			await clearOfHourTurn();
			const customer = newContact();
			const caps = { repliesPerHour: 5, repliesPerDay: 1 };
			expect(outcome(await say(customer, `Any ${mark('bulbs')}?`, caps)).json).toMatchObject({ status: 'replied' });
			const over = outcome(await say(customer, `Any ${mark('seeds')}?`, caps));
			expect(over).toMatchObject({ output: 3, json: { reason: 'replies_per_day', flagged: { guard: 'replies_per_day', period: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) } } });
			// the hour's place taken for the refused turn was given back
			expect(await counter(SCOPES.repliesContactHour.name, await subjectOf(customer))).toBe(1);
			expect(await counter(SCOPES.repliesContactDay.name, await subjectOf(customer))).toBe(1);
		});
	});

	// ---------------------------------------------------------------- loop guard

	describe('loop guard', () => {
		const LOOP = { loopGuard: true, loopStopAfter: 3, loopRepeats: 3 };

		it('stops an echo bot after at most three replies, flags it once, stays silent until Resume AI', async () => {
			const customer = newContact();
			let next = `Hello, do you deliver ${mark('mulch')} on weekends?`;
			const turns: Array<{ output: number; json: IDataObject }> = [];
			for (let turn = 0; turn < 8; turn++) {
				turns.push(outcome(await say(customer, next, LOOP)));
				// the other bot sends back, word for word, the last thing we sent
				next = sentTexts(rig.graph).at(-1) ?? next;
			}
			const sent = sentTexts(rig.graph);
			expect(sent.length).toBeGreaterThanOrEqual(1);
			expect(sent.length).toBeLessThanOrEqual(3);
			expect(rig.ai.chatRequests).toHaveLength(sent.length);

			const flagged = turns.filter((t) => t.output === 3);
			expect(flagged).toHaveLength(1);
			expect(flagged[0].json).toMatchObject({
				status: 'skipped',
				reason: 'loop_detected',
				graphMessageIds: [],
				contactKey: customer,
				flagged: { guard: 'loop_guard', signs: expect.arrayContaining(['echo']), strikes: 3 },
			});
			const stoppedAt = turns.indexOf(flagged[0]);
			expect(stoppedAt).toBe(sent.length);
			for (const later of turns.slice(stoppedAt + 1)) expect(later).toMatchObject({ output: 0, json: { status: 'skipped', reason: 'paused_by_loop_guard' } });
			expect(await store.getRecord(SCOPES.conversationPause.name, await subjectOf(customer))).toMatchObject({ value: { reason: 'loop' } });

			expect(await resumeAi(customer)).toMatchObject({ aiPaused: false, resumed: true });
			rig.resetFakes();
			const back = outcome(await say(customer, `Sorry about that, is the ${mark('nursery')} open today?`, LOOP));
			expect(back).toMatchObject({ output: 0, json: { status: 'replied' } });
			expect(sentTexts(rig.graph)).toHaveLength(1);
		});

		it('stops a fixed auto-responder (the same text each time) after at most repeats - 1 + stopAfter turns', async () => {
			const customer = newContact();
			const AUTO = 'Thank you for your message! Our office is closed, we will answer as soon as possible.';
			const turns: Array<{ output: number; json: IDataObject }> = [];
			for (let turn = 0; turn < 8; turn++) turns.push(outcome(await say(customer, AUTO, LOOP)));
			const stoppedAt = turns.findIndex((t) => t.output === 3);
			expect(stoppedAt).toBeGreaterThanOrEqual(0);
			expect(stoppedAt + 1).toBeLessThanOrEqual(LOOP.loopRepeats - 1 + LOOP.loopStopAfter);
			expect(turns[stoppedAt].json).toMatchObject({ reason: 'loop_detected', flagged: { guard: 'loop_guard', signs: expect.arrayContaining(['repeat']) } });
			expect(turns.filter((t) => t.output === 3)).toHaveLength(1);
			expect(sentTexts(rig.graph)).toHaveLength(stoppedAt);
			for (const later of turns.slice(stoppedAt + 1)) expect(later.json).toMatchObject({ reason: 'paused_by_loop_guard' });
		});

		it('counts each message of a merged turn for the pace: more than the limit a minute, turns in a row, stops', async () => {
			const customer = newContact();
			const pace = { loopGuard: true, loopStopAfter: 2, loopMaxMessagesPerMinute: 5 };
			const burst = async (words: string[]) => {
				const items = rig.inbound(words.map((word) => msg.text(customer, said(`Do you have ${mark(word)}?`))));
				const result = await rig.runReply([turnItem(items, customer)], { parameters: { limits: pace } });
				expect(result.error).toBeUndefined();
				return outcome(result);
			};
			// 4 messages in the minute: fine; then 3 more (7 > 5): suspicious, still answered; then 1 more (8): stopped
			expect(await burst(['basil', 'thyme', 'sage', 'mint'])).toMatchObject({ output: 0, json: { status: 'replied' } });
			expect(await burst(['dill', 'chives', 'parsley'])).toMatchObject({ output: 0, json: { status: 'replied' } });
			const stopped = await burst(['oregano']);
			expect(stopped).toMatchObject({ output: 3, json: { reason: 'loop_detected', flagged: { guard: 'loop_guard', signs: ['pace'], strikes: 2 } } });
			expect(sentTexts(rig.graph)).toHaveLength(2);
			await resumeAi(customer);
		});

		it('never flags a person writing six different messages', async () => {
			const customer = newContact();
			const words = ['hedge', 'lawn', 'patio', 'pond', 'gravel', 'shed'];
			for (const [index, word] of words.entries()) {
				const result = outcome(await say(customer, `Question ${'abcdef'[index]}: how much is a ${mark(word)}?`, LOOP));
				expect(result).toMatchObject({ output: 0, json: { status: 'replied' } });
				expect(result.json).not.toHaveProperty('flagged');
			}
			expect(sentTexts(rig.graph)).toHaveLength(6);
			const record = await store.getRecord<{ strikes: number }>(SCOPES.loopGuard.name, await subjectOf(customer));
			expect(record?.value.strikes).toBe(0);
		});

		it('is off unless added: an echo bot keeps being answered', async () => {
			const customer = newContact();
			let next = `Hi, any ${mark('compost')}?`;
			for (let turn = 0; turn < 5; turn++) {
				expect(outcome(await say(customer, next, {})).json).toMatchObject({ status: 'replied' });
				next = sentTexts(rig.graph).at(-1)!;
			}
			expect(await store.getRecord(SCOPES.loopGuard.name, await subjectOf(customer))).toBeUndefined();
		});
	});

	// ---------------------------------------------------------------- budgets

	describe('Contact Tokens per Day', () => {
		const CALL_TOKENS = USAGE.promptTokens + USAGE.completionTokens;

		beforeEach(() => rig.ai.setResponder(answerWithUsage));

		it('stops calling the model once the budget is reached: the fallback message once, then silence; Flagged once; others unaffected', async () => {
			const customer = newContact();
			const LIMITS = { contactTokensPerDay: 1200, whenBudgetReached: 'fallback' };
			const turns: Array<{ output: number; json: IDataObject }> = [];
			for (let turn = 0; turn < 6; turn++) turns.push(outcome(await say(customer, `Question about the ${mark('trellis')}`, LIMITS)));
			// 0 → 500 → 1000 → 1500: three calls were admitted below 1200, none after
			expect(rig.ai.chatRequests).toHaveLength(3);
			const used = await counter(SCOPES.tokensContactDay.name, await subjectOf(customer));
			expect(used).toBe(3 * CALL_TOKENS);
			expect(used).toBeGreaterThanOrEqual(1200);
			expect(used - CALL_TOKENS).toBeLessThan(1200);

			expect(turns.slice(0, 3).map((t) => [t.output, t.json.status])).toEqual([
				[0, 'replied'],
				[0, 'replied'],
				[0, 'replied'],
			]);
			expect(turns[3]).toMatchObject({
				output: 3,
				json: { status: 'fallback', reason: 'contact_tokens_day', budget: 'contact_tokens_day', flagged: { guard: 'contact_tokens_day', period: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) } },
			});
			for (const later of turns.slice(4)) {
				expect(later).toMatchObject({ output: 0, json: { status: 'skipped', reason: 'contact_tokens_day', graphMessageIds: [] } });
				expect(later.json).not.toHaveProperty('flagged');
			}
			const sent = sentTexts(rig.graph);
			expect(sent).toHaveLength(4);
			expect(sent[3]).toBe(DEFAULT_FALLBACK_TEXT);

			// a second person has a budget of their own
			const other = newContact();
			expect(outcome(await say(other, `Question about the ${mark('arbor')}`, LIMITS))).toMatchObject({ output: 0, json: { status: 'replied' } });
			expect(rig.ai.chatRequests).toHaveLength(4);
			expect(await counter(SCOPES.tokensContactDay.name, await subjectOf(other))).toBe(CALL_TOKENS);
		});

		it('answers with the cheaper model once the budget is reached (When a Budget Is Reached: cheaper model)', async () => {
			const customer = newContact();
			const LIMITS = { contactTokensPerDay: 1200, whenBudgetReached: 'cheaperModel' };
			const turns: Array<{ output: number; json: IDataObject }> = [];
			for (let turn = 0; turn < 5; turn++) turns.push(outcome(await say(customer, `Question about the ${mark('planter')}`, LIMITS)));
			expect(rig.ai.chatRequests.map((r) => r.model)).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o', 'gpt-4o-mini', 'gpt-4o-mini']);
			expect(turns.map((t) => t.json.status)).toEqual(['replied', 'replied', 'replied', 'replied', 'replied']);
			expect(sentTexts(rig.graph)).toHaveLength(5);
			expect(sentTexts(rig.graph)).not.toContain(DEFAULT_FALLBACK_TEXT);
			expect(turns.map((t) => t.output)).toEqual([0, 0, 0, 3, 0]);
			expect(turns[3].json).toMatchObject({ budget: 'contact_tokens_day', flagged: { guard: 'contact_tokens_day' } });
			expect(turns[4].json).toMatchObject({ budget: 'contact_tokens_day' });
			// what the cheaper model used is counted too
			expect(await counter(SCOPES.tokensContactDay.name, await subjectOf(customer))).toBe(5 * CALL_TOKENS);
		});
	});

	describe('a failed model call', () => {
		it('gives its reservation back: the budget counts only what OpenAI reported', async () => {
			rig.ai.setResponder(answerWithUsage);
			const customer = newContact();
			const LIMITS = { contactTokensPerDay: 1200 };
			rig.ai.inject({ path: '/chat/completions', error: 'context_length' });
			const failed = outcome(await say(customer, `Question about the ${mark('sprinkler')}`, LIMITS));
			expect(failed.json).toMatchObject({ status: 'fallback', reason: 'model_failed' });
			expect(await counter(SCOPES.tokensContactDay.name, await subjectOf(customer))).toBe(0);
			expect(outcome(await say(customer, `Question about the ${mark('nozzle')}`, LIMITS)).json).toMatchObject({ status: 'replied' });
			expect(await counter(SCOPES.tokensContactDay.name, await subjectOf(customer))).toBe(USAGE.promptTokens + USAGE.completionTokens);
		});
	});

	describe('Monthly Spend Cap', () => {
		/** Prices high enough for a few calls to reach a cap of cents: USD per million tokens. */
		const PRICES = { 'gpt-4o': { inputPerMillion: 25, cachedInputPerMillion: 12.5, outputPerMillion: 100 } };
		/** Millionths of a dollar a call costs, by hand: 300 uncached × 25 + 100 cached × 12.5 + 100 completion × 100. */
		const CALL_MICRO_USD = 300 * 25 + 100 * 12.5 + 100 * 100;
		const LIMITS = { monthlySpendUsd: 0.05, budgetPriceTable: JSON.stringify(PRICES), whenBudgetReached: 'fallback' };

		beforeEach(() => rig.ai.setResponder(answerWithUsage));

		it('stops at the cap for everyone: the fallback message once per person, then silence, Flagged once for the account', async () => {
			// the spend is the account's: start this backend's month afresh (counter and notices)
			await db.run('DELETE FROM {counters} WHERE scope = ?', SCOPES.spendMonth.name);
			await db.run('DELETE FROM {claims} WHERE scope = ?', SCOPES.guardNotice.name);
			const a = newContact();
			const b = newContact();
			const run = { parameters: { model: 'gpt-4o' } };
			const turn = async (who: string, word: string) => outcome(await say(who, `Question about the ${mark(word)}`, LIMITS, run));

			const admitted = [await turn(a, 'rake'), await turn(a, 'hoe'), await turn(b, 'spade')];
			expect(admitted.map((t) => [t.output, t.json.status])).toEqual([
				[0, 'replied'],
				[0, 'replied'],
				[0, 'replied'],
			]);
			expect(rig.ai.chatRequests).toHaveLength(3);
			// the counter holds exactly the price of the tokens the fake reported (0 → 18,750 → 37,500 → 56,250 ≥ 50,000)
			const reported = rig.ai.chatRequests.map((r) => r.usage!);
			const byHand = reported.reduce(
				(sum, u) => sum + (u.prompt_tokens - u.prompt_tokens_details.cached_tokens) * 25 + u.prompt_tokens_details.cached_tokens * 12.5 + u.completion_tokens * 100,
				0,
			);
			expect(byHand).toBe(3 * CALL_MICRO_USD);
			expect(await counter(SCOPES.spendMonth.name, '')).toBe(byHand);

			const aOver = await turn(a, 'sickle');
			expect(aOver).toMatchObject({
				output: 3,
				json: { status: 'fallback', reason: 'monthly_spend', flagged: { guard: 'monthly_spend', period: expect.stringMatching(/^\d{4}-\d\d$/) } },
			});
			expect((await turn(a, 'shears')).json).toMatchObject({ status: 'skipped', reason: 'monthly_spend' });
			// b is told once too, but the account was flagged already
			const bOver = await turn(b, 'trowel');
			expect(bOver).toMatchObject({ output: 0, json: { status: 'fallback', reason: 'monthly_spend' } });
			expect((await turn(b, 'pruner')).json).toMatchObject({ status: 'skipped', reason: 'monthly_spend', graphMessageIds: [] });
			expect(rig.ai.chatRequests).toHaveLength(3);
			expect(sentTexts(rig.graph).filter((t) => t === DEFAULT_FALLBACK_TEXT)).toHaveLength(2);
			expect(rig.graph.sent.map((s) => s.to)).toEqual([a, a, b, a, b]);
			expect(await counter(SCOPES.spendMonth.name, '')).toBe(byHand);
		});

		// The notices are claims of SCOPES.guardNotice: a month's must outlive the month (they once lived 2 days, and a capped
		// person got the fallback again every 2 days).
		it('tells a person once per month, not again once two days have passed', async () => {
			await db.run('DELETE FROM {counters} WHERE scope = ?', SCOPES.spendMonth.name);
			await db.run('DELETE FROM {claims} WHERE scope = ?', SCOPES.guardNotice.name);
			const customer = newContact();
			const capped = { ...LIMITS, monthlySpendUsd: 0.01 };
			const turn = async (word: string) => outcome(await say(customer, `Question about the ${mark(word)}`, capped, { parameters: { model: 'gpt-4o' } }));
			expect((await turn('ladder')).json).toMatchObject({ status: 'replied' });
			expect(await turn('bucket')).toMatchObject({ output: 3, json: { status: 'fallback', reason: 'monthly_spend' } });
			// the notices hold for the rest of the month at least (a month is at most 31 days; a day is left from today)
			const notices = await db.rows<{ expires_at: number | string }>('SELECT expires_at FROM {claims} WHERE scope = ?', SCOPES.guardNotice.name);
			expect(notices.length).toBeGreaterThan(0);
			for (const notice of notices) expect(Number(notice.expires_at)).toBeGreaterThan(Date.now() + 30 * 24 * 3_600_000);
			rig.resetFakes();
			const later = await turn('basket');
			expect(later).toMatchObject({ output: 0, json: { status: 'skipped', reason: 'monthly_spend' } });
			expect(rig.graph.sent).toEqual([]);
		});

		it('fails naming the Budget Price Table when the model has no price in it', async () => {
			const customer = newContact();
			const unpriced = { ...LIMITS, budgetPriceTable: JSON.stringify({ 'gpt-4o-mini': PRICES['gpt-4o'] }) };
			const items = rig.inbound([msg.text(customer, said(`Question about the ${mark('wheelbarrow')}`))]);
			const failed = await rig.runReply(items, { parameters: { model: 'gpt-4o', limits: unpriced } });
			expect(failed.error?.message).toMatch(/Budget Price Table/);
			expect(failed.error?.message).toContain('gpt-4o');
			expect(rig.ai.chatRequests).toEqual([]);
			expect(rig.graph.sent).toEqual([]);

			const carriedOn = await rig.runReply(items, { parameters: { model: 'gpt-4o', limits: unpriced }, continueOnFail: true });
			expect(carriedOn.error).toBeUndefined();
			expect(carriedOn.out).toEqual([expect.objectContaining({ error: expect.stringMatching(/Budget Price Table/) })]);
			expect(rig.graph.sent).toEqual([]);
		});
	});

	// ---------------------------------------------------------------- load shedding

	describe('load shedding', () => {
		const LIMITS = { maxActiveConversations: 1 };

		it('turns a new person away at capacity (the message once, in their language), keeps the active one going, lets them in once there is room', async () => {
			// active conversations and the waitlist are the account's: start this backend's afresh
			await db.run('DELETE FROM {records} WHERE scope IN (?, ?)', SCOPES.activeConversation.name, SCOPES.waitlist.name);
			const a = newContact();
			const b = newContact();
			const c = newContact();
			expect(outcome(await say(a, `Hello, I need help with my ${mark('order')}`, LIMITS)).json).toMatchObject({ status: 'replied' });
			const subjectA = await subjectOf(a);
			expect(await isActive(store, subjectA)).toBe(true);

			rig.resetFakes();
			const turnedAway = outcome(await say(b, `Hola, ¿tienen macetas de barro grandes para el ${mark('jardin')}?`, LIMITS));
			expect(turnedAway).toMatchObject({ output: 0, json: { status: 'waitlisted', reason: 'at_capacity' } });
			expect(sentTexts(rig.graph)).toEqual([conversationText('capacity', 'es', { business: BUSINESS })]);
			expect(rig.graph.sent[0].to).toBe(b);
			expect(rig.ai.chatRequests).toEqual([]);
			const subjectB = await subjectOf(b);
			expect(await onWaitlist(store, subjectB)).toBe(true);
			const waiting = await store.listRecords<WaitlistValue>(SCOPES.waitlist.name);
			expect(waiting.map((r) => r.key)).toEqual([subjectB]);
			expect(waiting[0].value).toMatchObject({ language: 'es', addedAt: expect.any(String), lastMessageAt: expect.any(String) });
			expect(JSON.stringify(waiting[0])).not.toContain(b);

			rig.resetFakes();
			const again = outcome(await say(b, `¿Hola? ¿Siguen ahí? ${mark('maceta')}`, LIMITS));
			expect(again.json).toMatchObject({ status: 'waitlisted', reason: 'at_capacity', graphMessageIds: [] });
			expectNothingSent();
			expect(rig.ai.chatRequests).toEqual([]);

			// the conversation under way goes on
			expect(outcome(await say(a, `Thanks, and the ${mark('delivery')} date?`, LIMITS)).json).toMatchObject({ status: 'replied' });
			expect(rig.ai.chatRequests).toHaveLength(1);

			// a's conversation is no longer active (its window passed): room for b
			expect(await db.run('UPDATE {records} SET expires_at = ? WHERE scope = ? AND key = ?', Date.now() - 1_000, SCOPES.activeConversation.name, subjectA)).toBe(1);
			rig.resetFakes();
			expect(outcome(await say(b, `Hola otra vez, ¿y las ${mark('semillas')}?`, LIMITS)).json).toMatchObject({ status: 'replied' });
			expect(rig.ai.chatRequests).toHaveLength(1);
			expect(await onWaitlist(store, subjectB)).toBe(false);
			expect(await isActive(store, subjectB)).toBe(true);

			// now b holds the only place: a new person in English is turned away in English
			rig.resetFakes();
			expect(outcome(await say(c, `Good morning, do you sell ${mark('fertiliser')}?`, LIMITS)).json).toMatchObject({ status: 'waitlisted' });
			expect(sentTexts(rig.graph)).toEqual([conversationText('capacity', 'en', { business: BUSINESS })]);
		});

		it('turns new people away while Account Tokens per Day is used up (Shed Load When Account Budget Is Used Up)', async () => {
			await db.run('DELETE FROM {records} WHERE scope IN (?, ?)', SCOPES.activeConversation.name, SCOPES.waitlist.name);
			await db.run('DELETE FROM {counters} WHERE scope = ?', SCOPES.tokensAccountDay.name);
			await db.run('DELETE FROM {claims} WHERE scope = ?', SCOPES.guardNotice.name);
			rig.ai.setResponder(answerWithUsage);
			const limits = { accountTokensPerDay: 1000, shedOnAccountBudget: true, whenBudgetReached: 'fallback' };
			const a = newContact();
			const b = newContact();
			for (const word of ['bench', 'swing']) expect(outcome(await say(a, `About the ${mark(word)}`, limits)).json).toMatchObject({ status: 'replied' });
			expect(await counter(SCOPES.tokensAccountDay.name, '')).toBe(1000);

			const away = outcome(await say(b, `About the ${mark('gazebo')}`, limits));
			expect(away.json).toMatchObject({ status: 'waitlisted', reason: 'at_capacity' });
			expect(sentTexts(rig.graph).at(-1)).toBe(conversationText('capacity', 'en', { business: BUSINESS }));
			expect(await onWaitlist(store, await subjectOf(b))).toBe(true);

			// a's conversation is under way: not turned away, but the budget holds: the fallback message, flagged for the account
			const over = outcome(await say(a, `About the ${mark('hammock')}`, limits));
			expect(over).toMatchObject({ output: 3, json: { status: 'fallback', reason: 'account_tokens_day', flagged: { guard: 'account_tokens_day' } } });
			expect(outcome(await say(a, `About the ${mark('lantern')}`, limits))).toMatchObject({ output: 0, json: { status: 'skipped', reason: 'account_tokens_day' } });
			expect(rig.ai.chatRequests).toHaveLength(2);
		});

		it('sends the Capacity Message when one is set', async () => {
			await db.run('DELETE FROM {records} WHERE scope IN (?, ?)', SCOPES.activeConversation.name, SCOPES.waitlist.name);
			const limits = { ...LIMITS, capacityMessage: '  We are busy, back soon.  ' };
			await say(newContact(), `Hi about ${mark('gloves')}`, limits);
			rig.resetFakes();
			expect(outcome(await say(newContact(), `Hi about ${mark('boots')}`, limits)).json).toMatchObject({ status: 'waitlisted' });
			expect(sentTexts(rig.graph)).toEqual(['We are busy, back soon.']);
		});
	});

	// ---------------------------------------------------------------- privacy

	describe('privacy', () => {
		it('keeps the loop guard record free of any text: fingerprints and times only, under the pseudonym', async () => {
			const rows = await db.rows<{ key: string; contact_key: string; value: string }>('SELECT key, contact_key, value FROM {records} WHERE scope = ?', SCOPES.loopGuard.name);
			expect(rows.length).toBeGreaterThanOrEqual(3);
			const texts = [...SAID, ...MARKS];
			for (const row of rows) {
				expect(row.key).toMatch(/^[0-9a-f]{64}$/);
				expect(row.contact_key).toBe(row.key);
				for (const text of texts) expect(row.value.toLowerCase()).not.toContain(text.toLowerCase());
				const value = JSON.parse(row.value) as { inbound: Array<{ f: string }>; replies: Array<{ f: string }>; strikes: number };
				for (const entry of [...value.inbound, ...value.replies]) expect(entry.f).toMatch(/^([0-9a-f]{24})?$/);
				expect(row.value).not.toMatch(/3465559\d{4}/);
			}
		});

		it("leaves no customer text in n8n's logs or the executions' errors", () => {
			expect(SAID.length).toBeGreaterThan(40);
			expect(rig.leaks(SAID)).toEqual([]);
		});
	});
});

/**
 * The Limits settings' pure parts: the loop guard's judgement of a turn (nodes/shared/conversation/loopGuard.ts
 * `judge`) and the fingerprints it compares, the token estimate a budget reserves before a model call
 * (nodes/WhatsAutoReply/actions/reply/guards.ts) and the node's `limits` collection read as typed settings
 * (nodes/WhatsAutoReply/actions/reply/options.ts `toLimitOptions`).
 */
import { createHmac } from 'node:crypto';

import { NodeOperationError, type INode } from 'n8n-workflow';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';

import { fingerprintOf, judge, LOOP_WINDOW_MS, type LoopGuardSettings } from '../../nodes/shared/conversation/loopGuard';
import type { CounterInput, WhatsAutoStore } from '../../nodes/shared/store/types';
import { DEFAULT_PRICES } from '../../nodes/shared/usage/aggregate';
import { budgetState, reserve, type BudgetSettings } from '../../nodes/shared/usage/budgets';
import { estimateTokens } from '../../nodes/WhatsAutoReply/actions/reply/guards';
import { LIMIT_DEFAULTS, toLimitOptions, toReplyOptions } from '../../nodes/WhatsAutoReply/actions/reply/options';

type LoopRecord = Parameters<typeof judge>[0];

const NOW = Date.parse('2026-03-10T12:00:00Z');
const SETTINGS: LoopGuardSettings = { stopAfter: 3, repeats: 3, maxMessagesPerMinute: 5 };
const record = (parts: Partial<LoopRecord> = {}): LoopRecord => ({ inbound: [], replies: [], strikes: 0, ...parts });
const seen = (f: string, agoMs: number, n = 1) => ({ f, at: NOW - agoMs, n });

describe('judge (loop guard)', () => {
	it('finds nothing in a first, ordinary message', () => {
		expect(judge(record(), ['fp-hello'], SETTINGS, NOW)).toEqual({ signs: [], strikes: 0, stop: false });
	});

	describe('echo', () => {
		it('is one of our own recent replies coming back', () => {
			const verdict = judge(record({ replies: [{ f: 'fp-ours', at: NOW - 5_000 }] }), ['fp-ours'], SETTINGS, NOW);
			expect(verdict).toEqual({ signs: ['echo'], strikes: 1, stop: false });
		});

		it('counts any message of a merged turn that echoes us', () => {
			const verdict = judge(record({ replies: [{ f: 'fp-ours', at: NOW - 5_000 }] }), ['fp-new', 'fp-ours'], SETTINGS, NOW);
			expect(verdict.signs).toEqual(['echo']);
		});

		it('forgets replies older than the window, and a different text is no echo', () => {
			expect(judge(record({ replies: [{ f: 'fp-ours', at: NOW - LOOP_WINDOW_MS }] }), ['fp-ours'], SETTINGS, NOW).signs).toEqual([]);
			expect(judge(record({ replies: [{ f: 'fp-ours', at: NOW - 1_000 }] }), ['fp-other'], SETTINGS, NOW).signs).toEqual([]);
		});

		it('never matches a message without text against anything', () => {
			const verdict = judge(record({ replies: [{ f: '', at: NOW - 1_000 }], inbound: [seen('', 1_000), seen('', 2_000)] }), [''], SETTINGS, NOW);
			expect(verdict.signs).toEqual([]);
		});
	});

	describe('repeat', () => {
		it('is the same text for exactly the `repeats`-th time within the window, the repeat included', () => {
			const once = record({ inbound: [seen('fp-same', 120_000)] });
			const twice = record({ inbound: [seen('fp-same', 240_000), seen('fp-same', 120_000)] });
			expect(judge(once, ['fp-same'], SETTINGS, NOW).signs).toEqual([]);
			expect(judge(twice, ['fp-same'], SETTINGS, NOW)).toEqual({ signs: ['repeat'], strikes: 1, stop: false });
			expect(judge(twice, ['fp-same'], { ...SETTINGS, repeats: 4 }, NOW).signs).toEqual([]);
		});

		it('counts repeats inside one merged turn too', () => {
			expect(judge(record({ inbound: [seen('fp-same', 120_000)] }), ['fp-same', 'fp-same'], SETTINGS, NOW).signs).toEqual(['repeat']);
			expect(judge(record(), ['fp-same', 'fp-same', 'fp-same'], { ...SETTINGS, maxMessagesPerMinute: 10 }, NOW).signs).toEqual(['repeat']);
		});

		it('forgets messages older than the window', () => {
			const old = record({ inbound: [seen('fp-same', LOOP_WINDOW_MS + 1), seen('fp-same', LOOP_WINDOW_MS)] });
			expect(judge(old, ['fp-same'], SETTINGS, NOW).signs).toEqual([]);
		});
	});

	describe('pace', () => {
		it('is more messages within a minute than the limit, a merged turn counting each of its messages', () => {
			// 4 messages in the last minute (one turn of 3 merged, one single): one more is 5, not over 5
			const busy = record({ inbound: [seen('fp-a', 50_000, 3), seen('fp-b', 20_000)] });
			expect(judge(busy, ['fp-c'], SETTINGS, NOW).signs).toEqual([]);
			// a merged turn of two is 6
			expect(judge(busy, ['fp-c', 'fp-d'], SETTINGS, NOW)).toEqual({ signs: ['pace'], strikes: 1, stop: false });
		});

		it('counts messages without text (voice notes, pictures) and ignores what is older than a minute', () => {
			const busy = record({ inbound: [seen('', 30_000, 5)] });
			expect(judge(busy, [''], SETTINGS, NOW).signs).toEqual(['pace']);
			const earlier = record({ inbound: [seen('', 60_000, 5), seen('fp-a', 61_000, 5)] });
			expect(judge(earlier, [''], SETTINGS, NOW).signs).toEqual([]);
		});

		it('an empty fingerprint list still counts as one message', () => {
			expect(judge(record({ inbound: [seen('fp-a', 1_000, 5)] }), [], SETTINGS, NOW).signs).toEqual(['pace']);
		});
	});

	it('reports every sign a turn shows', () => {
		const both = record({ replies: [{ f: 'fp-ours', at: NOW - 1_000 }], inbound: [seen('fp-ours', 30_000, 3), seen('fp-ours', 20_000, 3)] });
		expect(judge(both, ['fp-ours'], SETTINGS, NOW).signs).toEqual(['echo', 'repeat', 'pace']);
	});

	describe('strikes', () => {
		const echoing = (strikes: number) => record({ strikes, replies: [{ f: 'fp-ours', at: NOW - 1_000 }] });

		it('counts suspicious turns in a row and stops at exactly `stopAfter`', () => {
			expect(judge(echoing(1), ['fp-ours'], SETTINGS, NOW)).toEqual({ signs: ['echo'], strikes: 2, stop: false });
			expect(judge(echoing(2), ['fp-ours'], SETTINGS, NOW)).toEqual({ signs: ['echo'], strikes: 3, stop: true });
			expect(judge(echoing(0), ['fp-ours'], { ...SETTINGS, stopAfter: 1 }, NOW).stop).toBe(true);
			expect(judge(echoing(5), ['fp-ours'], SETTINGS, NOW)).toMatchObject({ strikes: 6, stop: true });
		});

		it('resets on a normal turn', () => {
			expect(judge(echoing(2), ['fp-something-else'], SETTINGS, NOW)).toEqual({ signs: [], strikes: 0, stop: false });
		});
	});
});

describe('fingerprintOf', () => {
	const hmac = (key: string) => (value: string) => createHmac('sha256', key).update(value, 'utf8').digest('hex');
	const keyed = hmac('loop-guard-test-key');

	it('is equal for texts equal up to case, accents, spacing and punctuation', () => {
		const base = fingerprintOf(keyed, 'donde esta mi pedido');
		for (const variant of ['¿Dónde está mi pedido?', '  DONDE   ESTA mi PEDIDO!!! ', 'Dónde-está, mi pedido.']) {
			expect(fingerprintOf(keyed, variant)).toBe(base);
		}
		expect(fingerprintOf(keyed, 'donde esta mi paquete')).not.toBe(base);
	});

	it("is '' for a text with nothing to compare (empty, blank, punctuation, emoji)", () => {
		for (const empty of ['', '   ', '?!…', '👍']) expect(fingerprintOf(keyed, empty)).toBe('');
	});

	it('holds none of the text: a short keyed hash that changes with the key', () => {
		const text = 'Please call me at the Lighthouse Hotel tomorrow';
		const fingerprint = fingerprintOf(keyed, text);
		expect(fingerprint).toMatch(/^[0-9a-f]{24}$/);
		for (const word of ['please', 'lighthouse', 'hotel', 'tomorrow']) expect(fingerprint.toLowerCase()).not.toContain(word);
		expect(fingerprintOf(hmac('another-key'), text)).not.toBe(fingerprint);
	});
});

describe('estimateTokens', () => {
	it('reserves two characters a token for text, 1,500 a picture or file and the whole completion limit', () => {
		const messages: ChatCompletionMessageParam[] = [
			{ role: 'system', content: 'abcdefgh' }, // 8
			{
				role: 'user',
				content: [
					{ type: 'text', text: 'abcde' }, // 5
					{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
					{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,AAAA' } },
				],
			},
			{ role: 'assistant', content: 'ab' }, // 2
		];
		expect(estimateTokens(messages, 600)).toEqual({ prompt: Math.ceil(15 / 2) + 2 * 1500, completion: 600, cached: 0 });
	});

	it('rounds up, and is the completion limit alone for nothing to read', () => {
		expect(estimateTokens([{ role: 'user', content: 'abc' }], 10)).toEqual({ prompt: 2, completion: 10, cached: 0 });
		expect(estimateTokens([], 500)).toEqual({ prompt: 0, completion: 500, cached: 0 });
	});
});

describe('toLimitOptions', () => {
	const node = { id: 'n1', name: 'WhatsAuto Auto-Reply', type: 'whatsAutoReply', typeVersion: 1, position: [0, 0], parameters: {} } as INode;

	it('turns everything off when nothing was added', () => {
		const limits = toLimitOptions({}, 'Europe/Madrid');
		expect(limits).toEqual({
			caps: { repliesPerHour: 0, repliesPerDay: 0, timezone: 'Europe/Madrid' },
			loop: undefined,
			budgets: { contactTokensPerDay: 0, accountTokensPerDay: 0, monthlySpendUsd: 0, prices: DEFAULT_PRICES, timezone: 'Europe/Madrid' },
			whenBudgetReached: 'fallback',
			cheaperModel: LIMIT_DEFAULTS.cheaperModel,
			capacity: {
				maxActiveConversations: 0,
				activeWindowMs: LIMIT_DEFAULTS.activeWindowMinutes * 60_000,
				shedOnAccountBudget: false,
				message: '',
				waitlistTtlMs: LIMIT_DEFAULTS.waitlistDays * 24 * 3_600_000,
			},
		});
		expect(toReplyOptions({}).limits).toEqual(toLimitOptions({}, 'UTC'));
	});

	it('uses the editor defaults for every setting added as the editor adds it', () => {
		// what n8n puts in the collection when each option is added and left alone: the field's default
		const added = {
			repliesPerHour: LIMIT_DEFAULTS.repliesPerHour,
			repliesPerDay: LIMIT_DEFAULTS.repliesPerDay,
			loopGuard: true,
			contactTokensPerDay: LIMIT_DEFAULTS.contactTokensPerDay,
			accountTokensPerDay: LIMIT_DEFAULTS.accountTokensPerDay,
			monthlySpendUsd: LIMIT_DEFAULTS.monthlySpendUsd,
			budgetPriceTable: JSON.stringify(DEFAULT_PRICES, null, 2),
			maxActiveConversations: LIMIT_DEFAULTS.maxActiveConversations,
			shedOnAccountBudget: true,
		};
		const limits = toLimitOptions(added, 'UTC');
		expect(limits.caps).toEqual({ repliesPerHour: 20, repliesPerDay: 100, timezone: 'UTC' });
		expect(limits.loop).toEqual({ stopAfter: 3, repeats: 3, maxMessagesPerMinute: 20 });
		expect(limits.budgets).toEqual({ contactTokensPerDay: 50_000, accountTokensPerDay: 2_000_000, monthlySpendUsd: 100, prices: DEFAULT_PRICES, timezone: 'UTC' });
		expect(limits.capacity).toMatchObject({ maxActiveConversations: 100, activeWindowMs: 30 * 60_000, shedOnAccountBudget: true, waitlistTtlMs: 7 * 24 * 3_600_000 });
	});

	it('takes the values given, within their bounds', () => {
		const limits = toLimitOptions(
			{
				repliesPerHour: 2.7,
				loopGuard: true,
				loopStopAfter: 5,
				loopRepeats: 1,
				loopMaxMessagesPerMinute: 8,
				monthlySpendUsd: 12.5,
				whenBudgetReached: 'cheaperModel',
				cheaperModel: '  gpt-4.1-mini ',
				capacityMessage: '  Busy right now.  ',
				activeWindowMinutes: 5,
				waitlistDays: 90,
			},
			'UTC',
		);
		expect(limits.caps.repliesPerHour).toBe(2);
		expect(limits.loop).toEqual({ stopAfter: 5, repeats: 2, maxMessagesPerMinute: 8 });
		expect(limits.budgets.monthlySpendUsd).toBe(12.5);
		expect(limits.whenBudgetReached).toBe('cheaperModel');
		expect(limits.cheaperModel).toBe('gpt-4.1-mini');
		expect(limits.capacity).toMatchObject({ message: 'Busy right now.', activeWindowMs: 5 * 60_000, waitlistTtlMs: 30 * 24 * 3_600_000 });
		expect(toLimitOptions({ loopGuard: false, loopStopAfter: 2 }, 'UTC').loop).toBeUndefined();
		expect(toLimitOptions({ repliesPerHour: -3, contactTokensPerDay: 0 }, 'UTC')).toMatchObject({ caps: { repliesPerHour: 0 }, budgets: { contactTokensPerDay: 0 } });
	});

	it('reads a Budget Price Table given as text or as an object', () => {
		const table = { 'my-model': { inputPerMillion: 1, cachedInputPerMillion: 0.5, outputPerMillion: 4 } };
		expect(toLimitOptions({ budgetPriceTable: JSON.stringify(table) }, 'UTC').budgets.prices).toEqual(table);
		expect(toLimitOptions({ budgetPriceTable: table }, 'UTC').budgets.prices).toEqual(table);
		expect(toLimitOptions({ budgetPriceTable: '  ' }, 'UTC').budgets.prices).toEqual({});
	});

	it('fails on a bad Budget Price Table with an error naming it', () => {
		expect(() => toLimitOptions({ budgetPriceTable: '{"gpt-4o": ' }, 'UTC')).toThrow(/^Budget Price Table: .*not valid JSON/);
		expect(() => toLimitOptions({ budgetPriceTable: '[1, 2]' }, 'UTC')).toThrow(/^Budget Price Table: /);
		expect(() => toLimitOptions({ budgetPriceTable: '{"gpt-4o": {"inputPerMillion": "cheap"}}' }, 'UTC')).toThrow(/^Budget Price Table: /);
		let error: unknown;
		try {
			toLimitOptions({ budgetPriceTable: 'not json' }, 'UTC', node);
		} catch (thrown) {
			error = thrown;
		}
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as Error).message).toMatch(/^Budget Price Table: /);
		expect(() => toReplyOptions({ limits: { budgetPriceTable: 'not json' } }, node)).toThrow(/Budget Price Table/);
	});
});

describe('the monthly spend charge', () => {
	/** The two counter methods the budgets use, in memory, with the store's semantics (add only while below). */
	const counterStore = (): WhatsAutoStore => {
		const counters = new Map<string, number>();
		return {
			async addToCounter({ scope, key, amount, below }: CounterInput) {
				const before = counters.get(`${scope}|${key}`) ?? 0;
				if (below !== undefined && before >= below) return { added: false, value: before };
				counters.set(`${scope}|${key}`, before + amount);
				return { added: true, value: before + amount };
			},
			async getCounter(scope: string, key: string) {
				return counters.get(`${scope}|${key}`) ?? 0;
			},
		} as unknown as WhatsAutoStore;
	};
	const settings: BudgetSettings = {
		contactTokensPerDay: 0,
		accountTokensPerDay: 0,
		monthlySpendUsd: 1,
		prices: { 'gpt-4o': { inputPerMillion: 2, cachedInputPerMillion: 1, outputPerMillion: 8 } },
		timezone: 'UTC',
	};
	const spentMicroUsd = async (store: WhatsAutoStore) => Math.round((await budgetState(store, settings, 'subject'))[0].used * 1_000_000);

	it('charges what the tokens cost, in millionths of a dollar, settled from the estimate', async () => {
		const store = counterStore();
		const admission = await reserve(store, settings, 'subject', 'gpt-4o', { prompt: 400, completion: 300, cached: 0 });
		expect(admission.admitted).toBe(true);
		expect(await spentMicroUsd(store)).toBe(400 * 2 + 300 * 8);
		if (admission.admitted) await admission.reservation.settle({ prompt: 400, completion: 100, cached: 0 });
		expect(await spentMicroUsd(store)).toBe(400 * 2 + 100 * 8);
	});

	// KNOWN BUG (reported): budgets.ts spendOf rounds `modelCostUsd(...) * 1e6` up, and the float error of the
	// division by a million makes e.g. 1,968 micro-USD (400 prompt + 146 completion at $2/$8) 1,968.0000000000002, charged
	// 1,969. Turn this into a plain `it` once the charge is computed exactly.
	it('charges exactly, with no float error rounded up (400 + 146 tokens at $2/$8 per million = 1,968 micro-USD)', async () => {
		const store = counterStore();
		const admission = await reserve(store, settings, 'subject', 'gpt-4o', { prompt: 400, completion: 300, cached: 0 });
		if (admission.admitted) await admission.reservation.settle({ prompt: 400, completion: 146, cached: 0 });
		expect(await spentMicroUsd(store)).toBe(400 * 2 + 146 * 8);
	});
});

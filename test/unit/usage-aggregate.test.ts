/**
 * The usage report: aggregateUsage on a small fixed ledger whose every number is worked out by hand below, the price
 * table parser's errors, the period fields, and the Usage Report operation on a real SQLite store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { NodeOperationError, type IExecuteFunctions, type INode } from 'n8n-workflow';

import { description, execute } from '../../nodes/WhatsAutoReply/actions/usage/report.operation';
import { PeriodError, resolvePeriod } from '../../nodes/WhatsAutoReply/actions/usage/period';
import { closeAllStores, openStore } from '../../nodes/shared/store';
import type { WhatsAutoStore } from '../../nodes/shared/store/types';
import {
	aggregateUsage,
	DEFAULT_PRICES,
	modelCostUsd,
	nearestRank,
	parsePriceTable,
	priceFor,
	PriceTableError,
	UNKNOWN_MODEL,
	type PriceTable,
	type PricingRow,
} from '../../nodes/shared/usage/aggregate';
import { recordPricing, recordTurn, type UsageEntry } from '../../nodes/shared/usage/ledger';

const FROM = new Date('2026-11-29T00:00:00Z');
/** Long enough that the rows the operation test writes are not expired whenever the test runs. */
const RETENTION_MS = 86_400_000 * 3650;
const TO = new Date('2026-12-06T00:00:00Z');

/** Made-up prices, so the hand computations do not move when the list prices in DEFAULT_PRICES are edited. */
const PRICES: PriceTable = {
	'm-a': { inputPerMillion: 2, cachedInputPerMillion: 1, outputPerMillion: 8 },
	'm-b': { inputPerMillion: 0.5, cachedInputPerMillion: 0.25, outputPerMillion: 2 },
};

let minute = 0;
function turn(partial: Partial<UsageEntry> & Pick<UsageEntry, 'outcome' | 'latencyMs'>): UsageEntry {
	minute += 1;
	return { at: new Date(FROM.getTime() + minute * 60_000).toISOString(), contactKey: 'ck', messageTypes: ['text'], messages: 1, sent: 0, ...partial };
}

// prettier-ignore
const TURNS: UsageEntry[] = [
	/* T1  */ turn({ outcome: 'replied', model: 'm-a', tokens: { prompt: 1000, completion: 200, cached: 400 }, latencyMs: { ack: 500, wait: 3000, model: 1200, send: 300, total: 4200 }, sent: 1 }),
	/* T2  */ turn({ outcome: 'replied', messages: 3, model: 'm-a', tokens: { prompt: 3000, completion: 500, cached: 1000 }, latencyMs: { ack: 700, wait: 3500, understand: 900, model: 2000, send: 400, total: 7000 }, sent: 1 }),
	/* T3  */ turn({ outcome: 'fallback', model: 'm-b', tokens: { prompt: 2000, completion: 0, cached: 0 }, latencyMs: { ack: 600, wait: 3100, model: 9000, send: 250, total: 12500 }, sent: 1 }),
	/* T4  */ turn({ outcome: 'skipped', reason: 'objected', latencyMs: { ack: 400, total: 50 } }),
	/* T5  */ turn({ outcome: 'skipped', messages: 2, reason: 'window_closed', latencyMs: { ack: 800, wait: 3200, total: 60 } }),
	/* T6  */ turn({ outcome: 'skipped', reason: 'objected', latencyMs: { total: 40 } }),
	/* T7  */ turn({ outcome: 'template', latencyMs: { ack: 450, send: 350, total: 900 }, sent: 1 }),
	/* T8  */ turn({ outcome: 'replied', model: 'm-unpriced', tokens: { prompt: 100, completion: 50, cached: 0 }, latencyMs: { ack: 550, wait: 3000, model: 800, send: 200, total: 4100 }, sent: 1 }),
	/* T9  */ turn({ outcome: 'handoff', latencyMs: { total: 30 }, sent: 1 }),
	/* T10 */ turn({ outcome: 'skipped', latencyMs: { total: 20 } }),
];

const row = (category: string, billable: boolean): PricingRow => ({ at: '2026-11-30T10:00:00.000Z', contactKey: 'ck', category, billable, pricingModel: 'PMP' });
const PRICING: PricingRow[] = [row('service', false), row('service', false), row('utility', true), row('marketing', true), row('utility', true), row('service', false)];

describe('aggregateUsage on a fixed ledger', () => {
	const report = aggregateUsage({ turns: TURNS, pricing: PRICING, prices: PRICES, from: FROM, to: TO });

	it('labels the period', () => {
		expect(report.period).toEqual({ from: '2026-11-29T00:00:00.000Z', to: '2026-12-06T00:00:00.000Z', days: 7 });
	});

	it('counts messages, turns, replies and merged bursts', () => {
		// 1+3+1+1+2+1+1+1+1+1
		expect(report.messages).toBe(13);
		expect(report.turns).toBe(10);
		// replied T1 T2 T8, fallback T3, template T7
		expect(report.replies).toBe(5);
		// T2 (3 messages), T5 (2 messages)
		expect(report.mergedBursts).toBe(2);
		expect(report.messagesMerged).toBe(5);
	});

	it('counts every outcome, zero included', () => {
		expect(report.outcomes).toEqual({ replied: 3, merged: 0, skipped: 4, fallback: 1, handoff: 1, failed: 0, template: 1, away: 0, output_only: 0, waitlisted: 0 });
	});

	it('sums tokens: cached is part of prompt, total is prompt + completion', () => {
		// prompt 1000+3000+2000+100, completion 200+500+0+50, cached 400+1000
		expect(report.tokens).toEqual({ prompt: 6100, completion: 750, cached: 1400, total: 6850 });
	});

	it('prices each model, cached prompt tokens at the cached price, and lists the unpriced one', () => {
		// m-a: prompt 4000 of which 1400 cached, completion 700: 2600×2 + 1400×1 + 700×8 = 12200 per million = 0.0122
		// m-b: prompt 2000, nothing cached, completion 0: 2000×0.5 = 1000 per million = 0.001
		expect(report.modelCost.byModel).toEqual({
			'm-a': { turns: 2, prompt: 4000, completion: 700, cached: 1400, costUsd: 0.0122 },
			'm-b': { turns: 1, prompt: 2000, completion: 0, cached: 0, costUsd: 0.001 },
			'm-unpriced': { turns: 1, prompt: 100, completion: 50, cached: 0, costUsd: null },
		});
		expect(report.modelCost.totalUsd).toBe(0.0132);
		expect(report.modelCost.unpricedModels).toEqual(['m-unpriced']);
	});

	it('counts Meta messages per pricing category, billable apart', () => {
		expect(report.metaMessages).toEqual({
			total: 6,
			billable: 3,
			byCategory: { service: { messages: 3, billable: 0 }, utility: { messages: 2, billable: 2 }, marketing: { messages: 1, billable: 1 } },
		});
	});

	it('takes nearest-rank p50 and p95 per stage over the turns that measured it', () => {
		expect(report.latency).toEqual({
			// 400 450 500 550 600 700 800: ranks ⌈3.5⌉=4, ⌈6.65⌉=7
			ack: { samples: 7, p50: 550, p95: 800 },
			// 3000 3000 3100 3200 3500: ranks 3, 5
			wait: { samples: 5, p50: 3100, p95: 3500 },
			understand: { samples: 1, p50: 900, p95: 900 },
			// 800 1200 2000 9000: ranks 2, 4
			model: { samples: 4, p50: 1200, p95: 9000 },
			// 200 250 300 350 400: ranks 3, 5
			send: { samples: 5, p50: 300, p95: 400 },
			// 20 30 40 50 60 900 4100 4200 7000 12500: ranks 5, 10
			total: { samples: 10, p50: 60, p95: 12500 },
		});
	});

	it('lists skip reasons most frequent first, ties by reason, a missing one as unspecified', () => {
		expect(report.topSkipReasons).toEqual([
			{ reason: 'objected', count: 2 },
			{ reason: '(unspecified)', count: 1 },
			{ reason: 'window_closed', count: 1 },
		]);
	});

	it('holds no contact keys or message text: only counts and labels', () => {
		expect(JSON.stringify(report)).not.toContain('"ck"');
	});
});

describe('aggregateUsage edge cases', () => {
	it('an empty period: zeros, no models, null percentiles', () => {
		const report = aggregateUsage({ turns: [], pricing: [], prices: PRICES, from: FROM, to: TO });
		expect(report).toEqual({
			period: { from: FROM.toISOString(), to: TO.toISOString(), days: 7 },
			messages: 0,
			turns: 0,
			replies: 0,
			mergedBursts: 0,
			messagesMerged: 0,
			outcomes: { replied: 0, merged: 0, skipped: 0, fallback: 0, handoff: 0, failed: 0, template: 0, away: 0, output_only: 0, waitlisted: 0 },
			tokens: { prompt: 0, completion: 0, cached: 0, total: 0 },
			modelCost: { totalUsd: 0, byModel: {}, unpricedModels: [] },
			metaMessages: { total: 0, billable: 0, byCategory: {} },
			latency: Object.fromEntries(['ack', 'wait', 'understand', 'model', 'send', 'total'].map((s) => [s, { samples: 0, p50: null, p95: null }])),
			topSkipReasons: [],
		});
	});

	it('keeps the top 10 skip reasons', () => {
		// reason r01 once, r02 twice … r12 twelve times
		const turns = Array.from({ length: 12 }, (_, i) =>
			Array.from({ length: i + 1 }, () => turn({ outcome: 'skipped', reason: `r${String(i + 1).padStart(2, '0')}`, latencyMs: { total: 1 } })),
		).flat();
		const { topSkipReasons } = aggregateUsage({ turns, pricing: [], prices: PRICES, from: FROM, to: TO });
		expect(topSkipReasons).toHaveLength(10);
		expect(topSkipReasons[0]).toEqual({ reason: 'r12', count: 12 });
		expect(topSkipReasons[9]).toEqual({ reason: 'r03', count: 3 });
	});

	it('prices a dated snapshot name as its model; tokens without a model are unpriced', () => {
		const prices: PriceTable = { 'gpt-4.1': { inputPerMillion: 2, cachedInputPerMillion: 0.5, outputPerMillion: 8 } };
		const turns = [
			turn({ outcome: 'replied', model: 'gpt-4.1-2025-04-14', tokens: { prompt: 1_000_000, completion: 100_000, cached: 500_000 }, latencyMs: { total: 1 } }),
			turn({ outcome: 'replied', tokens: { prompt: 10, completion: 10, cached: 0 }, latencyMs: { total: 1 } }),
		];
		const { modelCost } = aggregateUsage({ turns, pricing: [], prices, from: FROM, to: TO });
		// 500 000×2 + 500 000×0.5 + 100 000×8 = 2 050 000 per million
		expect(modelCost.byModel['gpt-4.1-2025-04-14'].costUsd).toBe(2.05);
		expect(modelCost.byModel[UNKNOWN_MODEL]).toEqual({ turns: 1, prompt: 10, completion: 10, cached: 0, costUsd: null });
		expect(modelCost).toMatchObject({ totalUsd: 2.05, unpricedModels: [UNKNOWN_MODEL] });
	});

	it('priceFor: the exact name first, then the name without its snapshot date; never a prefix', () => {
		expect(priceFor(DEFAULT_PRICES, 'gpt-4o-2024-08-06')).toBe(DEFAULT_PRICES['gpt-4o']);
		expect(priceFor(DEFAULT_PRICES, 'gpt-4o-mini-2024-07-18')).toBe(DEFAULT_PRICES['gpt-4o-mini']);
		expect(priceFor(DEFAULT_PRICES, 'gpt-4o-mini')).toBe(DEFAULT_PRICES['gpt-4o-mini']);
		expect(priceFor(DEFAULT_PRICES, 'gpt-4o-audio-preview')).toBeUndefined();
		expect(priceFor(DEFAULT_PRICES, 'toString')).toBeUndefined();
	});

	it('modelCostUsd never bills more cached tokens than the prompt had', () => {
		expect(modelCostUsd({ inputPerMillion: 4, cachedInputPerMillion: 1, outputPerMillion: 0 }, { prompt: 10, completion: 0, cached: 50 })).toBeCloseTo(10 / 1e6, 12);
	});

	it('nearestRank', () => {
		expect(nearestRank([], 50)).toBeNull();
		expect(nearestRank([7], 95)).toBe(7);
		expect(nearestRank([1, 2, 3, 4], 50)).toBe(2);
		expect(nearestRank([1, 2, 3, 4], 0)).toBe(1);
		expect(nearestRank([1, 2, 3, 4], 100)).toBe(4);
	});
});

describe('DEFAULT_PRICES and parsePriceTable', () => {
	it('covers the GPT-4 family, and its pretty-printed JSON (the field default) parses back to it', () => {
		expect(Object.keys(DEFAULT_PRICES).sort()).toEqual(['gpt-4-turbo', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini']);
		for (const price of Object.values(DEFAULT_PRICES)) expect(price.cachedInputPerMillion).toBeLessThanOrEqual(price.inputPerMillion);
		expect(parsePriceTable(JSON.stringify(DEFAULT_PRICES, null, 2))).toEqual(DEFAULT_PRICES);
		expect(parsePriceTable('{}')).toEqual({});
	});

	const fails = (json: string) => {
		try {
			parsePriceTable(json);
		} catch (error) {
			expect(error).toBeInstanceOf(PriceTableError);
			return (error as Error).message;
		}
		throw new Error(`accepted ${json}`);
	};
	const ok = '"inputPerMillion": 2.5, "cachedInputPerMillion": 1.25';

	it('says what is wrong: which model, which field', () => {
		expect(fails('{gpt-4o: 1}')).toMatch(/^Price Table is not valid JSON \(.+\)\. Expected e\.g\. \{"gpt-4o"/);
		expect(fails('[]')).toMatch(/must be a JSON object with one entry per model.*got an array\.$/);
		expect(fails('null')).toMatch(/got null\.$/);
		expect(fails('{"gpt-4o": 2.5}')).toBe(
			'Price Table: "gpt-4o" must be an object with inputPerMillion, cachedInputPerMillion, outputPerMillion (USD per million tokens); got 2.5.',
		);
		expect(fails(`{"gpt-4o": {${ok}}}`)).toBe('Price Table: "gpt-4o".outputPerMillion must be a number ≥ 0 (USD per million tokens); got nothing.');
		expect(fails(`{"gpt-4o": {${ok}, "outputPerMillion": "10"}}`)).toBe('Price Table: "gpt-4o".outputPerMillion must be a number ≥ 0 (USD per million tokens); got "10".');
		expect(fails('{"gpt-4o-mini": {"inputPerMillion": -1, "cachedInputPerMillion": 0, "outputPerMillion": 0}}')).toMatch(/^Price Table: "gpt-4o-mini"\.inputPerMillion .* got -1\.$/);
		expect(fails(`{"gpt-4o": {${ok}, "outputPerMilion": 10}}`)).toBe(
			'Price Table: "gpt-4o" has an unknown field "outputPerMilion" (expected inputPerMillion, cachedInputPerMillion, outputPerMillion).',
		);
		expect(fails('{" ": {}}')).toBe('Price Table: a model name is empty.');
	});
});

describe('the period fields', () => {
	const NOW = new Date('2026-12-07T08:00:00Z');

	it('rolling windows end now', () => {
		expect(resolvePeriod('last7Days', undefined, undefined, 'UTC', NOW)).toEqual({ from: new Date('2026-11-30T08:00:00Z'), to: NOW });
		expect(resolvePeriod('last30Days', undefined, undefined, 'UTC', NOW)).toEqual({ from: new Date('2026-11-07T08:00:00Z'), to: NOW });
	});

	it('a custom range: dates without an offset in the workflow time zone, To empty is now', () => {
		expect(resolvePeriod('custom', '2026-12-01T00:00:00', '2026-12-02T12:30:00', 'Europe/Berlin', NOW)).toEqual({
			from: new Date('2026-11-30T23:00:00Z'),
			to: new Date('2026-12-02T11:30:00Z'),
		});
		expect(resolvePeriod('custom', '2026-12-01T00:00:00Z', '', 'Europe/Berlin', NOW)).toEqual({ from: new Date('2026-12-01T00:00:00Z'), to: NOW });
		expect(resolvePeriod('custom', new Date('2026-12-01T00:00:00Z'), '2026-12-01 06:00:00', 'UTC', NOW).to).toEqual(new Date('2026-12-01T06:00:00Z'));
	});

	it('refuses what is not a period', () => {
		expect(() => resolvePeriod('custom', '', '', 'UTC', NOW)).toThrow(new PeriodError('From is empty: pick a date, or choose Last 7 Days or Last 30 Days.'));
		expect(() => resolvePeriod('custom', 'next tuesday', '', 'UTC', NOW)).toThrow(/^From is not a date: "next tuesday"/);
		expect(() => resolvePeriod('custom', '2026-12-02T00:00:00Z', '2026-12-01T00:00:00Z', 'UTC', NOW)).toThrow(/^From \(2026-12-02T00:00:00.000Z\) must be before To/);
		expect(() => resolvePeriod('yesterday', '', '', 'UTC', NOW)).toThrow(PeriodError);
	});
});

describe('Usage Report operation', () => {
	it('shows its fields for operation usage only, From and To for a custom range only', () => {
		expect(description.map((f) => f.name)).toEqual(['period', 'from', 'to', 'priceTable']);
		for (const field of description) expect(field.displayOptions?.show?.operation).toEqual(['usage']);
		expect(description.find((f) => f.name === 'to')?.displayOptions?.show?.period).toEqual(['custom']);
		expect(parsePriceTable(description.find((f) => f.name === 'priceTable')!.default as string)).toEqual(DEFAULT_PRICES);
	});

	let dir: string;
	let store: WhatsAutoStore;
	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'whatsauto-usage-'));
		store = await openStore({ backend: 'sqlite', path: join(dir, 'store.sqlite') });
	});
	afterAll(async () => {
		await closeAllStores();
		rmSync(dir, { recursive: true, force: true });
	});

	const node = { name: 'Usage', type: 'n8n-nodes-whatsauto.whatsAutoReply', typeVersion: 1, parameters: {} } as unknown as INode;
	const ctxWith = (parameters: Record<string, unknown>) =>
		({
			getNode: () => node,
			getTimezone: () => 'UTC',
			getNodeParameter: (name: string, _i: number, fallback: unknown) => (name in parameters ? parameters[name] : fallback),
		}) as unknown as IExecuteFunctions;

	it('reads the ledger for the period and returns one report item', async () => {
		const at = (iso: string) => ({ at: iso, contactKey: 'ck1', messageTypes: ['text'], messages: 1, sent: 1 });
		await recordTurn(store, 't1', { ...at('2026-12-01T10:00:00.000Z'), outcome: 'replied', model: 'gpt-4o', tokens: { prompt: 1000, completion: 100, cached: 0 }, latencyMs: { total: 2000 } }, RETENTION_MS);
		await recordTurn(store, 't2', { ...at('2026-11-01T10:00:00.000Z'), outcome: 'replied', latencyMs: { total: 10 } }, RETENTION_MS);
		await recordPricing(store, 'p1', { at: '2026-12-01T10:00:01.000Z', contactKey: 'ck1', category: 'service', billable: false, pricingModel: 'PMP' }, RETENTION_MS);
		const prices = JSON.stringify({ 'gpt-4o': { inputPerMillion: 1, cachedInputPerMillion: 1, outputPerMillion: 10 } });
		const ctx = ctxWith({ period: 'custom', from: '2026-11-29T00:00:00', to: '2026-12-06T00:00:00', priceTable: prices });
		const item = await execute(ctx, { store }, 3);
		expect(item.pairedItem).toEqual({ item: 3 });
		expect(item.json).toMatchObject({
			period: { from: '2026-11-29T00:00:00.000Z', to: '2026-12-06T00:00:00.000Z', days: 7 },
			turns: 1,
			// 1000×1 + 100×10 = 2000 per million
			modelCost: { totalUsd: 0.002 },
			metaMessages: { total: 1, billable: 0, byCategory: { service: { messages: 1, billable: 0 } } },
		});
	});

	it('a bad price table or period is a NodeOperationError for the item', async () => {
		const bad = execute(ctxWith({ period: 'last7Days', priceTable: '{"gpt-4o": {}}' }), { store }, 2);
		await expect(bad).rejects.toBeInstanceOf(NodeOperationError);
		await expect(bad).rejects.toMatchObject({ message: expect.stringContaining('"gpt-4o"'), context: { itemIndex: 2 } });
		await expect(execute(ctxWith({ period: 'custom', from: 'soon' }), { store }, 0)).rejects.toMatchObject({ message: expect.stringMatching(/^From is not a date/) });
	});
});

/**
 * The weekly usage report template (workflows/whatsapp-weekly-usage-report.json) in a real n8n 2.41.1 with this
 * package installed: Schedule Trigger → Usage Report (the Auto-Reply's Get Usage Report, last 7 days) → Write
 * Summary (Set) → Send It Where You Want (No-Op).
 *
 * The template is imported as it is (credential references bound by id, see templates-env.ts); its three credentials
 * point at the fake Graph API, the fake OpenAI and the SQLite store at its documented default path
 * (<N8N_USER_FOLDER>/.n8n/whatsauto.sqlite), with a known secret key. The test writes usage ledger rows into that
 * store file with the package's own ledger functions (recordTurn / recordPricing), then runs the workflow once with
 * `n8n execute --id=… --rawOutput` (executeWorkflowCli: n8n's CLI on the instance's database, a broker port of its
 * own). The template saves no execution data (and its schedule fires on Mondays only), so the run data is read from
 * what the CLI prints, not from n8n's database: the template's settings stay as shipped.
 *
 * `n8n execute` starts a workflow at a Manual Trigger only (n8n 2.41.1 findCliWorkflowStart: manual or Execute
 * Workflow trigger), so what runs is a copy of the template whose Schedule Trigger is a Manual Trigger, same node
 * name and wiring, every other node as shipped (as templates-web-form.e2e.test.ts runs the deadline monitor). The
 * template itself is imported and published next to it, its schedule registered.
 */
import { join } from 'node:path';

import { openStore } from '../../nodes/shared/store';
import { DEFAULT_PRICES, modelCostUsd } from '../../nodes/shared/usage/aggregate';
import { recordPricing, recordTurn, usageRetentionMs, type PricingEntry, type UsageEntry } from '../../nodes/shared/usage/ledger';
import { executeWorkflowCli, useScheduledTemplate, type Json } from './templates-env';

jest.setTimeout(600_000);

const TEMPLATE_ID = 'tplWhatsAutoUsag';
const MANUAL_ID = 'tplWhatsAutoUsaM';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RETENTION = usageRetentionMs(13);

type RunData = {
	data: { resultData: { error?: unknown; lastNodeExecuted?: string; runData: Record<string, Array<{ data: { main: Array<Array<{ json: Json }>> } }>> } };
};

describe('template: weekly usage report in a real n8n', () => {
	const env = useScheduledTemplate('whatsapp-weekly-usage-report.json', { scheduleName: 'Every Monday 08:00', ids: { template: TEMPLATE_ID, manual: MANUAL_ID }, modelNote: 'not expected: the usage report calls no model' });

	it('sums up the last 7 days of the ledger (older rows left out) and writes the summary', async () => {
		const started = env.n8n;
		// the store credential's SQLite path is empty: the documented default next to n8n's own data
		const storePath = join(started.userFolder, '.n8n', 'whatsauto.sqlite');
		const now = Date.now();
		const at = (ago: number) => new Date(now - ago).toISOString();
		const turn = (ago: number, entry: Omit<UsageEntry, 'at' | 'contactKey'>): UsageEntry => ({ at: at(ago), contactKey: '', ...entry });
		const turns: UsageEntry[] = [
			turn(1 * HOUR, {
				messageTypes: ['text'],
				messages: 1,
				outcome: 'replied',
				model: 'gpt-4o',
				tokens: { prompt: 1000, completion: 200, cached: 400 },
				latencyMs: { ack: 1000, wait: 3000, model: 1500, send: 300, total: 5000 },
				sent: 1,
			}),
			turn(2 * DAY, {
				messageTypes: ['text', 'image', 'text'],
				messages: 3,
				outcome: 'replied',
				model: 'gpt-4o',
				tokens: { prompt: 2000, completion: 500, cached: 0 },
				latencyMs: { wait: 3100, understand: 800, model: 2500, send: 400, total: 7000 },
				sent: 1,
			}),
			turn(3 * DAY, {
				messageTypes: ['text'],
				messages: 1,
				outcome: 'fallback',
				model: 'gpt-4o',
				tokens: { prompt: 800, completion: 0, cached: 0 },
				latencyMs: { send: 200, total: 9000 },
				sent: 1,
			}),
			turn(4 * DAY, { messageTypes: ['text'], messages: 1, outcome: 'skipped', reason: 'objected', latencyMs: { total: 20 }, sent: 0 }),
			turn(5 * DAY, { messageTypes: ['text'], messages: 1, outcome: 'skipped', reason: 'window_closed', latencyMs: { total: 30 }, sent: 0 }),
			turn(6 * DAY, {
				messageTypes: ['text', 'text'],
				messages: 2,
				outcome: 'handoff',
				model: 'gpt-4o-mini',
				tokens: { prompt: 500, completion: 100, cached: 0 },
				latencyMs: { total: 3000 },
				sent: 1,
			}),
			turn(6.5 * DAY, { messageTypes: ['text'], messages: 1, outcome: 'template', latencyMs: { total: 400 }, sent: 1 }),
		];
		// ten days ago: outside the last 7 days, must not count
		const old = turn(10 * DAY, {
			messageTypes: ['text', 'text', 'text', 'text', 'text'],
			messages: 5,
			outcome: 'replied',
			model: 'gpt-4o',
			tokens: { prompt: 99_999, completion: 99_999, cached: 0 },
			latencyMs: { model: 60_000, total: 90_000 },
			sent: 1,
		});
		const pricing = (ago: number, category: string, billable: boolean): PricingEntry => ({ at: at(ago), contactKey: '', category, billable, pricingModel: 'PMP' });
		const pricingRows: PricingEntry[] = [
			pricing(1 * HOUR, 'service', false),
			pricing(2 * DAY, 'utility', true),
			pricing(2 * DAY + HOUR, 'utility', true),
			pricing(3 * DAY, 'marketing', true),
			pricing(10 * DAY, 'marketing', true), // old
		];

		const store = await openStore({ backend: 'sqlite', path: storePath });
		try {
			for (const [i, entry] of [...turns, old].entries()) await recordTurn(store, `e2e-usage-turn-${i}`, entry, RETENTION);
			for (const [i, entry] of pricingRows.entries()) expect(await recordPricing(store, `e2e-usage-pricing-${i}`, entry, RETENTION)).toBe(true);
		} finally {
			await store.close();
		}

		// the published template's schedule has not fired (next Monday 08:00)
		expect(await started.executions({ workflowId: TEMPLATE_ID, includeUnfinished: true })).toEqual([]);
		const run = (await executeWorkflowCli(started, MANUAL_ID)) as RunData;
		const { resultData } = run.data;
		expect(resultData.error).toBeUndefined();
		expect(Object.keys(resultData.runData).sort()).toEqual(['Every Monday 08:00', 'Send It Where You Want', 'Usage Report', 'Write Summary']);
		const out = (node: string) => resultData.runData[node][0].data.main[0].map((item) => item.json);

		const [report] = out('Usage Report');
		expect(out('Usage Report')).toHaveLength(1);
		const period = report.period as { from: string; to: string; days: number };
		expect(period.days).toBe(7);
		expect(Date.parse(period.to)).toBeGreaterThanOrEqual(now);
		expect(Date.parse(period.to)).toBeLessThanOrEqual(Date.now());

		const gpt4o = modelCostUsd(DEFAULT_PRICES['gpt-4o'], { prompt: 3800, completion: 700, cached: 400 });
		const mini = modelCostUsd(DEFAULT_PRICES['gpt-4o-mini'], { prompt: 500, completion: 100, cached: 0 });
		// 3 400 × 2.5 + 400 × 1.25 + 700 × 10 per million; 500 × 0.15 + 100 × 0.6 per million
		expect(gpt4o).toBeCloseTo(0.016, 9);
		expect(mini).toBeCloseTo(0.000135, 9);
		expect(report).toMatchObject({
			turns: 7,
			messages: 10,
			replies: 4,
			mergedBursts: 2,
			messagesMerged: 5,
			outcomes: { replied: 2, merged: 0, skipped: 2, fallback: 1, handoff: 1, failed: 0, template: 1, away: 0, output_only: 0 },
			tokens: { prompt: 4300, completion: 800, cached: 400, total: 5100 },
			modelCost: {
				byModel: {
					'gpt-4o': { turns: 3, prompt: 3800, completion: 700, cached: 400, costUsd: 0.016 },
					'gpt-4o-mini': { turns: 1, prompt: 500, completion: 100, cached: 0, costUsd: 0.000135 },
				},
				unpricedModels: [],
			},
			metaMessages: {
				total: 4,
				billable: 3,
				byCategory: { service: { messages: 1, billable: 0 }, utility: { messages: 2, billable: 2 }, marketing: { messages: 1, billable: 1 } },
			},
			topSkipReasons: [
				{ reason: 'objected', count: 1 },
				{ reason: 'window_closed', count: 1 },
			],
		});
		expect((report.modelCost as { totalUsd: number }).totalUsd).toBeCloseTo(gpt4o + mini, 6);
		expect(Object.keys((report.modelCost as { byModel: Json }).byModel).sort()).toEqual(['gpt-4o', 'gpt-4o-mini']);
		expect(report.latency).toMatchObject({
			total: { samples: 7, p50: 3000, p95: 9000 },
			model: { samples: 2, p50: 1500, p95: 2500 },
			wait: { samples: 2, p50: 3000, p95: 3100 },
			ack: { samples: 1, p50: 1000, p95: 1000 },
		});

		const [summary] = out('Write Summary');
		expect(out('Write Summary')).toHaveLength(1);
		const day = (iso: string) => iso.slice(0, 10);
		expect(summary.subject).toBe(`WhatsApp auto-reply usage: 4 answers, 0.02 USD model cost (${day(period.from)} to ${day(period.to)})`);
		const text = String(summary.summary);
		for (const line of [
			`WhatsApp auto-replies, ${day(period.from)} to ${day(period.to)}`,
			'Messages from customers: 10 in 7 turns (2 quick bursts answered together, 5 messages)',
			'Answers sent: 4 (AI 2, fallback 1, template 1)',
			'Handed to a person: 1 | skipped: 2 | failed: 0 | away messages: 0',
			'Top skip reasons: objected (1), window_closed (1)',
			'OpenAI tokens: 5100 (4300 prompt, 400 of them cached; 800 completion)',
			'Estimated model cost: 0.02 USD',
			// categories in the order the ledger holds them: oldest first
			'Messages Meta priced: 4, billable 3 (marketing 1, utility 2, service 1)',
			'Time to answer (Auto-Reply), median / 95th percentile: 3.0 s / 9.0 s',
			'Model, median / 95th percentile: 1.5 s / 2.5 s',
		]) {
			expect(text.split('\n')).toContain(line);
		}
		// the Set node keeps the report's fields too, and the No-Op hands the item on
		expect(summary).toMatchObject({ turns: 7, replies: 4 });
		expect(out('Send It Where You Want')).toEqual([summary]);

		// the old row's numbers appear nowhere; the report called neither Meta nor OpenAI
		expect(JSON.stringify(run)).not.toContain('99999');
		expect(env.graph.sent).toHaveLength(0);
		expect(env.ai.chatRequests).toHaveLength(0);
	});
});

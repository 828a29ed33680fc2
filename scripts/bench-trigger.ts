/**
 * Webhook-path benchmark (not a test): deliveries/s and n8n CPU per delivery for the WhatsAuto Trigger
 * next to n8n's built-in Webhook node, in the same real n8n, with default settings and with
 * N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true. Closed loop: BENCH_CONCURRENCY clients, BENCH_N deliveries per row.
 * Run: BENCH_SUITE=trigger npm run bench  (or `all`, with the workflow suite of scripts/bench.ts).
 */
import { createHmac } from 'node:crypto';

import { type N8n, startN8n } from '../devkit/n8n';
import { sampleGroups } from './bench-lib';

const APP_SECRET = 'bench_app_secret';
const PNID = '106540352242922';
const WEBHOOK_ID = 'be7c0000-0000-4000-8000-00000000be7c';

/** CPU seconds used so far by every process in n8n's process group (n8n and its task runner). */
const groupCpuSeconds = (pgid: number): number => sampleGroups([pgid]).cpuSeconds;

function metaBody(messageId: string): Buffer {
	const now = Math.floor(Date.now() / 1000);
	return Buffer.from(
		JSON.stringify({
			object: 'whatsapp_business_account',
			entry: [
				{
					id: '102290129340398',
					changes: [
						{
							field: 'messages',
							value: {
								messaging_product: 'whatsapp',
								metadata: { display_phone_number: '15550783881', phone_number_id: PNID },
								contacts: [{ profile: { name: 'Bench' }, wa_id: '16505551234' }],
								messages: [{ from: '16505551234', id: messageId, timestamp: String(now), type: 'text', text: { body: 'Ol\\u00e1' } }],
							},
						},
					],
				},
			],
		}).replace('Ol\\\\u00e1', 'Ol\\u00e1'),
	);
}

const sign = (body: Buffer) => `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`;

interface Scenario {
	name: string;
	url: (n8n: N8n) => string;
	request: (i: number) => { body: Buffer; headers: Record<string, string> };
	expectedStatus: number;
	startsExecution: boolean;
	workflowId: string;
}

const scenarios: Scenario[] = [
	{
		name: 'built-in Webhook → No-Op',
		url: (n8n) => n8n.webhookUrl('bench-builtin'),
		request: (i) => ({ body: metaBody(`wamid.B${i}`), headers: {} }),
		expectedStatus: 200,
		startsExecution: true,
		workflowId: 'benchBuiltinHook',
	},
	{
		name: 'WhatsAuto Trigger → No-Op (new messages)',
		url: (n8n) => n8n.webhookUrl(`${WEBHOOK_ID}/webhook`),
		request: (i) => {
			const body = metaBody(`wamid.W${Date.now()}.${i}`);
			return { body, headers: { 'x-hub-signature-256': sign(body) } };
		},
		expectedStatus: 200,
		startsExecution: true,
		workflowId: 'benchWhatsAutoTr',
	},
	{
		name: 'WhatsAuto Trigger, duplicate deliveries',
		url: (n8n) => n8n.webhookUrl(`${WEBHOOK_ID}/webhook`),
		request: () => {
			const body = metaBody('wamid.DUPLICATE');
			return { body, headers: { 'x-hub-signature-256': sign(body) } };
		},
		expectedStatus: 200,
		startsExecution: false,
		workflowId: 'benchWhatsAutoTr',
	},
	{
		name: 'WhatsAuto Trigger, bad signatures',
		url: (n8n) => n8n.webhookUrl(`${WEBHOOK_ID}/webhook`),
		request: (i) => ({ body: metaBody(`wamid.X${i}`), headers: { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } }),
		expectedStatus: 401,
		startsExecution: false,
		workflowId: 'benchWhatsAutoTr',
	},
];

async function post(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; ms: number }> {
	const started = performance.now();
	const response = await fetch(url, {
		method: 'POST',
		body,
		headers: { 'content-type': 'application/json', ...headers },
		signal: AbortSignal.timeout(30_000),
	});
	await response.arrayBuffer();
	return { status: response.status, ms: performance.now() - started };
}

async function run(n8n: N8n, scenario: Scenario, count: number, concurrency: number): Promise<TriggerRow> {
	const pgid = n8n.pid!;
	const before = (await n8n.executions({ workflowId: scenario.workflowId })).length;
	const cpu0 = groupCpuSeconds(pgid);
	const started = performance.now();
	const latencies: number[] = [];
	let next = 0;
	let unexpected = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < count) {
				const i = next++;
				const { body, headers } = scenario.request(i);
				const result = await post(scenario.url(n8n), body, headers);
				if (result.status !== scenario.expectedStatus) unexpected++;
				latencies.push(result.ms);
			}
		}),
	);
	if (scenario.startsExecution) await n8n.waitForExecutions(before + count, { workflowId: scenario.workflowId, timeoutMs: 600_000 });
	const seconds = (performance.now() - started) / 1000;
	const cpu = groupCpuSeconds(pgid) - cpu0;
	latencies.sort((a, b) => a - b);
	return {
		scenario: scenario.name,
		perSecond: count / seconds,
		cpuMsPerDelivery: (cpu * 1000) / count,
		p50Ms: latencies[Math.floor(latencies.length / 2)],
		p99Ms: latencies[Math.floor(latencies.length * 0.99)],
		unexpected,
	};
}

async function bench(label: string, env: Record<string, string>, n: number, concurrency: number, track: (n8n: N8n) => void) {
	const n8n = await startN8n({
		env,
		activation: 'db',
		credentials: [
			{
				id: 'benchMetaCred001',
				name: 'Bench Meta',
				type: 'whatsAutoMetaApi',
				data: { accessToken: 't', appSecret: APP_SECRET, verifyToken: 'v', phoneNumberId: PNID, businessAccountId: '102290129340398', baseUrl: 'http://127.0.0.1:9' },
			},
		],
		workflows: [
			{
				id: 'benchBuiltinHook',
				name: 'Bench built-in webhook',
				nodes: [
					{ name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, parameters: { httpMethod: 'POST', path: 'bench-builtin', responseMode: 'onReceived', responseData: '', options: {} } },
					{ name: 'No Op', type: 'n8n-nodes-base.noOp', typeVersion: 1 },
				],
				connections: { Webhook: { main: [[{ node: 'No Op', type: 'main', index: 0 }]] } },
			},
			{
				id: 'benchWhatsAutoTr',
				name: 'Bench WhatsAuto trigger',
				nodes: [
					{
						name: 'WhatsAuto Trigger',
						type: 'n8n-nodes-whatsauto.whatsAutoTrigger',
						typeVersion: 2,
						webhookId: WEBHOOK_ID,
						parameters: { options: { subscribeOnActivation: false } },
						credentials: { whatsAutoMetaApi: { id: 'benchMetaCred001', name: 'Bench Meta' } },
					},
					{ name: 'No Op', type: 'n8n-nodes-base.noOp', typeVersion: 1 },
				],
				connections: { 'WhatsAuto Trigger': { main: [[{ node: 'No Op', type: 'main', index: 0 }], [], []] } },
			},
		],
		activate: 'all',
	});
	track(n8n);
	try {
		for (const scenario of scenarios) await run(n8n, scenario, Math.min(20, n), concurrency);
		const rows: TriggerRow[] = [];
		for (const scenario of scenarios) rows.push(await run(n8n, scenario, n, concurrency));
		return { label, rows };
	} finally {
		await n8n.stop();
	}
}

export interface TriggerRow {
	scenario: string;
	perSecond: number;
	cpuMsPerDelivery: number;
	p50Ms: number;
	p99Ms: number;
	unexpected: number;
}

export interface TriggerSuiteResult {
	n: number;
	concurrency: number;
	results: Array<{ label: string; rows: TriggerRow[] }>;
}

/** n8n's expression-engine settings the webhook path is measured with (BENCH_TRIGGER_SETTINGS picks them by key). */
export const ENGINE_SETTINGS: Record<string, { label: string; env: Record<string, string> }> = {
	default: { label: 'default settings', env: {} },
	lazy: { label: 'N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true', env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' } },
	'lazy-compile-cache': {
		label: 'LAZY_ACQUIRE=true, COMPILE_CACHE=true',
		env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true', N8N_EXPRESSION_ENGINE_COMPILE_CACHE: 'true' },
	},
	'pool-4': { label: 'N8N_EXPRESSION_ENGINE_POOL_SIZE=4', env: { N8N_EXPRESSION_ENGINE_POOL_SIZE: '4' } },
	'compile-cache': { label: 'N8N_EXPRESSION_ENGINE_COMPILE_CACHE=true', env: { N8N_EXPRESSION_ENGINE_COMPILE_CACHE: 'true' } },
	legacy: { label: 'N8N_EXPRESSION_ENGINE=legacy', env: { N8N_EXPRESSION_ENGINE: 'legacy' } },
};

/** The four scenarios under each chosen engine setting (default: default and lazy); `track` gets each n8n started (to stop it on Ctrl-C). */
export async function runTriggerSuite(options: { n?: number; concurrency?: number; track?: (n8n: N8n) => void } = {}): Promise<TriggerSuiteResult> {
	const n = options.n ?? Number(process.env.BENCH_N ?? 200);
	const concurrency = options.concurrency ?? Number(process.env.BENCH_CONCURRENCY ?? 4);
	const track = options.track ?? (() => undefined);
	const keys = (process.env.BENCH_TRIGGER_SETTINGS ?? 'default,lazy').split(',').map((key) => key.trim()).filter(Boolean);
	for (const key of keys) if (!ENGINE_SETTINGS[key]) throw new Error(`BENCH_TRIGGER_SETTINGS: "${key}" is not one of ${Object.keys(ENGINE_SETTINGS).join(', ')}`);
	const results = [];
	for (const key of keys) results.push(await bench(ENGINE_SETTINGS[key].label, ENGINE_SETTINGS[key].env, n, concurrency, track));
	return { n, concurrency, results };
}

export function triggerMarkdown({ n, concurrency, results }: TriggerSuiteResult): string {
	const lines = [
		`Webhook path, ${n} deliveries per row, concurrency ${concurrency}, n8n CPU (all processes of its group):`,
		'',
		'| settings | scenario | deliveries/s | CPU ms/delivery | p50 ms | p99 ms | vs built-in CPU |',
		'|---|---|---|---|---|---|---|',
	];
	for (const { label, rows } of results) {
		const baseline = rows[0].cpuMsPerDelivery;
		for (const row of rows) {
			const flag = row.unexpected ? ` (${row.unexpected} unexpected statuses)` : '';
			lines.push(
				`| ${label} | ${row.scenario}${flag} | ${row.perSecond.toFixed(1)} | ${row.cpuMsPerDelivery.toFixed(1)} | ${row.p50Ms.toFixed(0)} | ${row.p99Ms.toFixed(0)} | ${(row.cpuMsPerDelivery / baseline).toFixed(2)}× |`,
			);
		}
	}
	return lines.join('\n');
}

if (require.main === module) {
	runTriggerSuite()
		.then((result) => console.log(`\n${triggerMarkdown(result)}`))
		.catch((error: unknown) => {
			console.error(error);
			process.exit(1);
		});
}

/**
 * The auto-responder template in n8n queue mode: Redis (scripts/redis.sh) and PostgreSQL (scripts/postgres.sh),
 * then n8n 2.41.1 as one main, one webhook process and two workers (devkit/n8n/queue.ts), this package installed
 * once and loaded by all four, n8n's own data in a fresh PostgreSQL database and the WhatsAuto store on the same
 * server in a schema of its own. Meta is the fake Graph API, whose webhook sender posts signed deliveries to the
 * webhook process; OpenAI is the fake OpenAI.
 *
 * The template has the conversation gate on: the webhook process stores each message in the store's inbox before
 * Meta's 200 and starts nothing; the main's trigger hands the turns on (a contact's messages within 3 s of each other
 * are one turn; up to 20 turns per execution, at most 4 executions in flight) and enqueues their executions, which
 * the workers run.
 *
 * Proves: every message is answered exactly once; the executions ran on the workers (n8n's execution records in
 * PostgreSQL, matched one to one by the workers' "Worker started/finished execution <id>" log lines, with both
 * workers busy at the same time); a delivery the webhook process gets twice (at once, and again later) is answered
 * once and starts one execution.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { startFakeGraphApi, type DeliverInput, type DeliveryResult, type FakeGraphApi } from '../../devkit/fakes/graph-api';
import { startFakeOpenAi, type FakeOpenAi } from '../../devkit/fakes/openai';
import { msg } from '../../devkit/fakes/webhook-payloads';
import { startPostgres, startQueueMode, startRedis, type PostgresConnection, type QueueExecutionRow, type QueueMode, type RedisConnection, type Service } from '../../devkit/n8n';
import {
	ACCOUNT,
	bindCredentials,
	DISCLOSURE,
	loadTemplate,
	marker,
	OPENAI_KEY,
	sentText,
	sleep,
	splitDisclosure,
	STORE_SECRET,
	templateCredentials,
	waitUntil,
	WORKFLOW_IDS,
} from './templates-env';

jest.setTimeout(300_000);

const WF = WORKFLOW_IDS.autoResponder;
const STORE_SCHEMA = 'whatsauto_queue_e2e';
/** Jobs each worker runs at once: with the model held, a third and later execution must wait for the other worker. */
const WORKER_CONCURRENCY = 2;
/** Apart by more than the gate's hand-off poll (250 ms), each customer's turn is ready on its own: one execution each. */
const STAGGER_MS = 1_000;
const REPLY_TIMEOUT = 90_000;

let nextNumber = 100;
const customer = () => `4477008${String(nextNumber++).padStart(5, '0')}`;

describe('queue mode: main + webhook process + 2 workers on Redis and PostgreSQL, in real n8n', () => {
	let redis: Service<RedisConnection> | undefined;
	let postgres: Service<PostgresConnection> | undefined;
	let graph: FakeGraphApi | undefined;
	let ai: FakeOpenAi | undefined;
	let stack: QueueMode;
	let gate: Promise<void> | undefined;
	const t0 = Date.now();
	const timings: Record<string, number> = {};

	beforeAll(async () => {
		[redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
		timings.servicesMs = Date.now() - t0;
		graph = await startFakeGraphApi({ ...ACCOUNT });
		ai = await startFakeOpenAi({
			apiKey: OPENAI_KEY,
			responder: async () => {
				if (gate) await gate;
				return `Happy to help! ${marker('REPLY')}`;
			},
		});
		const credentials = templateCredentials(graph, ai);
		const template = { ...bindCredentials(loadTemplate('autoResponder'), credentials), id: WF };
		const t1 = Date.now();
		stack = await startQueueMode({
			redis: redis.connection,
			postgres: postgres.connection,
			workers: 2,
			workerConcurrency: WORKER_CONCURRENCY,
			lazyAcquire: true,
			// the template's store credential, on PostgreSQL: n8n's database, a schema of its own
			credentials: (db) =>
				credentials.map((c) =>
					c.name === 'WhatsAuto: Store'
						? { ...c, data: { backend: 'postgres', host: db.host, port: db.port, database: db.database, user: db.user, password: db.password, ssl: false, schema: STORE_SCHEMA, secretKey: STORE_SECRET } }
						: c,
				),
			workflows: [template],
		});
		timings.stackMs = Date.now() - t1;
		const trigger = template.nodes.find((n) => n.type === 'n8n-nodes-whatsauto.whatsAutoTrigger')!;
		graph.setWebhookTarget(stack.webhookUrl(`${trigger.webhookId}/webhook`));
	}, 600_000);

	afterAll(async () => {
		gate = undefined;
		const t = Date.now();
		await stack?.stop();
		await Promise.allSettled([graph?.close(), ai?.close()]);
		await Promise.allSettled([redis?.stop(), postgres?.stop()]);
		process.stderr.write(
			`queue-mode e2e timings: services ${timings.servicesMs} ms, stack start ${timings.stackMs} ms, stop ${Date.now() - t} ms, total ${Date.now() - t0} ms\n`,
		);
	}, 120_000);

	const sentTo = (waId: string) => graph!.sent.filter((s) => s.waId === waId);
	/** One POST to the webhook process; a POST that never reached it (a closed keep-alive socket) is sent again, as Meta would. */
	async function deliver(input: DeliverInput): Promise<DeliveryResult> {
		const [first] = await graph!.deliver(input);
		if (first.status !== 0 || !/ECONNRESET|socket hang up/i.test(first.error ?? '')) return first;
		const [again] = await graph!.deliver(input);
		return again;
	}
	const ended = (row: QueueExecutionRow) => ['success', 'error', 'crashed', 'canceled'].includes(row.status) || row.deletedAt !== null;
	const executionIds = async () => (await stack.executionRows(WF)).map((r) => r.id);

	it('runs main, webhook process and two workers, each its own process with the package loaded', async () => {
		const { main, webhook, workers } = stack.pids;
		expect(new Set([main, webhook, ...workers]).size).toBe(4);
		for (const pid of [main, webhook, ...workers]) expect(pid).toEqual(expect.any(Number));
		expect(stack.webhookBaseUrl).not.toBe(stack.editorUrl);
		for (const url of stack.workerUrls) expect((await fetch(`${url}/healthz/readiness`)).status).toBe(200);
		// production webhooks are served by the webhook process only
		const path = new URL(graph!.webhookTarget!).pathname;
		expect((await fetch(`${stack.editorUrl}${path}`, { method: 'POST', body: '{}' })).status).toBe(404);
		// the trigger subscribed the business account when the main activated the workflow
		expect(graph!.subscriptions.some((s) => s.kind === 'subscribed_apps')).toBe(true);
		// n8n's data is in PostgreSQL, and no process fell back to a SQLite store
		const [{ n }] = await stack.query<{ n: string }>('SELECT count(*) AS n FROM workflow_entity WHERE id = $1 AND "activeVersionId" IS NOT NULL', [WF]);
		expect(Number(n)).toBe(1);
		for (const p of [stack.main, stack.webhook, ...stack.workers]) {
			expect(existsSync(join(p.userFolder, '.n8n', 'nodes', 'node_modules', 'n8n-nodes-whatsauto', 'package.json'))).toBe(true);
			expect(p.logs()).not.toMatch(/Failed to load package "n8n-nodes-whatsauto"|Unrecognized node type/);
		}
	});

	it('answers every message exactly once, the executions run on both workers', async () => {
		const before = new Set(await executionIds());
		const who = Array.from({ length: 6 }, customer);
		let release!: () => void;
		gate = new Promise<void>((resolve) => (release = resolve));
		try {
			// one message per customer, a second apart: each turn is ready on its own, and with the model held each
			// execution stays in flight, so the main hands on up to 4 at once (the gate's limit; the rest waits in the store)
			for (const [i, waId] of who.entries()) {
				if (i > 0) await sleep(STAGGER_MS);
				expect((await deliver(msg.text(waId, `Question ${i + 1}: do you deliver on Saturdays?`))).status).toBe(200);
			}
			// both workers hold WORKER_CONCURRENCY jobs at once: 2 × 2 chat requests waiting
			await waitUntil('both workers busy', () => ai!.chatRequests.filter((r) => r.status === 0).length >= 2 * WORKER_CONCURRENCY, 60_000);
		} finally {
			release();
			gate = undefined;
		}
		for (const waId of who) await waitUntil(`a reply to ${waId}`, () => sentTo(waId).length >= 1, REPLY_TIMEOUT);
		await sleep(3_000);
		for (const waId of who) {
			expect(sentTo(waId)).toHaveLength(1);
			// a first reply: the AI disclosure, then the model's answer
			const { disclosure, rest } = splitDisclosure(sentText(sentTo(waId)[0]));
			expect(disclosure).toBe(DISCLOSURE);
			expect(rest).toMatch(/^Happy to help! /);
		}
		expect(ai!.chatRequests).toHaveLength(who.length);

		// n8n's execution records (PostgreSQL): executions the main's trigger started (mode "trigger"), at least 4
		// (in flight at once), at most one per turn, each ended; the template saves no execution data, so n8n
		// soft-deletes each record once its execution has ended
		const rows = await waitUntil('the executions ended', async () => {
			const found = (await stack.executionRows(WF)).filter((r) => !before.has(r.id));
			return found.length >= 2 * WORKER_CONCURRENCY && found.every(ended) ? found : undefined;
		});
		expect(rows.length).toBeGreaterThanOrEqual(2 * WORKER_CONCURRENCY);
		expect(rows.length).toBeLessThanOrEqual(who.length);
		for (const row of rows) {
			expect(row).toMatchObject({ mode: 'trigger', status: 'success', finished: true });
			expect(row.deletedAt).toBeInstanceOf(Date);
		}

		// ... each started and finished by exactly one worker, both workers took some, the main and the webhook process none
		const ids = rows.map((r) => r.id);
		const runs = stack.workerRuns();
		expect(runs).toHaveLength(2);
		for (const id of ids) {
			expect(runs.filter((r) => r.started.includes(id))).toHaveLength(1);
			expect(runs.filter((r) => r.finished.includes(id))).toHaveLength(1);
		}
		for (const run of runs) expect(run.started.filter((id) => ids.includes(id)).length).toBeGreaterThan(0);
		for (const p of [stack.main, stack.webhook]) expect(p.logs()).not.toMatch(/Worker started execution/);
		// the main put them on the queue (its trigger started them); the webhook process only stored the messages
		for (const id of ids) expect(stack.main.logs()).toContain(`Enqueued execution ${id} (job `);
		expect(stack.webhook.logs()).not.toMatch(/Enqueued execution/);
		const [{ waiting }] = await stack.query<{ waiting: string }>(`SELECT count(*) AS waiting FROM ${STORE_SCHEMA}.inbox`);
		expect(Number(waiting)).toBe(0);

		// the WhatsAuto store is the PostgreSQL one, shared by the webhook process and the workers
		const [{ replies }] = await stack.query<{ replies: string }>(`SELECT count(*) AS replies FROM ${STORE_SCHEMA}.records WHERE scope = 'reply'`);
		expect(Number(replies)).toBeGreaterThanOrEqual(who.length);
		for (const p of [stack.main, stack.webhook, ...stack.workers]) expect(existsSync(join(p.userFolder, '.n8n', 'whatsauto.sqlite'))).toBe(false);
	});

	it('answers a message the webhook process receives twice at once, and once more later, exactly once', async () => {
		const before = new Set(await executionIds());
		const waId = customer();
		const message = msg.text(waId, 'Is the shop open on Sunday?');
		const twice = await Promise.all([deliver(message), deliver(message)]);
		expect(twice.map((r) => r.status)).toEqual([200, 200]);
		await waitUntil(`a reply to ${waId}`, () => sentTo(waId).length >= 1, REPLY_TIMEOUT);
		const again = await deliver(message);
		expect(again.status).toBe(200);
		await sleep(4_000);
		expect(sentTo(waId)).toHaveLength(1);
		const rows = await waitUntil('the execution ended', async () => {
			const found = (await stack.executionRows(WF)).filter((r) => !before.has(r.id));
			return found.length > 0 && found.every(ended) ? found : undefined;
		});
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({ mode: 'trigger', status: 'success', finished: true });
		expect(stack.workerRuns().filter((r) => r.started.includes(rows[0].id))).toHaveLength(1);
	});
});

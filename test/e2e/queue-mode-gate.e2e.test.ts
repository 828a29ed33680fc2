/**
 * The auto-responder template with the Conversation Gate on, in n8n queue mode (devkit/n8n/queue.ts: Redis,
 * PostgreSQL, one main, one webhook process, two workers; the WhatsAuto store on PostgreSQL). The webhook process
 * writes messages to the inbox; the main's `trigger()` hands turns on; the workers run the executions.
 */
import { startFakeGraphApi, type DeliverInput, type DeliveryResult, type FakeGraphApi } from '../../devkit/fakes/graph-api';
import { startFakeOpenAi, type FakeOpenAi } from '../../devkit/fakes/openai';
import { msg } from '../../devkit/fakes/webhook-payloads';
import { startPostgres, startQueueMode, startRedis, type PostgresConnection, type QueueMode, type RedisConnection, type Service } from '../../devkit/n8n';
import { ACCOUNT, bindCredentials, loadTemplate, marker, OPENAI_KEY, sentText, sleep, STORE_SECRET, templateCredentials, waitUntil, WORKFLOW_IDS } from './templates-env';

jest.setTimeout(300_000);

const WF = WORKFLOW_IDS.autoResponder;
const STORE_SCHEMA = 'whatsauto_queue_gate_e2e';
const REPLY_TIMEOUT = 90_000;
let nextNumber = 500;
const customer = () => `4477009${String(nextNumber++).padStart(5, '0')}`;

describe('queue mode with the Conversation Gate, in real n8n', () => {
	let redis: Service<RedisConnection> | undefined;
	let postgres: Service<PostgresConnection> | undefined;
	let graph: FakeGraphApi | undefined;
	let ai: FakeOpenAi | undefined;
	let stack: QueueMode;

	beforeAll(async () => {
		[redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
		graph = await startFakeGraphApi({ ...ACCOUNT });
		ai = await startFakeOpenAi({ apiKey: OPENAI_KEY, responder: async () => `Happy to help! ${marker('REPLY')}` });
		const credentials = templateCredentials(graph, ai);
		const template = { ...bindCredentials(loadTemplate('autoResponder'), credentials), id: WF };
		const trigger = template.nodes.find((n) => n.type === 'n8n-nodes-whatsauto.whatsAutoTrigger')!;
		const parameters = trigger.parameters as { options?: Record<string, unknown> };
		trigger.parameters = { ...parameters, options: { ...parameters.options, conversationGate: true, gateDebounceSeconds: 1.5 } };
		stack = await startQueueMode({
			redis: redis.connection,
			postgres: postgres.connection,
			workers: 2,
			lazyAcquire: true,
			credentials: (db) =>
				credentials.map((c) =>
					c.name === 'WhatsAuto: Store'
						? { ...c, data: { backend: 'postgres', host: db.host, port: db.port, database: db.database, user: db.user, password: db.password, ssl: false, schema: STORE_SCHEMA, secretKey: STORE_SECRET } }
						: c,
				),
			workflows: [template],
		});
		graph.setWebhookTarget(stack.webhookUrl(`${trigger.webhookId}/webhook`));
	}, 600_000);

	afterAll(async () => {
		await stack?.stop();
		await Promise.allSettled([graph?.close(), ai?.close()]);
		await Promise.allSettled([redis?.stop(), postgres?.stop()]);
	}, 120_000);

	const sentTo = (waId: string) => graph!.sent.filter((s) => s.waId === waId);
	async function deliver(input: DeliverInput): Promise<DeliveryResult> {
		const [first] = await graph!.deliver(input);
		if (first.status !== 0 || !/ECONNRESET|socket hang up/i.test(first.error ?? '')) return first;
		const [again] = await graph!.deliver(input);
		return again;
	}

	it('answers each contact’s burst of 3 with one model call and one reply, the executions on the workers', async () => {
		const who = Array.from({ length: 3 }, customer);
		for (const text of ['hi', 'do you have', 'blue mugs?']) {
			const results = await Promise.all(who.map((waId) => deliver(msg.text(waId, text))));
			expect(results.map((r) => r.status)).toEqual(who.map(() => 200));
		}
		for (const waId of who) await waitUntil(`a reply to ${waId}`, () => sentTo(waId).length >= 1, REPLY_TIMEOUT);
		await sleep(4_000);
		for (const waId of who) {
			expect(sentTo(waId)).toHaveLength(1);
			expect(sentText(sentTo(waId)[0])).toMatch(/^Happy to help! /);
		}
		expect(ai!.chatRequests).toHaveLength(who.length);
		const rows = await stack.executionRows(WF);
		expect(rows.length).toBeGreaterThanOrEqual(1);
		expect(rows.length).toBeLessThanOrEqual(who.length);
		for (const row of rows) expect(row.mode).toBe('trigger');
		const ids = rows.map((r) => r.id);
		const started = stack.workerRuns().flatMap((r) => r.started);
		for (const id of ids) expect(started).toContain(id);
		// everything handed on left the inbox
		await waitUntil('an empty inbox', async () => {
			const [{ n }] = await stack.query<{ n: string }>(`SELECT count(*) AS n FROM ${STORE_SCHEMA}.inbox`);
			return Number(n) === 0 ? true : undefined;
		}, 30_000);
	});
});

/**
 * The auto-responder template as shipped (the Conversation Gate on, the Conversation features on) in n8n queue mode
 * (devkit/n8n/queue.ts: Redis, PostgreSQL, one main, one webhook process, two workers; the WhatsAuto store on
 * PostgreSQL). The webhook process writes messages to the inbox; the main's `trigger()` hands turns on; the workers
 * run the executions, sharing the store: a customer's memory and a pause hold whichever worker answers.
 */
import { startFakeGraphApi, type DeliverInput, type DeliveryResult, type FakeGraphApi } from '../../devkit/fakes/graph-api';
import { startFakeOpenAi, type FakeOpenAi } from '../../devkit/fakes/openai';
import { msg, type WebhookMessage } from '../../devkit/fakes/webhook-payloads';
import { conversationText } from '../../nodes/shared/conversation/messages';
import { deriveKeys, pseudonymise } from '../../nodes/shared/crypto';
import { startPostgres, startQueueMode, startRedis, type PostgresConnection, type QueueMode, type RedisConnection, type Service } from '../../devkit/n8n';
import {
	ACCOUNT,
	bindCredentials,
	BUSINESS_NAME,
	DISCLOSURE,
	loadTemplate,
	marker,
	MEMORY_PREFIX,
	MEMORY_TTL_MS,
	OPENAI_KEY,
	sentText,
	sleep,
	splitDisclosure,
	STORE_SECRET,
	storeMessageRef,
	templateCredentials,
	waitUntil,
	WORKFLOW_IDS,
} from './templates-env';

jest.setTimeout(300_000);

const WF = WORKFLOW_IDS.autoResponder;
const STORE_SCHEMA = 'whatsauto_queue_gate_e2e';
const REPLY_TIMEOUT = 90_000;
let nextNumber = 500;
const customer = () => `4477009${String(nextNumber++).padStart(5, '0')}`;
const keys = deriveKeys(STORE_SECRET);
const subjectOf = (waId: string) => pseudonymise(keys.pseudonymKey, waId);

describe('queue mode with the Conversation Gate, in real n8n', () => {
	let redis: Service<RedisConnection> | undefined;
	let postgres: Service<PostgresConnection> | undefined;
	let graph: FakeGraphApi | undefined;
	let ai: FakeOpenAi | undefined;
	let stack: QueueMode;

	beforeAll(async () => {
		[redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
		graph = await startFakeGraphApi({ ...ACCOUNT });
		// echoes the markers of the message it answers (not those of the history), plus one of its own
		ai = await startFakeOpenAi({
			apiKey: OPENAI_KEY,
			responder: async (req) => {
				const now = req.messages.at(-1)?.role === 'user' ? req.messages.at(-1)!.text : '';
				return `Happy to help! ${(now.match(/ZEBRA-[A-Z]+-[A-Z]{12}/g) ?? []).join(' ')} ${marker('REPLY')}`;
			},
		});
		const credentials = templateCredentials(graph, ai);
		const template = { ...bindCredentials(loadTemplate('autoResponder'), credentials), id: WF };
		const trigger = template.nodes.find((n) => n.type === 'n8n-nodes-whatsauto.whatsAutoTrigger')!;
		// the template as shipped: the gate on (default timings), no change here
		expect((trigger.parameters as { options?: Record<string, unknown> }).options).toMatchObject({ conversationGate: true });
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
			const { disclosure, rest } = splitDisclosure(sentText(sentTo(waId)[0]));
			expect(disclosure).toBe(DISCLOSURE);
			expect(rest).toMatch(/^Happy to help! /);
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

	// ------------------------------------------------------------------------------------------ conversation

	/** The Auto-Reply's recorded outcome for an inbound message (the store's `reply` record, keyed as the node keys it). */
	async function outcomeOf(messageId: string): Promise<Record<string, unknown> | undefined> {
		const opaque = (value: string) => pseudonymise(keys.pseudonymKey, value);
		const candidates = [`${ACCOUNT.phoneNumberId}:${messageId}`, `${ACCOUNT.phoneNumberId}:${storeMessageRef(messageId)}`];
		const rows = await stack.query<{ value: string }>(`SELECT value FROM ${STORE_SCHEMA}.records WHERE scope = 'reply' AND key = ANY($1)`, [
			[...candidates.map(opaque), candidates[0]],
		]);
		return rows[0] ? (JSON.parse(String(rows[0].value)) as Record<string, unknown>) : undefined;
	}
	const waitForOutcome = async (messageId: string) => await waitUntil(`the outcome of ${messageId}`, () => outcomeOf(messageId), REPLY_TIMEOUT);
	async function say(waId: string, text: string): Promise<{ message: WebhookMessage; outcome: Record<string, unknown> }> {
		const message = msg.text(waId, text);
		expect((await deliver(message)).status).toBe(200);
		return { message, outcome: await waitForOutcome(message.id) };
	}
	const memoryOf = async (waId: string) =>
		await stack.query<{ ref: string; expires_at: string }>(`SELECT ref, expires_at FROM ${STORE_SCHEMA}.content WHERE contact_key = $1 AND ref LIKE $2`, [
			subjectOf(waId),
			`${MEMORY_PREFIX}%`,
		]);
	/** Which worker ran each execution that started since `before` (n8n's own records and the workers' logs). */
	async function workersOf(before: Set<string>): Promise<number[]> {
		const rows = await waitUntil('the executions ended', async () => {
			const found = (await stack.executionRows(WF)).filter((r) => !before.has(r.id));
			return found.length > 0 && found.every((r) => ['success', 'error', 'crashed', 'canceled'].includes(r.status) || r.deletedAt !== null) ? found : undefined;
		}, 60_000);
		const runs = stack.workerRuns();
		return rows.map((row) => {
			expect(row).toMatchObject({ mode: 'trigger', status: 'success' });
			const ran = runs.filter((r) => r.started.includes(row.id));
			expect(ran).toHaveLength(1);
			return ran[0].worker;
		});
	}

	it('memory across workers: one customer’s two messages answered in order, the second with the first turn', async () => {
		const waId = customer();
		const executionsBefore = new Set((await stack.executionRows(WF)).map((r) => r.id));
		const mug = marker('MUG');
		const first = await say(waId, `Do you sell blue mugs? ${mug}`);
		expect(first.outcome).toMatchObject({ status: 'replied' });
		const [firstReply] = sentTo(waId);
		const { disclosure, rest: firstAnswer } = splitDisclosure(sentText(firstReply));
		expect(disclosure).toBe(DISCLOSURE);
		expect(firstAnswer).toContain(mug);
		const memory = await memoryOf(waId);
		expect(memory).toHaveLength(1);
		expect(Number(memory[0].expires_at)).toBeLessThanOrEqual(Date.now() + MEMORY_TTL_MS);
		expect(Number(memory[0].expires_at)).toBeGreaterThan(Date.now() + MEMORY_TTL_MS - 5 * 60_000);

		const price = marker('PRICE');
		const second = await say(waId, `How much is it? ${price}`);
		expect(second.outcome).toMatchObject({ status: 'replied' });
		const requests = ai!.chatRequests.filter((r) => JSON.stringify(r.body).includes(price));
		expect(requests).toHaveLength(1);
		const { messages } = requests[0];
		expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
		expect(messages[1].text).toMatch(/^Earlier in this conversation:\n/);
		expect(messages[1].text).toContain(`Do you sell blue mugs? ${mug}`);
		expect(messages[2].text).toBe(firstAnswer);
		expect(messages[3].text).toContain(`How much is it? ${price}`);
		// in order: the second request left after the first reply was sent, and its reply came second
		expect(requests[0].at.getTime()).toBeGreaterThanOrEqual(firstReply.at.getTime());
		const replies = sentTo(waId);
		expect(replies).toHaveLength(2);
		expect(sentText(replies[1])).toContain(price);
		expect(splitDisclosure(sentText(replies[1])).disclosure).toBeUndefined();
		expect(await memoryOf(waId)).toHaveLength(2);
		// both turns ran on the workers (the memory is in the shared PostgreSQL store, whichever worker answers)
		const workers = await workersOf(executionsBefore);
		expect(workers.length).toBeGreaterThanOrEqual(2);
		process.stderr.write(`queue-mode-gate: the two turns of one customer ran on workers ${JSON.stringify(workers)}\n`);
	});

	it('"human" pauses the customer for every worker: the handoff message, then no reply to later turns', async () => {
		const waId = customer();
		const executionsBefore = new Set((await stack.executionRows(WF)).map((r) => r.id));
		const ask = await say(waId, 'human');
		expect(ask.outcome).toMatchObject({ status: 'handoff', reason: 'handoff_requested' });
		expect(sentTo(waId).map(sentText)).toEqual([conversationText('handoff', 'en', { business: BUSINESS_NAME })]);
		const [pause] = await stack.query<{ value: string }>(`SELECT value FROM ${STORE_SCHEMA}.records WHERE scope = 'conversation-pause' AND key = $1`, [subjectOf(waId)]);
		expect(JSON.parse(String(pause.value))).toMatchObject({ reason: 'handoff' });

		// three later turns (each its own: sent after the previous one was settled), whichever worker runs them
		const quiet = [marker('PAUSEDA'), marker('PAUSEDB'), marker('PAUSEDC')];
		const later: WebhookMessage[] = [];
		for (const m of quiet) {
			const { message, outcome } = await say(waId, `Hello? ${m}`);
			expect(outcome).toMatchObject({ status: 'skipped', reason: 'paused_by_handoff', graphMessageIds: [] });
			later.push(message);
		}
		await sleep(1_000);
		expect(sentTo(waId)).toHaveLength(1);
		for (const m of later) expect(graph!.readReceipts.filter((r) => r.messageId === m.id)).toEqual([]);
		for (const m of quiet) expect(ai!.allReceivedText()).not.toContain(m);
		const workers = await workersOf(executionsBefore);
		expect(workers.length).toBeGreaterThanOrEqual(4);
		process.stderr.write(`queue-mode-gate: "human" and the three later turns ran on workers ${JSON.stringify(workers)}\n`);
	});
});

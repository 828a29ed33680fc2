/**
 * The Conversation Gate in a real n8n 2.x (pinned), installed from this repo's `npm pack` tarball, with Meta played
 * by the fake Graph API: n8n calls the trigger's `trigger()` next to its webhooks; a burst becomes one execution
 * with one turn item; n8n killed (SIGKILL) after acknowledging a burst hands it on once after its restart; n8n killed
 * while a turn's execution waits for the model answers that turn exactly once after its restart.
 */
import { startFakeGraphApi, type FakeGraphApi } from '../../devkit/fakes/graph-api';
import { startFakeOpenAi, type FakeOpenAi } from '../../devkit/fakes/openai';
import { msg } from '../../devkit/fakes/webhook-payloads';
import { type N8n, startN8n } from '../../devkit/n8n';
import { E2E_ACCOUNT, E2E_VERIFY_TOKEN, settle } from './e2e-account';

jest.setTimeout(300_000);

const ACCOUNT = E2E_ACCOUNT;
const WEBHOOK_ID = '5c0ffee0-0000-4000-8000-00000000e2e7';
const WORKFLOW_ID = 'whatsAutoE2eGate';


const OPENAI_KEY = 'sk-e2e-gate-0123456789abcdef';
const MODEL_ANSWER = 'Yes, we are open until six.';

describe('the Conversation Gate in real n8n', () => {
	let graph: FakeGraphApi;
	let ai: FakeOpenAi;
	let n8n: N8n;
	/** While set, the fake model answers only once it resolves. */
	let modelHeld: Promise<void> | undefined;

	beforeAll(async () => {
		graph = await startFakeGraphApi(ACCOUNT);
		ai = await startFakeOpenAi({
			apiKey: OPENAI_KEY,
			responder: async () => {
				if (modelHeld) await modelHeld;
				return MODEL_ANSWER;
			},
		});
		n8n = await startN8n({
			credentials: [
				{
					id: 'metaE2eCred00007',
					name: 'WhatsApp (fake Graph API)',
					type: 'whatsAutoMetaApi',
					data: graph.credentialData(E2E_VERIFY_TOKEN),
				},
				{ id: 'openAiE2eCred007', name: 'OpenAI (fake)', type: 'whatsAutoOpenAiApi', data: { apiKey: OPENAI_KEY, baseUrl: ai.baseUrl } },
			],
			workflows: [
				{
					id: WORKFLOW_ID,
					name: 'WhatsAuto gate e2e',
					nodes: [
						{
							name: 'WhatsAuto Trigger',
							type: 'n8n-nodes-whatsauto.whatsAutoTrigger',
							typeVersion: 2,
							webhookId: WEBHOOK_ID,
							parameters: { options: { conversationGate: true, gateDebounceSeconds: 2, subscribeOnActivation: false } },
							credentials: { whatsAutoMetaApi: { id: 'metaE2eCred00007', name: 'WhatsApp (fake Graph API)' } },
						},
						{ name: 'On Message', type: 'n8n-nodes-base.noOp', typeVersion: 1 },
						{
							name: 'Auto-Reply',
							type: 'n8n-nodes-whatsauto.whatsAutoReply',
							typeVersion: 1,
							parameters: { businessName: 'Gate E2E' },
							credentials: {
								whatsAutoMetaApi: { id: 'metaE2eCred00007', name: 'WhatsApp (fake Graph API)' },
								whatsAutoOpenAiApi: { id: 'openAiE2eCred007', name: 'OpenAI (fake)' },
							},
						},
					],
					connections: {
						'WhatsAuto Trigger': {
							main: [
								[
									{ node: 'On Message', type: 'main', index: 0 },
									{ node: 'Auto-Reply', type: 'main', index: 0 },
								],
								[],
								[],
							],
						},
					},
				},
			],
			activate: 'all',
		});
		graph.setWebhookTarget(n8n.webhookUrl(`${WEBHOOK_ID}/webhook`));
	});

	afterAll(async () => {
		modelHeld = undefined;
		await n8n?.stop();
		await Promise.allSettled([graph?.close(), ai?.close()]);
	});

	it('hands a burst of 3 on as one execution with one turn item', async () => {
		for (const [i, text] of ['hi', 'do you have', 'blue mugs?'].entries()) {
			const [result] = await graph.deliver([msg.text('16505551234', text, { id: `wamid.E2E.GATE.${i}` })]);
			expect(result.status).toBe(200);
		}
		const [execution] = await n8n.waitForExecutions(1, { workflowId: WORKFLOW_ID, timeoutMs: 30_000 });
		expect(execution.status).toBe('success');
		expect(execution.items['On Message']).toHaveLength(1);
		expect(execution.items['On Message'][0]).toMatchObject({ kind: 'turn', messageCount: 3, text: 'hi\ndo you have\nblue mugs?' });
		await settle(3000);
		expect(await n8n.executions({ workflowId: WORKFLOW_ID })).toHaveLength(1);
	});

	it('after n8n is killed with a burst acknowledged, hands it on once after the restart', async () => {
		for (const [i, text] of ['are you', 'open today?'].entries()) {
			const [result] = await graph.deliver([msg.text('16505559876', text, { id: `wamid.E2E.KILL.${i}` })]);
			expect(result.status).toBe(200);
		}
		process.kill(-n8n.pid!, 'SIGKILL');
		await settle(1000);
		await n8n.restart();
		const executions = await n8n.waitForExecutions(2, { workflowId: WORKFLOW_ID, timeoutMs: 60_000 });
		const turns = executions.flatMap((e) => e.items['On Message'] ?? []).filter((item) => item.messageCount === 2);
		expect(turns).toHaveLength(1);
		expect(turns[0]).toMatchObject({ kind: 'turn', text: 'are you\nopen today?' });
		await settle(4000);
		expect(await n8n.executions({ workflowId: WORKFLOW_ID })).toHaveLength(2);
	});

	it('after n8n is killed while a turn waits for the model, answers it exactly once after the restart', async () => {
		const customer = '16505554321';
		const texts = () => graph.sent.filter((r) => r.waId === customer && r.type === 'text');
		let release!: () => void;
		modelHeld = new Promise<void>((resolve) => (release = resolve));
		const [result] = await graph.deliver([msg.text(customer, 'are you open tonight?', { id: 'wamid.E2E.LEASED.0' })]);
		expect(result.status).toBe(200);
		// the turn is handed on, its execution has asked the model and waits: the turn is leased, its reply lease taken
		const asked = Date.now();
		while (!ai.chatRequests.some((r) => JSON.stringify(r.body).includes('open tonight')) && Date.now() - asked < 30_000) await settle(200);
		expect(ai.chatRequests.filter((r) => JSON.stringify(r.body).includes('open tonight'))).toHaveLength(1);
		process.kill(-n8n.pid!, 'SIGKILL');
		modelHeld = undefined;
		release();
		await settle(1000);
		await n8n.restart();
		// the dead lease lapses (30 s), the turn is handed on again and answered: within a minute of n8n being ready
		const restarted = Date.now();
		while (texts().length === 0 && Date.now() - restarted < 90_000) await settle(500);
		expect(texts()).toHaveLength(1);
		expect(texts()[0].body).toMatchObject({ text: { body: MODEL_ANSWER } });
		expect(Date.now() - restarted).toBeLessThan(60_000);
		await settle(5000);
		expect(texts()).toHaveLength(1);
		expect(ai.chatRequests.filter((r) => JSON.stringify(r.body).includes('open tonight'))).toHaveLength(2);
	});
});

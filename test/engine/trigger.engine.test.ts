/**
 * The WhatsAuto Trigger inside n8n-core's real engine: its webhook is called through n8n-core's
 * `WebhookContext` (credentials through the context's own credential lookup, the HTTP answer through the
 * response object), and the execution it starts runs through `WorkflowExecute` into pass-through nodes on
 * each of the three outputs. Deduplication uses the real SQLite store in a temporary N8N_USER_FOLDER.
 */
import { userFolder, removeUserFolder } from './user-folder';

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

import type { ICredentialDataDecryptedObject, INode, INodeExecutionData, INodeParameters, IRun } from 'n8n-workflow';

import { WhatsAutoTrigger } from '../../nodes/WhatsAutoTrigger/WhatsAutoTrigger.node';
import { closeAllStores } from '../../nodes/shared/store';
import { toContentKeys } from '../../nodes/shared/store/access';
import { signWebhook, webhookBytes } from '../../devkit/fakes/meta-json';
import {
	envelope,
	messagesChange,
	msg,
	standbyChange,
	status,
	statusesChange,
	userPreferencesChange,
	wamid,
	type Account,
} from '../../devkit/fakes/webhook-payloads';
import {
	buildWorkflow,
	callWebhook,
	getRequest,
	PassThrough,
	postRequest,
	runExecution,
	StaticNodeTypes,
	TestCredentialsHelper,
	type BuiltWorkflow,
	type WebhookCall,
} from './harness';

jest.setTimeout(20_000);

const TRIGGER_TYPE = 'n8n-nodes-whatsauto.whatsAutoTrigger';
const PASS_TYPE = 'whatsauto-test.passThrough'; // stands in for n8n's NoOp (n8n-nodes-base is not installed)
const BRANCHES = ['On Message', 'On Status', 'On Event'];

const account: Account = { phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', businessAccountId: '102290129340398' };

const META: ICredentialDataDecryptedObject = {
	accessToken: 'EAAtest-token',
	appSecret: 'a3f1c0ffee5ecret0123456789abcdef',
	verifyToken: 'verify-me-123',
	phoneNumberId: account.phoneNumberId,
	businessAccountId: account.businessAccountId,
	graphApiVersion: 'v23.0',
	baseUrl: 'http://127.0.0.1:9', // never contacted: no media download in these tests
};

const storeFolder = mkdtempSync(join(tmpdir(), 'whatsauto-engine-store-'));
const STORE: ICredentialDataDecryptedObject = {
	backend: 'sqlite',
	sqlitePath: join(storeFolder, 'dedupe.sqlite'),
	secretKey: 'k'.repeat(64),
};

const credentials = new TestCredentialsHelper(
	new Map([
		['meta-1', META],
		['store-1', STORE],
	]),
);
const nodeTypes = new StaticNodeTypes({ [TRIGGER_TYPE]: new WhatsAutoTrigger(), [PASS_TYPE]: new PassThrough() });

function triggerWorkflow(parameters: INodeParameters = {}, withStore = false): BuiltWorkflow {
	return buildWorkflow({
		nodeTypes,
		triggerType: TRIGGER_TYPE,
		passThroughType: PASS_TYPE,
		branches: BRANCHES,
		trigger: {
			webhookId: '5f1b6a4e-8c2d-4c1e-9a57-3e0b1d2c4f60',
			parameters,
			credentials: {
				whatsAutoMetaApi: { id: 'meta-1', name: 'WhatsApp (test)' },
				...(withStore ? { whatsAutoStoreApi: { id: 'store-1', name: 'Store (test)' } } : {}),
			},
		},
	});
}

/** Meta's bytes for `payload`, signed (or with `signature` as the header), POSTed to the node's webhook path. */
async function post(built: BuiltWorkflow, payload: unknown, signature?: string): Promise<WebhookCall> {
	const raw = webhookBytes(payload);
	const header = signature ?? signWebhook(META.appSecret as string, raw);
	return await callWebhook(built.workflow, built.trigger, credentials, postRequest(webhookPath(built.trigger), raw, { 'X-Hub-Signature-256': header }));
}

const webhookPath = (node: INode) => `${node.webhookId}/webhook`;

/** Output items of a node in a finished run (its first run, first output). */
function itemsOf(run: IRun, nodeName: string): INodeExecutionData[] | undefined {
	return run.data.resultData.runData[nodeName]?.[0]?.data?.main?.[0] ?? undefined;
}

async function execute(built: BuiltWorkflow, call: WebhookCall) {
	expect(call.result.workflowData).toBeDefined();
	const { run, order } = await runExecution(built.workflow, built.trigger, call.result.workflowData!, credentials);
	expect(run.data.resultData.error).toBeUndefined();
	expect(run.status).toBe('success');
	return { run, order };
}

afterAll(async () => {
	await closeAllStores();
	removeUserFolder();
	rmSync(storeFolder, { recursive: true, force: true });
});

describe('WhatsAuto Trigger in the n8n engine', () => {
	it('registers GET setup and POST default webhooks on <webhookId>/webhook', async () => {
		const built = triggerWorkflow();
		const get = await callWebhook(built.workflow, built.trigger, credentials, getRequest(webhookPath(built.trigger), {}));
		expect(get.webhook).toMatchObject({ httpMethod: 'GET', path: webhookPath(built.trigger) });
		expect(get.webhook.webhookDescription.name).toBe('setup');
	});

	describe('GET verification handshake', () => {
		const handshake = async (query: Record<string, string>) => {
			const built = triggerWorkflow();
			return await callWebhook(built.workflow, built.trigger, credentials, getRequest(webhookPath(built.trigger), query));
		};

		it('answers 200 with the challenge for subscribe + our verify token', async () => {
			const call = await handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': 'verify-me-123', 'hub.challenge': '1158201444' });
			expect(call.response.statusCode).toBe(200);
			expect(call.response.body).toBe('1158201444');
			expect(call.response.finished).toBe(1);
			expect(call.result).toEqual({ noWebhookResponse: true });
		});

		it('answers 403 and starts nothing for a wrong verify token', async () => {
			const call = await handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '42' });
			expect(call.response.statusCode).toBe(403);
			expect(String(call.response.body)).not.toContain('42');
			expect(call.result.workflowData).toBeUndefined();
		});

		it('answers 403 when hub.mode is not subscribe', async () => {
			const call = await handshake({ 'hub.mode': 'unsubscribe', 'hub.verify_token': 'verify-me-123', 'hub.challenge': '42' });
			expect(call.response.statusCode).toBe(403);
			expect(call.result.workflowData).toBeUndefined();
		});
	});

	describe('POST deliveries', () => {
		it('turns a batch of 3 messages into 3 items on the Messages branch only', async () => {
			const built = triggerWorkflow();
			const waId = '16505551234';
			const messages = [
				msg.text(waId, 'Olá, São Paulo! ¿Qué tal? 😮'),
				msg.text(waId, 'Zweite Nachricht — grüße'),
				msg.text('447700900123', '日本語のテキスト'),
			];
			const payload = envelope(account, [messagesChange(account, messages, { names: { [waId]: 'José Müller', '447700900123': 'Zoë' } })]);
			const raw = webhookBytes(payload);
			expect(raw.toString('utf8')).toMatch(/^[\x20-\x7e]+$/); // Meta's bytes: pure ASCII with \uXXXX escapes
			expect(raw.toString('utf8')).toContain('\\ud83d\\ude2e');

			const call = await post(built, payload);
			expect(call.response.statusCode).toBe(200);
			expect(call.response.finished).toBe(1);
			expect(call.result.noWebhookResponse).toBe(true);

			const { run, order } = await execute(built, call);
			expect(order).toEqual(['WhatsAuto Trigger', 'On Message']);
			expect(itemsOf(run, 'On Status')).toBeUndefined();
			expect(itemsOf(run, 'On Event')).toBeUndefined();

			const items = itemsOf(run, 'On Message')!;
			expect(items).toHaveLength(3);
			expect(items.map((item) => item.json.messageId)).toEqual(messages.map((m) => m.id));
			expect(items.map((item) => item.json.text)).toEqual(['Olá, São Paulo! ¿Qué tal? 😮', 'Zweite Nachricht — grüße', '日本語のテキスト']);
			expect(items[0].json).toMatchObject({
				kind: 'message',
				type: 'text',
				contactKey: waId,
				from: { waId, name: 'José Müller' },
				phoneNumberId: account.phoneNumberId,
				businessAccountId: account.businessAccountId,
				timestampUnix: Number(messages[0].timestamp),
				timestamp: new Date(Number(messages[0].timestamp) * 1000).toISOString(),
			});
			expect(items[0].json.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
			expect(items[2].json).toMatchObject({ contactKey: '447700900123', from: { waId: '447700900123', name: 'Zoë' } });
			expect(items[0].json).not.toHaveProperty('raw');
			// n8n's engine links each downstream item to the trigger item it came from
			expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);

			// the trigger's own run data holds the three outputs as returned
			const triggerRun = run.data.resultData.runData['WhatsAuto Trigger'][0];
			expect(triggerRun.data!.main.map((output) => output?.length ?? 0)).toEqual([3, 0, 0]);
			// the credential came through WebhookContext.getCredentials → credentialsHelper.getDecrypted
			expect(credentials.reads).toContainEqual({ id: 'meta-1', type: 'whatsAutoMetaApi' });
			// default store: SQLite next to n8n's data in N8N_USER_FOLDER
			expect(existsSync(join(userFolder(), '.n8n', 'whatsauto.sqlite'))).toBe(true);
		});

		it('acknowledges a duplicate delivery with 200 and starts no second execution', async () => {
			const built = triggerWorkflow();
			const payload = envelope(account, [messagesChange(account, [msg.text('16505551234', 'once only')])]);

			const first = await post(built, payload);
			expect(first.response.statusCode).toBe(200);
			const { run } = await execute(built, first);
			expect(itemsOf(run, 'On Message')).toHaveLength(1);

			const again = await post(built, payload);
			expect(again.response.statusCode).toBe(200);
			expect(again.response.finished).toBe(1);
			expect(again.result).toEqual({ noWebhookResponse: true });
		});

		it('passes only the new messages of a partly redelivered batch', async () => {
			const built = triggerWorkflow();
			const seen = msg.text('16505551234', 'already seen');
			await post(built, envelope(account, [messagesChange(account, [seen])]));
			const fresh = msg.text('16505551234', 'new one');

			const call = await post(built, envelope(account, [messagesChange(account, [seen, fresh])]));
			expect(call.response.statusCode).toBe(200);
			const { run } = await execute(built, call);
			expect(itemsOf(run, 'On Message')!.map((item) => item.json.messageId)).toEqual([fresh.id]);
		});

		it('deduplicates through the store credential’s SQLite file when one is attached', async () => {
			const built = triggerWorkflow({}, true);
			const payload = envelope(account, [messagesChange(account, [msg.text('16505551234', 'via store credential')])]);
			expect((await post(built, payload)).result.workflowData).toBeDefined();
			expect(existsSync(STORE.sqlitePath as string)).toBe(true);
			expect((await post(built, payload)).result.workflowData).toBeUndefined();
		});

		it('sends statuses to the Statuses branch only when emitStatuses is on', async () => {
			const outbound = wamid('16505551234', 'out');
			const statuses = [status(outbound, '16505551234', 'sent'), status(outbound, '16505551234', 'delivered')];

			const off = await post(triggerWorkflow(), envelope(account, [statusesChange(account, statuses)]));
			expect(off.response.statusCode).toBe(200);
			expect(off.result.workflowData).toBeUndefined();

			const built = triggerWorkflow({ emitStatuses: true });
			const call = await post(built, envelope(account, [statusesChange(account, statuses)]));
			expect(call.response.statusCode).toBe(200);
			const { run, order } = await execute(built, call);
			expect(order).toEqual(['WhatsAuto Trigger', 'On Status']);
			expect(itemsOf(run, 'On Message')).toBeUndefined();
			const items = itemsOf(run, 'On Status')!;
			expect(items.map((item) => item.json.status)).toEqual(['sent', 'delivered']);
			expect(items[0].json).toMatchObject({ kind: 'status', messageId: outbound, recipientId: '16505551234' });
		});

		it('sends selected events to the Events branch only', async () => {
			const payload = envelope(account, [userPreferencesChange(account, '16505551234', 'stop')]);

			// not selected: acknowledged and dropped before the dedupe claim
			const notSelected = await post(triggerWorkflow(), payload);
			expect(notSelected.response.statusCode).toBe(200);
			expect(notSelected.result.workflowData).toBeUndefined();

			const built = triggerWorkflow({ events: ['user_preferences'] });
			const call = await post(built, payload);
			const { run, order } = await execute(built, call);
			expect(order).toEqual(['WhatsAuto Trigger', 'On Event']);
			expect(itemsOf(run, 'On Event')!.map((item) => item.json)).toEqual([
				expect.objectContaining({ kind: 'user_preferences', waId: '16505551234', category: 'marketing_messages', value: 'stop' }),
			]);
		});

		it('passes standby (Meta’s Business Agent holds the thread) to the Events branch when selected, never to Messages', async () => {
			const inbound = msg.text('16505551234', 'Is this a bot?');
			const payload = envelope(account, [standbyChange(account, [inbound])]);

			const notSelected = await post(triggerWorkflow(), payload);
			expect(notSelected.response.statusCode).toBe(200);
			expect(notSelected.result.workflowData).toBeUndefined();

			const built = triggerWorkflow({ events: ['standby'] });
			const call = await post(built, payload);
			const { run, order } = await execute(built, call);
			expect(order).toEqual(['WhatsAuto Trigger', 'On Event']);
			expect(itemsOf(run, 'On Message')).toBeUndefined();
			expect(itemsOf(run, 'On Event')!.map((item) => item.json)).toEqual([
				expect.objectContaining({
					kind: 'standby',
					contactKey: '16505551234',
					messages: [expect.objectContaining({ messageId: inbound.id, standby: true, type: 'text', text: 'Is this a bot?' })],
				}),
			]);
			// a redelivery starts nothing
			expect((await post(built, payload)).result.workflowData).toBeUndefined();
		});

		it('keeps standby content by reference like messages when Content by Reference is on', async () => {
			const inbound = msg.text('16505551234', 'My order number is 4471');
			const built = triggerWorkflow({ events: ['standby'], options: { contentByReference: true } }, true);
			const { run } = await execute(built, await post(built, envelope(account, [standbyChange(account, [inbound])])));
			const [item] = itemsOf(run, 'On Event')!;
			expect(item.json).toMatchObject({ kind: 'standby', contactKey: `wa:${toContentKeys(STORE)!.pseudonymise('16505551234')}`, contentRef: expect.any(String) });
			expect(JSON.stringify(item.json)).not.toContain('16505551234');
			expect(item.json).not.toHaveProperty('messages');
			expect(JSON.stringify(item.json)).not.toContain('4471');
		});

		it('resolves expressions in its parameters through n8n’s expression engine', async () => {
			const built = triggerWorkflow({ emitStatuses: '={{ 1 + 1 === 2 }}', messageTypes: ['text'] });
			const outbound = wamid('16505551234', 'out');
			const call = await post(
				built,
				envelope(account, [
					messagesChange(account, [msg.text('16505551234', 'kept'), msg.reaction('16505551234', outbound, '👍')]),
					statusesChange(account, [status(outbound, '16505551234', 'read')]),
				]),
			);
			const { run } = await execute(built, call);
			expect(itemsOf(run, 'On Message')!.map((item) => item.json.text)).toEqual(['kept']);
			expect(itemsOf(run, 'On Status')!.map((item) => item.json.status)).toEqual(['read']);
		});

		it('splits a mixed delivery between the Messages and Statuses branches', async () => {
			const built = triggerWorkflow({ emitStatuses: true });
			const outbound = wamid('16505551234', 'out');
			const inbound = msg.text('16505551234', 'hi');
			const call = await post(
				built,
				envelope(account, [messagesChange(account, [inbound]), statusesChange(account, [status(outbound, '16505551234', 'read')])]),
			);
			const { run } = await execute(built, call);
			expect(itemsOf(run, 'On Message')!.map((item) => item.json.messageId)).toEqual([inbound.id]);
			expect(itemsOf(run, 'On Status')!.map((item) => item.json.status)).toEqual(['read']);
			expect(itemsOf(run, 'On Event')).toBeUndefined();
		});
	});

	describe('rejections', () => {
		it('answers 401 without workflowData for a bad signature', async () => {
			const built = triggerWorkflow();
			const payload = envelope(account, [messagesChange(account, [msg.text('16505551234', 'forged')])]);
			const forged = signWebhook('not-the-app-secret', webhookBytes(payload));
			const call = await post(built, payload, forged);
			expect(call.response.statusCode).toBe(401);
			expect(call.response.finished).toBe(1);
			expect(call.result).toEqual({ noWebhookResponse: true });
		});

		it('answers 401 when the body was re-serialised (signature over other bytes)', async () => {
			const built = triggerWorkflow();
			const payload = envelope(account, [messagesChange(account, [msg.text('16505551234', 'Grüße')])]);
			const resigned = signWebhook(META.appSecret as string, Buffer.from(JSON.stringify(payload), 'utf8'));
			const call = await post(built, payload, resigned);
			expect(call.response.statusCode).toBe(401);
			expect(call.result.workflowData).toBeUndefined();
		});

		it('answers 401 when the signature header is missing', async () => {
			const built = triggerWorkflow();
			const raw = webhookBytes(envelope(account, [messagesChange(account, [msg.text('16505551234', 'unsigned')])]));
			const call = await callWebhook(built.workflow, built.trigger, credentials, postRequest(webhookPath(built.trigger), raw));
			expect(call.response.statusCode).toBe(401);
			expect(call.result.workflowData).toBeUndefined();
		});

		it('answers 400 without workflowData for a signed body whose object is not whatsapp_business_account', async () => {
			const built = triggerWorkflow();
			const payload = { ...envelope(account, [messagesChange(account, [msg.text('16505551234', 'hi')])]), object: 'page' };
			const call = await post(built, payload);
			expect(call.response.statusCode).toBe(400);
			expect(String(call.response.body)).toContain('whatsapp_business_account');
			expect(call.result).toEqual({ noWebhookResponse: true });
		});
	});
});

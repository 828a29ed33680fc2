/**
 * The conversation gate inside n8n-core's real engine: the webhook (WebhookContext) writes messages to the store's
 * inbox before answering 200, and the trigger's `trigger()` (TriggerContext, as n8n's active-workflow manager runs
 * it) hands each contact's burst on as one turn item, runs the execution through WorkflowExecute and settles it.
 */
import { removeUserFolder } from './user-folder';

import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

import type { ICredentialDataDecryptedObject, IDataObject, INode, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { WhatsAutoTrigger } from '../../nodes/WhatsAutoTrigger/WhatsAutoTrigger.node';
import { closeAllStores, openStore } from '../../nodes/shared/store';
import { toStoreConfig } from '../../nodes/shared/store/access';
import type { WhatsAutoStore } from '../../nodes/shared/store/types';
import { signWebhook, webhookBytes } from '../../devkit/fakes/meta-json';
import { envelope, messagesChange, msg, status, statusesChange, type Account } from '../../devkit/fakes/webhook-payloads';
import { buildWorkflow, callWebhook, PassThrough, postRequest, runExecution, StaticNodeTypes, TestCredentialsHelper, type BuiltWorkflow, type WebhookCall } from './harness';
import { startTrigger, until, type RunningTrigger } from './gate-harness';

jest.setTimeout(30_000);

const TRIGGER_TYPE = 'n8n-nodes-whatsauto.whatsAutoTrigger';
const PASS_TYPE = 'whatsauto-test.passThrough';
const BRANCHES = ['On Message', 'On Status', 'On Event'];
const account: Account = { phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', businessAccountId: '102290129340398' };

const META: ICredentialDataDecryptedObject = {
	accessToken: 'EAAtest-token',
	appSecret: 'a3f1c0ffee5ecret0123456789abcdef',
	verifyToken: 'verify-me-123',
	phoneNumberId: account.phoneNumberId,
	businessAccountId: account.businessAccountId,
	graphApiVersion: 'v23.0',
	baseUrl: 'http://127.0.0.1:9',
};
const storeFolder = mkdtempSync(join(tmpdir(), 'whatsauto-gate-store-'));
const STORE: ICredentialDataDecryptedObject = { backend: 'sqlite', sqlitePath: join(storeFolder, 'gate.sqlite'), secretKey: 'k'.repeat(64) };
const credentials = new TestCredentialsHelper(
	new Map([
		['meta-1', META],
		['store-1', STORE],
	]),
);
const nodeTypes = new StaticNodeTypes({ [TRIGGER_TYPE]: new WhatsAutoTrigger(), [PASS_TYPE]: new PassThrough() });

function gateWorkflow(options: IDataObject = {}, withStore = true): BuiltWorkflow {
	return buildWorkflow({
		nodeTypes,
		triggerType: TRIGGER_TYPE,
		passThroughType: PASS_TYPE,
		branches: BRANCHES,
		trigger: {
			webhookId: '7a1b6a4e-8c2d-4c1e-9a57-3e0b1d2c4f61',
			parameters: { options: { conversationGate: true, gateDebounceSeconds: 0.3, ...options } } as INodeParameters,
			credentials: {
				whatsAutoMetaApi: { id: 'meta-1', name: 'WhatsApp (test)' },
				...(withStore ? { whatsAutoStoreApi: { id: 'store-1', name: 'Store (test)' } } : {}),
			},
		},
	});
}

async function post(built: BuiltWorkflow, messages: unknown[]): Promise<WebhookCall> {
	const raw = webhookBytes(envelope(account, [messagesChange(account, messages as never)]));
	const header = signWebhook(META.appSecret as string, raw);
	return await callWebhook(built.workflow, built.trigger, credentials, postRequest(`${built.trigger.webhookId}/webhook`, raw, { 'X-Hub-Signature-256': header }));
}

const store = async (): Promise<WhatsAutoStore> => await openStore(toStoreConfig(STORE));
const gateOf = (built: BuiltWorkflow) => `${built.workflow.id}:${built.trigger.id}`;
const messagesOut = (t: RunningTrigger): INodeExecutionData[][] => t.emitted.map((e) => e.data[0]).filter((items) => items.length > 0);

let running: RunningTrigger[] = [];
const start = async (built: BuiltWorkflow, options?: Parameters<typeof startTrigger>[3]) => {
	const t = await startTrigger(built.workflow, built.trigger as INode, credentials, options);
	running.push(t);
	return t;
};

afterEach(async () => {
	for (const t of running) await t.stop();
	for (const t of running) await t.settled();
	running = [];
	jest.restoreAllMocks();
});

afterAll(async () => {
	await closeAllStores();
	removeUserFolder();
	rmSync(storeFolder, { recursive: true, force: true });
});

describe('the conversation gate', () => {
	it.each([
		['off', false],
		['on', true],
	])('in a manual run (a test webhook), the gate %s, passes the call’s items on at once, as without the gate', async (_label, on) => {
		const built = gateWorkflow({ conversationGate: on });
		const raw = webhookBytes(envelope(account, [messagesChange(account, [msg.text('16505550071', 'testing') as never])]));
		const request = postRequest(`${built.trigger.webhookId}/webhook`, raw, { 'X-Hub-Signature-256': signWebhook(META.appSecret as string, raw) });
		const call = await callWebhook(built.workflow, built.trigger, credentials, request, 'manual');
		expect(call.response.statusCode).toBe(200);
		expect(call.result.workflowData).toBeDefined();
		const { run } = await runExecution(built.workflow, built.trigger, call.result.workflowData!, credentials, { mode: 'manual', timeoutMs: 5000 });
		expect(run.data.resultData.error).toBeUndefined();
		const items = run.data.resultData.runData['On Message']?.[0]?.data?.main?.[0];
		expect(items?.map((i) => i.json.text)).toEqual(['testing']);
		expect(await (await store()).inboxCounts(gateOf(built))).toEqual({});
	});

	it('writes messages to the inbox before the 200 and starts nothing from the webhook', async () => {
		const built = gateWorkflow();
		const call = await post(built, [msg.text('16505551234', 'hi')]);
		expect(call.response.statusCode).toBe(200);
		expect(call.result.workflowData).toBeUndefined();
		expect(await (await store()).inboxCounts(gateOf(built))).toEqual({ pending: 1 });
		// A redelivery is a duplicate: nothing more waits.
		expect((await post(built, [msg.text('16505551234', 'hi', { id: 'x' })])).response.statusCode).toBe(200);
	});

	it('hands a burst of 3 inside the window on as 1 execution with 1 turn item, in order', async () => {
		const built = gateWorkflow();
		const waId = '16505550001';
		const t = await start(built);
		for (const body of ['hi', 'do you have', 'blue mugs?']) {
			expect((await post(built, [msg.text(waId, body)])).response.statusCode).toBe(200);
			await new Promise((r) => setTimeout(r, 50));
		}
		await until(() => messagesOut(t).length > 0, 5000, 'a turn');
		await t.settled();
		await new Promise((r) => setTimeout(r, 600));
		const executions = messagesOut(t);
		expect(executions).toHaveLength(1);
		expect(executions[0]).toHaveLength(1);
		const turn = executions[0][0].json;
		expect(turn).toMatchObject({ kind: 'turn', messageCount: 3, text: 'hi\ndo you have\nblue mugs?' });
		expect((turn.messages as IDataObject[]).map((m) => m.type)).toEqual(['text', 'text', 'text']);
		expect(turn.messageIds).toHaveLength(3);
		expect(turn.contactKey).toBe(waId);
		// The execution ran through the engine and the turn left the inbox.
		expect(t.emitted[0].run?.status).toBe('success');
		expect(t.emitted[0].run?.data.resultData.runData['On Message']?.[0]?.data?.main?.[0]).toHaveLength(1);
		await until(async () => Object.keys(await (await store()).inboxCounts(gateOf(built))).length === 0, 3000, 'an empty inbox');
	});

	it('with content by reference, the turn carries references and pseudonymous ids only', async () => {
		const built = gateWorkflow({ contentByReference: true, gateDebounceSeconds: 0.2 });
		const t = await start(built);
		await post(built, [msg.text('16505550002', 'secret one'), msg.text('16505550002', 'secret two')]);
		await until(() => messagesOut(t).length > 0, 5000, 'a turn');
		const turn = messagesOut(t)[0][0].json;
		expect(turn).toMatchObject({ kind: 'turn', messageCount: 2 });
		expect(String(turn.contactKey)).toMatch(/^wa:/);
		expect((turn.messageIds as string[]).every((id) => id.startsWith('m:'))).toBe(true);
		expect((turn.messages as IDataObject[]).every((m) => typeof m.contentRef === 'string')).toBe(true);
		expect(JSON.stringify(turn)).not.toMatch(/secret|16505550002/);
	});

	it('puts the turns of several contacts in one execution, each contact’s messages in order', async () => {
		const built = gateWorkflow();
		const now = Math.floor(Date.now() / 1000);
		await post(built, [msg.text('16505550011', 'a2', { timestamp: now }), msg.text('16505550012', 'b1', { timestamp: now })]);
		await post(built, [msg.text('16505550011', 'a1', { timestamp: now - 5 }), msg.text('16505550011', 'a3', { timestamp: now + 1 })]);
		const t = await start(built);
		await until(() => messagesOut(t).length > 0, 5000, 'turns');
		await t.settled();
		const [items] = messagesOut(t);
		expect(items.map((i) => i.json.text).sort()).toEqual(['a1\na2\na3', 'b1']);
	});

	it('hands a contact’s next turn on only once the execution of the previous one finished', async () => {
		const built = gateWorkflow({ gateDebounceSeconds: 0 });
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		const t = await start(built, { hold: () => held });
		await post(built, [msg.text('16505550081', 'first')]);
		await until(() => messagesOut(t).length === 1, 5000, 'the first turn');
		await post(built, [msg.text('16505550081', 'second'), msg.text('16505550082', 'other contact')]);
		await until(() => messagesOut(t).length === 2, 5000, 'the other contact’s turn');
		await new Promise((r) => setTimeout(r, 600));
		expect(messagesOut(t).map((items) => items.map((i) => i.json.text))).toEqual([['first'], ['other contact']]);
		release();
		await until(() => messagesOut(t).length === 3, 5000, 'the second turn');
		expect(messagesOut(t)[2].map((i) => i.json.text)).toEqual(['second']);
	});

	it('keeps at most 4 executions in flight: the rest waits in the store until one finishes', async () => {
		const built = gateWorkflow({ gateDebounceSeconds: 0 });
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		const t = await start(built, { hold: () => held });
		for (let i = 0; i < 6; i++) {
			await post(built, [msg.text(`1650555009${i}`, `contact ${i}`)]);
			if (i < 4) await until(() => messagesOut(t).length === i + 1, 5000, `execution ${i + 1}`);
		}
		await new Promise((r) => setTimeout(r, 600));
		expect(messagesOut(t)).toHaveLength(4);
		expect(await (await store()).inboxCounts(gateOf(built))).toEqual({ leased: 4, pending: 2 });
		release();
		await until(() => messagesOut(t).flat().length === 6, 5000, 'the waiting turns');
		await t.settled();
		await until(async () => Object.keys(await (await store()).inboxCounts(gateOf(built))).length === 0, 3000, 'an empty inbox');
	});

	it('answers 500 when the store cannot take a message, and accepts Meta’s retry: nothing is lost', async () => {
		const built = gateWorkflow();
		const s = await store();
		jest.spyOn(s, 'admitInbox').mockRejectedValueOnce(new Error('disk full'));
		const m = msg.text('16505550021', 'are you open?');
		expect((await post(built, [m])).response.statusCode).toBe(500);
		expect(await s.inboxCounts(gateOf(built))).toEqual({});
		expect((await post(built, [m])).response.statusCode).toBe(200);
		const t = await start(built);
		await until(() => messagesOut(t).length > 0, 5000, 'the turn');
		expect(messagesOut(t)[0][0].json.text).toBe('are you open?');
	});

	it('answers 503 with Retry-After over the Gate Inbox Limit, claiming nothing; after draining, the redelivery is admitted and answered once', async () => {
		const built = gateWorkflow({ gateInboxLimit: 2, gateDebounceSeconds: 0 });
		const s = await store();
		const first = msg.text('16505550041', 'one');
		expect((await post(built, [first])).response.statusCode).toBe(200);
		expect((await post(built, [msg.text('16505550042', 'two')])).response.statusCode).toBe(200);
		const admit = jest.spyOn(s, 'admitInbox');
		const m = msg.text('16505550043', 'three');
		const over = await post(built, [m]);
		expect(over.response.statusCode).toBe(503);
		expect(over.response.headers['retry-after']).toBe('30');
		expect(over.response.body ?? '').toBe('');
		expect(over.result.workflowData).toBeUndefined();
		expect(admit).not.toHaveBeenCalled();
		expect(await s.inboxCounts(gateOf(built))).toEqual({ pending: 2 });
		// A duplicate of a message already taken is still answered 200, and admits nothing.
		expect((await post(built, [msg.text('16505550041', 'one', { id: first.id })])).response.statusCode).toBe(200);
		expect(await admit.mock.results[0]?.value).toEqual([false]);
		expect(await s.inboxCounts(gateOf(built))).toEqual({ pending: 2 });
		// Statuses are still taken.
		const raw = webhookBytes(envelope(account, [statusesChange(account, [status('wamid.out-1', '16505550041', 'delivered')])]));
		const statusCall = await callWebhook(
			built.workflow,
			built.trigger,
			credentials,
			postRequest(`${built.trigger.webhookId}/webhook`, raw, { 'X-Hub-Signature-256': signWebhook(META.appSecret as string, raw) }),
		);
		expect(statusCall.response.statusCode).toBe(200);
		admit.mockRestore();

		const t = await start(built);
		await until(async () => Object.keys(await s.inboxCounts(gateOf(built))).length === 0, 5000, 'a drained inbox');
		// Meta's redelivery, until the count this process trusts is read again: then admitted, exactly once.
		let code = 0;
		await until(async () => (code = (await post(built, [m])).response.statusCode) !== 503, 5000, 'the redelivery admitted');
		expect(code).toBe(200);
		expect((await post(built, [m])).response.statusCode).toBe(200);
		await until(() => messagesOut(t).flat().some((i) => i.json.text === 'three'), 5000, 'the third turn');
		await t.settled();
		expect(messagesOut(t).flat().filter((i) => i.json.text === 'three')).toHaveLength(1);
	});

	it('takes over the turn of a main that died holding it, and hands it on once', async () => {
		const built = gateWorkflow({ gateDebounceSeconds: 0 });
		await post(built, [msg.text('16505550031', 'still there?')]);
		const s = await store();
		// A main leased the turn, then was killed before its execution finished: its lease lapses.
		const [crashed] = await s.leaseTurns(gateOf(built), { leaseId: 'crashed-main', debounceMs: 0, capMs: 0, leaseMs: 400, limit: 20 });
		expect(crashed.messages).toHaveLength(1);
		const t = await start(built);
		await new Promise((r) => setTimeout(r, 200));
		expect(messagesOut(t)).toHaveLength(0); // the lease still holds
		await until(() => messagesOut(t).length > 0, 5000, 'the taken-over turn');
		await t.settled();
		await new Promise((r) => setTimeout(r, 500));
		expect(messagesOut(t)).toHaveLength(1);
		expect(await s.settleTurn(crashed.leaseId, 'done')).toBe(0);
		expect(await s.inboxCounts(gateOf(built))).toEqual({});
	});

	it('hands a stopped trigger’s waiting messages on when it starts again', async () => {
		const built = gateWorkflow();
		const first = await start(built);
		await first.stop();
		await post(built, [msg.text('16505550041', 'hello?')]);
		await new Promise((r) => setTimeout(r, 500));
		expect(messagesOut(first)).toHaveLength(0);
		const again = await start(built);
		await until(() => messagesOut(again).length > 0, 5000, 'the turn after restart');
		expect(messagesOut(again)[0][0].json.text).toBe('hello?');
	});

	it('hands a turn whose execution failed on again, and settles it once it succeeds', async () => {
		const built = gateWorkflow({ gateDebounceSeconds: 0 });
		let failures = 1;
		const t = await start(built, { failExecutions: () => failures-- > 0 });
		await post(built, [msg.text('16505550051', 'retry me')]);
		await until(() => messagesOut(t).length >= 2, 5000, 'the retried turn');
		await t.settled();
		expect(messagesOut(t).map((items) => items[0].json.text)).toEqual(['retry me', 'retry me']);
		await until(async () => Object.keys(await (await store()).inboxCounts(gateOf(built))).length === 0, 3000, 'an empty inbox');
	});

	it('marks a turn failed after its third failed execution and reports it on the Events output', async () => {
		const built = gateWorkflow({ gateDebounceSeconds: 0 });
		const t = await start(built, { failExecutions: () => true });
		await post(built, [msg.text('16505550101', 'never works')]);
		await until(() => t.emitted.some((e) => e.data[2].length > 0), 5000, 'the failure report');
		expect(messagesOut(t)).toHaveLength(3);
		const report = t.emitted.find((e) => e.data[2].length > 0)!.data[2][0].json;
		expect(report).toMatchObject({ kind: 'failed', count: 1, attempts: 3 });
		expect(JSON.stringify(report)).not.toContain('never works');
		expect(await (await store()).inboxCounts(gateOf(built))).toEqual({ failed: 1 });
	});

	it('reports messages past the max age as expired on the Events output, without answering them', async () => {
		const built = gateWorkflow({ maxAgeMinutes: 0, gateDebounceSeconds: 0 });
		await post(built, [msg.text('16505550061', 'from yesterday', { timestamp: Math.floor(Date.now() / 1000) - 2 * 3600 })]);
		const t = await start(built);
		await until(() => t.emitted.some((e) => e.data[2].length > 0), 5000, 'the expiry report');
		expect(messagesOut(t)).toHaveLength(0);
		const report = t.emitted.find((e) => e.data[2].length > 0)!.data[2][0].json;
		expect(report).toMatchObject({ kind: 'expired', count: 1 });
		expect(JSON.stringify(report)).not.toContain('yesterday');
		expect(await (await store()).inboxCounts(gateOf(built))).toEqual({ expired: 1 });
	});
});

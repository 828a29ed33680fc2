/**
 * The WhatsAuto Trigger in a real n8n 2.x (pinned), installed from this repo's `npm pack` tarball the way
 * n8n installs community packages, with Meta played by the fake Graph API over real HTTP.
 */
import { startFakeGraphApi, type FakeGraphApi } from '../../devkit/fakes/graph-api';
import { msg, status } from '../../devkit/fakes/webhook-payloads';
import { type N8n, startN8n } from '../../devkit/n8n';
import { E2E_ACCOUNT, E2E_VERIFY_TOKEN, settle } from './e2e-account';

jest.setTimeout(300_000);

const ACCOUNT = E2E_ACCOUNT;
const VERIFY_TOKEN = E2E_VERIFY_TOKEN;
const WEBHOOK_ID = '5c0ffee0-0000-4000-8000-00000000e2e1';
const WORKFLOW_ID = 'whatsAutoE2eTrig';
const CUSTOMER = '16505551234';


describe('WhatsAuto Trigger in real n8n', () => {
	let graph: FakeGraphApi;
	let n8n: N8n;
	let url: string;

	beforeAll(async () => {
		graph = await startFakeGraphApi(ACCOUNT);
		n8n = await startN8n({
			credentials: [
				{
					id: 'metaE2eCred00001',
					name: 'WhatsApp (fake Graph API)',
					type: 'whatsAutoMetaApi',
					data: graph.credentialData(VERIFY_TOKEN),
				},
			],
			workflows: [
				{
					id: WORKFLOW_ID,
					name: 'WhatsAuto Trigger e2e',
					nodes: [
						{
							name: 'WhatsAuto Trigger',
							type: 'n8n-nodes-whatsauto.whatsAutoTrigger',
							typeVersion: 2,
							webhookId: WEBHOOK_ID,
							parameters: { emitStatuses: true, options: { downloadMedia: true } },
							credentials: { whatsAutoMetaApi: { id: 'metaE2eCred00001', name: 'WhatsApp (fake Graph API)' } },
						},
						{ name: 'On Message', type: 'n8n-nodes-base.noOp', typeVersion: 1 },
						{ name: 'On Status', type: 'n8n-nodes-base.noOp', typeVersion: 1 },
					],
					connections: {
						'WhatsAuto Trigger': {
							main: [[{ node: 'On Message', type: 'main', index: 0 }], [{ node: 'On Status', type: 'main', index: 0 }], []],
						},
					},
				},
			],
			activate: 'all',
		});
		url = n8n.webhookUrl(`${WEBHOOK_ID}/webhook`);
		graph.setWebhookTarget(url);
	});

	afterAll(async () => {
		await n8n?.stop();
		await graph?.close();
	});

	it('subscribed the business account to the app on activation', () => {
		expect(graph.subscriptions.map((s) => [s.kind, s.method])).toEqual([['subscribed_apps', 'POST']]);
		expect(graph.requests.some((r) => r.path.endsWith(`/${ACCOUNT.businessAccountId}/subscribed_apps`) && r.status === 200)).toBe(true);
	});

	it('answers Meta’s verification handshake through n8n’s production URL', async () => {
		const ok = await graph.verifyWebhook(url, { verifyToken: VERIFY_TOKEN, challenge: '1158201444' });
		expect(ok).toMatchObject({ status: 200, body: '1158201444', ok: true });
		expect(String(ok.headers['content-type'])).toMatch(/^text\/plain/);
		const wrong = await graph.verifyWebhook(url, { verifyToken: 'guess', challenge: '1' });
		expect(wrong.status).toBe(403);
		expect(wrong.body).not.toBe('1');
	});

	it('turns a signed batch into one execution with one item per message, media downloaded', async () => {
		const media = graph.addMedia({ bytes: Buffer.from('\x89PNG\r\n\x1a\n-e2e-image'), mimeType: 'image/png' });
		const [result] = await graph.deliver(
			[
				msg.text(CUSTOMER, 'Olá, José! Está aberto? 😮', { id: 'wamid.E2E.TEXT' }),
				msg.image(CUSTOMER, media, { caption: 'Isto é azul?', id: 'wamid.E2E.IMAGE' }),
				msg.location(CUSTOMER, { latitude: 37.44221, longitude: -122.16166, name: 'Philz Coffee' }, { id: 'wamid.E2E.LOC' }),
			],
			{ names: 'José' },
		);
		expect(result.status).toBe(200);
		expect(result.ms).toBeLessThan(2_000);

		const [execution] = await n8n.waitForExecutions(1, { workflowId: WORKFLOW_ID, timeoutMs: 30_000 });
		expect(execution.status).toBe('success');
		const items = execution.items['On Message'];
		expect(items.map((item) => [item.messageId, item.type])).toEqual([
			['wamid.E2E.TEXT', 'text'],
			['wamid.E2E.IMAGE', 'image'],
			['wamid.E2E.LOC', 'location'],
		]);
		expect(items[0]).toMatchObject({
			kind: 'message',
			text: 'Olá, José! Está aberto? 😮',
			from: { waId: CUSTOMER, name: 'José' },
			contactKey: CUSTOMER,
			phoneNumberId: ACCOUNT.phoneNumberId,
		});
		expect(items[0].timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
		expect(items[0]).not.toHaveProperty('raw');
		expect(items[1]).toMatchObject({ text: 'Isto é azul?', image: { mediaId: media.id, mimeType: 'image/png' } });
		expect(items[1]).not.toHaveProperty('mediaError');
		expect(items[2].text).toContain('Philz Coffee');
		expect(execution.items['On Status'] ?? []).toEqual([]);
		expect(graph.requests.some((r) => r.path.includes(media.id) && r.status === 200)).toBe(true);
	});

	it('starts no second execution for a duplicate delivery', async () => {
		const before = (await n8n.executions({ workflowId: WORKFLOW_ID })).length;
		const delivery = [msg.text(CUSTOMER, 'once only', { id: 'wamid.E2E.DUP' })];
		const results = await graph.deliver(delivery, { duplicate: 2 });
		expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
		await n8n.waitForExecutions(before + 1, { workflowId: WORKFLOW_ID, timeoutMs: 30_000 });
		await settle(3_000);
		const after = await n8n.executions({ workflowId: WORKFLOW_ID });
		expect(after).toHaveLength(before + 1);
		expect(after[after.length - 1].items['On Message'].map((item) => item.messageId)).toEqual(['wamid.E2E.DUP']);
	});

	it('rejects a bad signature with 401, starts nothing and logs why', async () => {
		const before = (await n8n.executions({ workflowId: WORKFLOW_ID })).length;
		for (const signature of ['wrong', 'missing', 'reserialised'] as const) {
			const [result] = await graph.deliver([msg.text(CUSTOMER, 'forged é', { id: `wamid.E2E.BAD.${signature}` })], { signature });
			expect(result.status).toBe(401);
		}
		await settle(2_000);
		expect(await n8n.executions({ workflowId: WORKFLOW_ID })).toHaveLength(before);
		expect(n8n.logs()).toMatch(/rejected a webhook call with 401: invalid signature \(signature mismatch\)/);
		expect(n8n.logs()).toMatch(/invalid signature \(missing signature header\)/);
		expect(n8n.logs()).not.toContain('forged é');
	});

	it('rejects a signed delivery that is not a WhatsApp webhook with 400', async () => {
		const [result] = await graph.deliver(Buffer.from('{"object":"page","entry":[]}'));
		expect(result.status).toBe(400);
	});

	it('sends statuses to the Statuses output', async () => {
		const before = (await n8n.executions({ workflowId: WORKFLOW_ID })).length;
		const change = {
			field: 'messages',
			value: {
				messaging_product: 'whatsapp',
				metadata: { display_phone_number: ACCOUNT.displayPhoneNumber, phone_number_id: ACCOUNT.phoneNumberId },
				statuses: [status('wamid.E2E.OUT', CUSTOMER, 'read')],
			},
		};
		const [result] = await graph.deliver([change] as never);
		expect(result.status).toBe(200);
		const executions = await n8n.waitForExecutions(before + 1, { workflowId: WORKFLOW_ID, timeoutMs: 30_000 });
		const last = executions[executions.length - 1];
		expect(last.items['On Status']).toEqual([expect.objectContaining({ kind: 'status', messageId: 'wamid.E2E.OUT', status: 'read' })]);
		expect(last.items['On Message'] ?? []).toEqual([]);
	});
});

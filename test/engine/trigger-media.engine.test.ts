/**
 * The trigger's slow path in the engine, against the fake Graph API over real HTTP: media downloads into
 * binary data (and failures that leave the item intact), content kept by reference in the store instead of
 * the execution, the raw-payload option, old messages, other phone numbers and the body cap.
 */
import { removeUserFolder } from './user-folder';

import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

import { BinaryDataService } from 'n8n-core';
import { Container } from '@n8n/di';
import type { ICredentialDataDecryptedObject, INodeParameters } from 'n8n-workflow';

import { WhatsAutoTrigger } from '../../nodes/WhatsAutoTrigger/WhatsAutoTrigger.node';
import { resolveContent } from '../../nodes/shared/store/contentByReference';
import { closeAllStores, openStore } from '../../nodes/shared/store';
import { toContentKeys } from '../../nodes/shared/store/access';
import { startFakeGraphApi, type FakeGraphApi } from '../../devkit/fakes/graph-api';
import { signWebhook, webhookBytes } from '../../devkit/fakes/meta-json';
import { envelope, messagesChange, msg, type Account } from '../../devkit/fakes/webhook-payloads';
import { buildWorkflow, callWebhook, PassThrough, postRequest, StaticNodeTypes, TestCredentialsHelper, type BuiltWorkflow } from './harness';

jest.setTimeout(30_000);

const TRIGGER_TYPE = 'n8n-nodes-whatsauto.whatsAutoTrigger';
const PASS_TYPE = 'whatsauto-test.passThrough';
const account: Account = { phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', businessAccountId: '102290129340398' };
const APP_SECRET = 'media_test_app_secret';
const CUSTOMER = '16505551234';
const storeFolder = mkdtempSync(join(tmpdir(), 'whatsauto-engine-media-'));
const STORE: ICredentialDataDecryptedObject = { backend: 'sqlite', sqlitePath: join(storeFolder, 'store.sqlite'), secretKey: 's'.repeat(48) };

let graph: FakeGraphApi;
let credentials: TestCredentialsHelper;
const nodeTypes = new StaticNodeTypes({ [TRIGGER_TYPE]: new WhatsAutoTrigger(), [PASS_TYPE]: new PassThrough() });

beforeAll(async () => {
	graph = await startFakeGraphApi({ ...account, accessToken: 'EAAG-media-token', appSecret: APP_SECRET });
	credentials = new TestCredentialsHelper(
		new Map([
			[
				'meta-media',
				{
					accessToken: 'EAAG-media-token',
					appSecret: APP_SECRET,
					verifyToken: 'v',
					phoneNumberId: account.phoneNumberId,
					businessAccountId: account.businessAccountId,
					graphApiVersion: 'v23.0',
					baseUrl: graph.baseUrl,
				},
			],
			['store-media', STORE],
		]),
	);
	await Container.get(BinaryDataService).init();
});

afterAll(async () => {
	await graph?.close();
	await closeAllStores();
	removeUserFolder();
	rmSync(storeFolder, { recursive: true, force: true });
});

function workflow(parameters: INodeParameters, withStore = false): BuiltWorkflow {
	return buildWorkflow({
		nodeTypes,
		triggerType: TRIGGER_TYPE,
		passThroughType: PASS_TYPE,
		branches: ['On Message', 'On Status', 'On Event'],
		trigger: {
			webhookId: '0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b',
			parameters,
			credentials: {
				whatsAutoMetaApi: { id: 'meta-media', name: 'Meta' },
				...(withStore ? { whatsAutoStoreApi: { id: 'store-media', name: 'Store' } } : {}),
			},
		},
	});
}

async function deliver(built: BuiltWorkflow, messages: ReturnType<typeof msg.text>[], raw?: Buffer) {
	const bytes = raw ?? webhookBytes(envelope(account, [messagesChange(account, messages)]));
	const request = postRequest(`${built.trigger.webhookId}/webhook`, bytes, {
		'X-Hub-Signature-256': signWebhook(APP_SECRET, bytes),
	});
	return await callWebhook(built.workflow, built.trigger, credentials, request);
}

describe('trigger media and content handling (engine + fake Graph API)', () => {
	it('downloads media into binary data after answering Meta, checking size and sha256', async () => {
		const bytes = Buffer.from('\x89PNG\r\n\x1a\nfake-but-bytes-are-bytes');
		const media = graph.addMedia({ bytes, mimeType: 'image/png' });
		const call = await deliver(workflow({ options: { downloadMedia: true } }), [msg.image(CUSTOMER, media, { caption: 'foto' })]);
		expect(call.response.statusCode).toBe(200);
		const [item] = call.result.workflowData![0];
		expect(item.json).toMatchObject({ type: 'image', text: 'foto' });
		expect(item.json).not.toHaveProperty('mediaError');
		expect(item.binary?.data).toMatchObject({ mimeType: 'image/png', fileName: 'whatsapp.png' }); // Meta's Content-Disposition name
		const stored = await Container.get(BinaryDataService).getAsBuffer(item.binary!.data);
		expect(stored.equals(bytes)).toBe(true);
		const lookups = graph.requests.filter((r) => r.path.endsWith(`/${media.id}`));
		expect(lookups.length).toBeGreaterThan(0);

		const tampered = await deliver(workflow({ options: { downloadMedia: true } }), [
			msg.image(CUSTOMER, { ...media, sha256Base64: Buffer.alloc(32, 7).toString('base64') }),
		]);
		const [mismatch] = tampered.result.workflowData![0];
		expect(mismatch.json.mediaError).toMatchObject({ reason: 'checksum_mismatch' });
		expect(mismatch.binary).toBeUndefined();
	});

	it('keeps the item with a mediaError when the download fails or the file is too large', async () => {
		const media = graph.addMedia({ bytes: Buffer.alloc(2 * 1024 * 1024, 1), mimeType: 'audio/ogg' });
		const tooLarge = await deliver(workflow({ options: { downloadMedia: true, maxMediaMb: 1 } }), [msg.audio(CUSTOMER, media)]);
		expect(tooLarge.response.statusCode).toBe(200);
		const [big] = tooLarge.result.workflowData![0];
		expect(big.json.mediaError).toMatchObject({ reason: 'too_large' });
		expect(big.binary).toBeUndefined();

		const broken = graph.addMedia({ bytes: Buffer.from('voice'), mimeType: 'audio/ogg' });
		graph.inject({ path: new RegExp(`/${broken.id}$`), error: 'unknown_object', times: 10 });
		const failed = await deliver(workflow({ options: { downloadMedia: true } }), [msg.audio(CUSTOMER, broken)]);
		expect(failed.response.statusCode).toBe(200);
		const [item] = failed.result.workflowData![0];
		expect(item.json).toMatchObject({ type: 'audio', mediaError: { reason: 'api_error', code: 100 } });
		expect(JSON.stringify(item.json.mediaError)).not.toContain('EAAG-media-token');
	});

	it('keeps content by reference: the item holds metadata only, the store holds it encrypted', async () => {
		const bytes = Buffer.from('%PDF-1.4 secret invoice');
		const media = graph.addMedia({ bytes, mimeType: 'application/pdf', filename: 'invoice.pdf' });
		const call = await deliver(workflow({ options: { downloadMedia: true, contentByReference: true } }, true), [
			msg.text(CUSTOMER, 'Mi tarjeta es 4111 1111 1111 1111'),
			msg.document(CUSTOMER, media, { caption: 'factura privada', filename: 'invoice.pdf' }),
		]);
		expect(call.response.statusCode).toBe(200);
		const [text, document] = call.result.workflowData![0];
		const serialised = JSON.stringify(call.result.workflowData);
		expect(serialised).not.toMatch(/4111|factura|secret invoice|invoice\.pdf/);
		// who wrote stays out of the item too: a pseudonymous contact key, a keyed message reference, no sender
		expect(text.json).toMatchObject({ type: 'text', contactKey: `wa:${toContentKeys(STORE)!.pseudonymise(CUSTOMER)}`, messageId: expect.stringMatching(/^m:/), contentRef: expect.any(String) });
		expect(text.json).not.toHaveProperty('from');
		expect(serialised).not.toContain(CUSTOMER);
		expect(text.json).not.toHaveProperty('text');
		expect(document.binary).toBeUndefined();
		expect(document.json.media).toEqual({ mimeType: 'application/pdf' });

		const store = await openStore({ backend: 'sqlite', path: STORE.sqlitePath as string });
		const keys = toContentKeys(STORE)!;
		const resolvedText = await resolveContent(store, keys, text.json);
		expect(resolvedText!.message.text).toBe('Mi tarjeta es 4111 1111 1111 1111');
		const resolvedDocument = await resolveContent(store, keys, document.json);
		expect(resolvedDocument!.message).toMatchObject({ text: 'factura privada', document: { filename: 'invoice.pdf' } });
		expect(resolvedDocument!.media!.data.equals(bytes)).toBe(true);
	});

	it('adds the raw message only when asked', async () => {
		const call = await deliver(workflow({ options: { includeRaw: true } }), [msg.text(CUSTOMER, 'raw please')]);
		const [item] = call.result.workflowData![0];
		expect(item.json.raw).toMatchObject({ type: 'text', text: { body: 'raw please' }, from: CUSTOMER });
	});

	it('drops messages for other phone numbers and old messages, flags them when asked', async () => {
		const other: Account = { ...account, phoneNumberId: '999999999999999' };
		const bytes = webhookBytes(envelope(other, [messagesChange(other, [msg.text(CUSTOMER, 'wrong number')])]));
		const wrongNumber = await deliver(workflow({}), [], bytes);
		expect(wrongNumber.response.statusCode).toBe(200);
		expect(wrongNumber.result.workflowData).toBeUndefined();

		const old = msg.text(CUSTOMER, 'from yesterday', { timestamp: String(Math.floor(Date.now() / 1000) - 2 * 3600) } as never);
		const dropped = await deliver(workflow({}), [old]);
		expect(dropped.result.workflowData).toBeUndefined();
		const flagged = await deliver(workflow({ options: { staleMessages: 'flag' } }), [
			msg.text(CUSTOMER, 'also old', { timestamp: String(Math.floor(Date.now() / 1000) - 2 * 3600) } as never),
		]);
		expect(flagged.result.workflowData![0][0].json).toMatchObject({ stale: true, text: 'also old' });
	});

	it('answers 413 to a body over the cap without starting anything', async () => {
		const huge = Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: [], pad: 'x'.repeat(5 * 1024 * 1024) }));
		const call = await deliver(workflow({}), [], huge);
		expect(call.response.statusCode).toBe(413);
		expect(call.result.workflowData).toBeUndefined();
	});
});

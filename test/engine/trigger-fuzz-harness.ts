/**
 * The WhatsAuto Trigger's POST path driven through n8n-core (./harness: a real `WebhookContext`, the node type's
 * `webhook()`), with the real SQLite store in a temp folder, for the hardening and fuzz suites. Requests are
 * given as exact bytes and headers, so a suite can send anything Meta (or an attacker) could.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import type { ICredentialDataDecryptedObject, INode, INodeParameters } from 'n8n-workflow';

import { WhatsAutoTrigger } from '../../nodes/WhatsAutoTrigger/WhatsAutoTrigger.node';
import { closeAllStores } from '../../nodes/shared/store';
import type { Account } from '../../devkit/fakes/webhook-payloads';
import {
	buildWorkflow,
	callWebhook,
	PassThrough,
	postRequest,
	StaticNodeTypes,
	TestCredentialsHelper,
	type BuiltWorkflow,
	type FakeRequest,
	type WebhookCall,
} from './harness';
import { removeUserFolder } from './user-folder';

const TRIGGER_TYPE = 'n8n-nodes-whatsauto.whatsAutoTrigger';
const PASS_TYPE = 'whatsauto-test.passThrough';

export const ACCOUNT: Account = { phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', businessAccountId: '102290129340398' };
export const APP_SECRET = 'a3f1c0ffee5ecret0123456789abcdef';

export const metaCredential = (appSecret: string): ICredentialDataDecryptedObject => ({
	accessToken: 'EAAtest-token',
	appSecret,
	verifyToken: 'verify-me-123',
	phoneNumberId: ACCOUNT.phoneNumberId,
	businessAccountId: ACCOUNT.businessAccountId,
	graphApiVersion: 'v23.0',
	baseUrl: 'http://127.0.0.1:9', // never contacted: no media download
});

export interface LogLine {
	level: string;
	message: string;
}

export interface TriggerRig {
	credentials: TestCredentialsHelper;
	/** A trigger workflow using the Meta credential `metaId` (registered with `addMeta`) and the temp SQLite store. */
	workflow(parameters?: INodeParameters, metaId?: string): BuiltWorkflow;
	addMeta(id: string, data: ICredentialDataDecryptedObject): void;
	/** POSTs exactly `raw` with exactly `headers` (lower-cased names) to the trigger's webhook. */
	post(built: BuiltWorkflow, raw: Buffer, headers?: Record<string, string>, adjust?: (request: FakeRequest) => void): Promise<WebhookCall>;
	/** Everything n8n's logger received since the last `takeLogs`. */
	takeLogs(): LogLine[];
	close(): Promise<void>;
}

const webhookPath = (node: INode) => `${node.webhookId}/webhook`;

export function triggerRig(): TriggerRig {
	const storeFolder = mkdtempSync(join(tmpdir(), 'whatsauto-engine-store-'));
	const byId = new Map<string, ICredentialDataDecryptedObject>([
		['meta-1', metaCredential(APP_SECRET)],
		['store-1', { backend: 'sqlite', sqlitePath: join(storeFolder, 'fuzz.sqlite'), secretKey: 'k'.repeat(64) }],
	]);
	const credentials = new TestCredentialsHelper(byId);
	const nodeTypes = new StaticNodeTypes({ [TRIGGER_TYPE]: new WhatsAutoTrigger(), [PASS_TYPE]: new PassThrough() });

	let logs: LogLine[] = [];
	const logger = Container.get(Logger) as unknown as { log: (level: string, message: string, metadata: unknown) => void };
	const spy = jest.spyOn(logger, 'log').mockImplementation((level: string, message: string) => {
		logs.push({ level: String(level), message: String(message) });
	});

	return {
		credentials,
		addMeta: (id, data) => byId.set(id, data),
		workflow: (parameters = {}, metaId = 'meta-1') =>
			buildWorkflow({
				nodeTypes,
				triggerType: TRIGGER_TYPE,
				passThroughType: PASS_TYPE,
				branches: ['On Message', 'On Status', 'On Event'],
				trigger: {
					webhookId: '7a2c9e41-1d3b-4f6a-8e25-0c9d8b7a6f51',
					parameters,
					credentials: {
						whatsAutoMetaApi: { id: metaId, name: `WhatsApp (${metaId})` },
						whatsAutoStoreApi: { id: 'store-1', name: 'Store (test)' },
					},
				},
			}),
		post: async (built, raw, headers = {}, adjust) => {
			const request = postRequest(webhookPath(built.trigger), raw);
			delete request.headers['x-hub-signature-256'];
			for (const [name, value] of Object.entries(headers)) request.headers[name.toLowerCase()] = value;
			adjust?.(request);
			return await callWebhook(built.workflow, built.trigger, credentials, request);
		},
		takeLogs: () => {
			const taken = logs;
			logs = [];
			return taken;
		},
		close: async () => {
			spy.mockRestore();
			await closeAllStores();
			removeUserFolder();
			rmSync(storeFolder, { recursive: true, force: true });
		},
	};
}

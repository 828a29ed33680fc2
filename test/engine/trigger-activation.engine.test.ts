/**
 * Activating the WhatsAuto Trigger the way n8n does it: n8n-core's real `HookContext` for the node's `default`
 * webhook, with the node type's `checkExists` then `create` called on it (WebhookService.createWebhookIfNotExists),
 * and n8n's own Logger (the context's `this.logger`, from n8n's DI container) watched.
 *
 * With n8n's default expression sandboxing (N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE not true), activation logs one warning
 * that says what it costs and what to set; with the setting on, it says nothing about it.
 */
import { removeUserFolder } from './user-folder';

import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { HookContext } from 'n8n-core';
import type { ICredentialDataDecryptedObject, IHookFunctions } from 'n8n-workflow';

import { WhatsAutoTrigger } from '../../nodes/WhatsAutoTrigger/WhatsAutoTrigger.node';
import { expressionEngineHint } from '../../nodes/WhatsAutoTrigger/activation';
import { closeAllStores } from '../../nodes/shared/store';
import { additionalData, buildWorkflow, nodeWebhooks, PassThrough, StaticNodeTypes, TestCredentialsHelper } from './harness';

const TRIGGER_TYPE = 'n8n-nodes-whatsauto.whatsAutoTrigger';
const PASS_TYPE = 'whatsauto-test.passThrough';
const VARS = ['N8N_EXPRESSION_ENGINE', 'N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE', 'N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE_FILE'] as const;

const storeFolder = mkdtempSync(join(tmpdir(), 'whatsauto-engine-activation-'));
const credentials = new TestCredentialsHelper(
	new Map<string, ICredentialDataDecryptedObject>([
		[
			'meta-1',
			{
				accessToken: 'EAAtest-token',
				appSecret: 'a3f1c0ffee5ecret0123456789abcdef',
				verifyToken: 'verify-me-123',
				phoneNumberId: '106540352242922',
				businessAccountId: '102290129340398',
				graphApiVersion: 'v23.0',
				baseUrl: 'http://127.0.0.1:9', // never contacted: subscribing on activation is off here
			},
		],
		['store-1', { backend: 'sqlite', sqlitePath: join(storeFolder, 'activation.sqlite'), secretKey: 'k'.repeat(64) }],
	]),
);
const nodeTypes = new StaticNodeTypes({ [TRIGGER_TYPE]: new WhatsAutoTrigger(), [PASS_TYPE]: new PassThrough() });

/** Runs n8n's activation of the trigger's `default` webhook; returns what was logged at warn level meanwhile. */
async function activateTrigger(): Promise<string[]> {
	const { workflow, trigger } = buildWorkflow({
		nodeTypes,
		triggerType: TRIGGER_TYPE,
		passThroughType: PASS_TYPE,
		branches: ['On Message', 'On Status', 'On Event'],
		trigger: {
			webhookId: '9b0f3a52-7d1e-4c6b-8a43-2f5e6d7c8b90',
			parameters: { options: { subscribeOnActivation: false } },
			credentials: {
				whatsAutoMetaApi: { id: 'meta-1', name: 'WhatsApp (test)' },
				whatsAutoStoreApi: { id: 'store-1', name: 'Store (test)' },
			},
		},
	});
	const data = additionalData(credentials);
	const webhook = nodeWebhooks(workflow, trigger, data).find((w) => w.webhookDescription.name === 'default')!;
	const methods = nodeTypes.getByNameAndVersion(TRIGGER_TYPE, 2).webhookMethods!.default!;
	const context = new HookContext(workflow, trigger, data, 'trigger', 'activate', webhook) as unknown as IHookFunctions;
	const warn = jest.spyOn(Container.get(Logger), 'warn');
	try {
		expect(await methods.checkExists.call(context)).toBe(false);
		expect(await methods.create.call(context)).toBe(true);
		return warn.mock.calls.map(([message]) => String(message));
	} finally {
		warn.mockRestore();
	}
}

const saved = Object.fromEntries(VARS.map((name) => [name, process.env[name]]));

afterEach(() => {
	for (const name of VARS) {
		if (saved[name] === undefined) delete process.env[name];
		else process.env[name] = saved[name];
	}
});

afterAll(async () => {
	await closeAllStores();
	removeUserFolder();
	rmSync(storeFolder, { recursive: true, force: true });
});

describe('WhatsAuto Trigger activation: the expression-engine hint', () => {
	it('warns once, saying what it costs and what to set, when N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE is not set', async () => {
		for (const name of VARS) delete process.env[name];
		const warnings = (await activateTrigger()).filter((w) => w.includes('N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE'));
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toMatch(/isolated expression sandbox before every call/);
		expect(warnings[0]).toMatch(/45-80 ms CPU per delivery/);
		expect(warnings[0]).toContain('N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true');
		expect(warnings[0]).toContain('N8N_EXPRESSION_ENGINE_COMPILE_CACHE=true');
	});

	it('warns when it is set to something n8n does not read as on (false)', async () => {
		process.env.N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE = 'false';
		expect((await activateTrigger()).filter((w) => w.includes('N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE'))).toHaveLength(1);
	});

	it('says nothing about it with N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true', async () => {
		process.env.N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE = 'true';
		expect(await activateTrigger()).toEqual([]);
	});

	it('reads the setting as n8n does: true or 1 in any case; the legacy engine has no sandbox; a _FILE is n8n’s to read', () => {
		expect(expressionEngineHint({})).toBeDefined();
		expect(expressionEngineHint({ N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'TRUE' })).toBeUndefined();
		expect(expressionEngineHint({ N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: '1' })).toBeUndefined();
		expect(expressionEngineHint({ N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'yes' })).toBeDefined();
		expect(expressionEngineHint({ N8N_EXPRESSION_ENGINE: 'legacy' })).toBeUndefined();
		expect(expressionEngineHint({ N8N_EXPRESSION_ENGINE: 'vm' })).toBeDefined();
		expect(expressionEngineHint({ N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE_FILE: '/run/secrets/lazy' })).toBeUndefined();
	});
});

/**
 * The workflows `npm run bench` measures and the credentials they get, all pointed at the fakes on loopback:
 *   template  workflows/whatsapp-gpt4-auto-responder.json, as shipped (credentials bound by name → id)
 *   builtin   bench/builtin-chain.json: Webhook → Split Out → Switch → HTTP Request (media) → OpenAI → HTTP Request (send)
 *   noop      bench/webhook-noop.json: Webhook → No-Op, the floor
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { repoRoot, type PostgresConnection, type WorkflowJson } from '../devkit/n8n';

export type WorkflowKey = 'template' | 'builtin' | 'noop';
export const WORKFLOW_KEYS: WorkflowKey[] = ['template', 'builtin', 'noop'];

export const WORKFLOW_LABELS: Record<WorkflowKey, string> = {
	template: 'WhatsAuto auto-responder template',
	builtin: 'built-in chain (Webhook → Split Out → Switch → HTTP → OpenAI → HTTP)',
	noop: 'Webhook → No-Op',
};

export const ACCOUNT = { phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', businessAccountId: '102290129340398' };
export const SECRETS = {
	accessToken: 'EAAG-bench-0000000000000000',
	appSecret: 'bench_app_secret_0123456789abcdef',
	verifyToken: 'bench-verify-token',
	openAiKey: 'sk-bench-00000000000000000000',
	storeSecret: 'b3nchb3nchb3nchb3nchb3nchb3nchb3nchb3nchb3nchb3nc',
};

/** The workflow ids used in n8n (the files' own, so an export matches the file). */
export const WORKFLOW_IDS: Record<WorkflowKey, string> = {
	template: 'benchTemplateWf1',
	builtin: 'benchBuiltinChn1',
	noop: 'benchWebhookNoOp',
};

interface CredentialSpec {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

/** One credential per type; every workflow's reference of that type is bound to it. */
export function benchCredentials(urls: { graph: string; openAi: string }, store: PostgresConnection | 'sqlite'): CredentialSpec[] {
	return [
		{
			id: 'benchMetaCred001',
			name: 'WhatsAuto: WhatsApp Cloud API',
			type: 'whatsAutoMetaApi',
			data: {
				accessToken: SECRETS.accessToken,
				appSecret: SECRETS.appSecret,
				verifyToken: SECRETS.verifyToken,
				phoneNumberId: ACCOUNT.phoneNumberId,
				businessAccountId: ACCOUNT.businessAccountId,
				graphApiVersion: 'v23.0',
				baseUrl: urls.graph,
			},
		},
		{ id: 'benchOpenAiCred1', name: 'WhatsAuto: OpenAI', type: 'whatsAutoOpenAiApi', data: { apiKey: SECRETS.openAiKey, baseUrl: urls.openAi, organizationId: '' } },
		{
			id: 'benchStoreCred01',
			name: 'WhatsAuto: Store',
			type: 'whatsAutoStoreApi',
			data:
				store === 'sqlite'
					? // empty path: the documented default, <N8N_USER_FOLDER>/.n8n/whatsauto.sqlite
						{ backend: 'sqlite', sqlitePath: '', secretKey: SECRETS.storeSecret }
					: { backend: 'postgres', ...store, ssl: false, schema: 'whatsauto', secretKey: SECRETS.storeSecret },
		},
		{ id: 'benchBearerCrd01', name: 'WhatsApp Cloud API token', type: 'httpBearerAuth', data: { token: SECRETS.accessToken } },
		{ id: 'benchOpenAiCred2', name: 'OpenAI account', type: 'openAiApi', data: { apiKey: SECRETS.openAiKey, url: urls.openAi, organizationId: '', header: false } },
	];
}

function bind(workflow: WorkflowJson, credentials: CredentialSpec[]): WorkflowJson {
	const nodes = (workflow.nodes ?? []).map((node) => {
		const refs = node.credentials as Record<string, unknown> | undefined;
		if (!refs) return node;
		const bound: Record<string, { id: string; name: string }> = {};
		for (const type of Object.keys(refs)) {
			const credential = credentials.find((c) => c.type === type);
			if (!credential) throw new Error(`${String(workflow.name)} › ${String(node.name)} uses a credential type the bench does not create: ${type}`);
			bound[type] = { id: credential.id, name: credential.name };
		}
		return { ...node, credentials: bound };
	});
	return { ...workflow, nodes };
}

const readJson = (...path: string[]) => readFileSync(join(repoRoot, ...path), 'utf8');

/** The workflow as n8n gets it: credentials bound, the Graph API's address replaced by the fake's. */
export function benchWorkflow(key: WorkflowKey, credentials: CredentialSpec[], graphBaseUrl: string): WorkflowJson {
	const text =
		key === 'template'
			? readJson('workflows', 'whatsapp-gpt4-auto-responder.json')
			: readJson('bench', key === 'builtin' ? 'builtin-chain.json' : 'webhook-noop.json');
	const workflow = JSON.parse(text.split('https://graph.facebook.com').join(graphBaseUrl)) as WorkflowJson;
	return { ...bind(workflow, credentials), id: WORKFLOW_IDS[key], active: false };
}

/** The production webhook path that takes Meta's POSTs, for `n8n.webhookUrl()`. */
export function webhookPath(key: WorkflowKey, workflow: WorkflowJson): string {
	const nodes = workflow.nodes ?? [];
	if (key === 'template') {
		const trigger = nodes.find((n) => n.type === 'n8n-nodes-whatsauto.whatsAutoTrigger');
		if (!trigger?.webhookId) throw new Error('the template has no WhatsAuto Trigger with a webhookId');
		return `${String(trigger.webhookId)}/webhook`;
	}
	const hook = nodes.find((n) => n.type === 'n8n-nodes-base.webhook' && (n.parameters as { httpMethod?: string } | undefined)?.httpMethod === 'POST');
	const path = (hook?.parameters as { path?: string } | undefined)?.path;
	if (!path) throw new Error(`${String(workflow.name)} has no POST Webhook node with a path`);
	return path;
}

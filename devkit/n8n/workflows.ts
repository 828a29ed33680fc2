import { randomBytes, randomUUID } from 'node:crypto';

export type WorkflowJson = Record<string, unknown> & {
	id?: string;
	name?: string;
	nodes?: Array<Record<string, unknown>>;
	connections?: Record<string, unknown>;
};

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A 16-character id like the ones n8n generates for workflows and credentials. */
export function n8nId(): string {
	return Array.from(randomBytes(16), (b) => ALPHABET[b % ALPHABET.length]).join('');
}

/** Node types that (probably) register webhooks: they need a webhookId for a stable production URL. */
const WEBHOOK_LIKE = /webhook|trigger/i;

/**
 * Fills what the n8n importer needs and the editor would have added: workflow id/name/settings/
 * connections, node ids/positions/typeVersion/parameters, and a `webhookId` for webhook-like
 * nodes (type containing "webhook" or "trigger") that lack one. Without a webhookId n8n serves
 * the production webhook at `<workflowId>/<node name>/<path>` instead of `<path>`.
 * Imported workflows are inactive; activation is a separate step.
 */
export function normalizeWorkflow(workflow: WorkflowJson, index = 0): WorkflowJson & { id: string; name: string } {
	const id = workflow.id ?? n8nId();
	const nodes = (workflow.nodes ?? []).map((node, i) => {
		const n: Record<string, unknown> = {
			id: randomUUID(),
			position: [i * 240, 0],
			typeVersion: 1,
			parameters: {},
			...node,
		};
		if (n.webhookId === undefined && typeof n.type === 'string' && WEBHOOK_LIKE.test(n.type)) {
			n.webhookId = randomUUID();
		}
		return n;
	});
	return {
		settings: { executionOrder: 'v1' },
		connections: {},
		...workflow,
		id,
		name: workflow.name ?? `Harness workflow ${index + 1} (${id})`,
		nodes,
		active: false,
	};
}

/**
 * Connections for a straight chain of nodes: chain('A', 'B', 'C') -> A → B → C (main output 0).
 */
export function chain(...names: string[]): Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }> {
	const out: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }> = {};
	for (let i = 0; i < names.length - 1; i++) {
		out[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	}
	return out;
}

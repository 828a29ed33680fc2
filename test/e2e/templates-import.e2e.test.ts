/**
 * The bundled templates (workflows/*.json) import into a real n8n 2.41.1 exactly as they are shipped, both ways
 * the README names:
 *
 * - `n8n import:workflow --input=<file>` on the file in workflows/ itself (no copy, no normalisation). A file
 *   without a workflow `id` fails there with `SQLITE_CONSTRAINT: NOT NULL constraint failed: workflow_entity.id`
 *   (only `--separate` generates ids), which the other template tests never see: they set their own ids.
 * - *Workflows › Import from File* in the editor. The editor does not send the file to the server: it parses it
 *   (MainHeader's file input → `importWorkflowData` in useCanvasOperations), puts its nodes and connections on the
 *   canvas of a new workflow, and saves that with `POST /rest/workflows`. editorImportBody() builds that request
 *   body the way n8n-editor-ui 2.41.x does (checked against a real Chromium import), and the test posts it over
 *   real HTTP in an owner session.
 *
 * One n8n for all files, this package installed (the templates' WhatsAuto nodes), one credential per type named
 * as the templates name them.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { login, n8nId, normalizeWorkflow, repoRoot, setupOwner, startN8n, type N8n, type RestSession, type WorkflowJson } from '../../devkit/n8n';

jest.setTimeout(300_000);

type Json = Record<string, unknown>;
interface Node extends Json {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Json;
	webhookId?: string;
	credentials?: Record<string, { id?: string | null; name: string } | string>;
}
interface Workflow extends Json {
	id: string;
	name: string;
	nodes: Node[];
	connections: Record<string, Record<string, Array<Array<{ node: string; type: string; index: number }>>>>;
	settings: Json;
	active: boolean;
}

const DIR = join(repoRoot, 'workflows');
const FILES = readdirSync(DIR)
	.filter((f) => f.endsWith('.json'))
	.sort();
const shipped = FILES.map((file) => ({ file, path: join(DIR, file), workflow: JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Workflow }));

/** What n8n generates for workflow ids (@n8n/utils generateNanoId: 16 characters of NANOID_ALPHABET). */
const N8N_ID = /^[0-9A-Za-z]{16}$/;
const OWNER = { email: 'owner@templates-import.local', password: 'Templates-Import-7', firstName: 'Templates', lastName: 'Import' };
/** One per type, named as the templates name them (created by import:credentials before n8n starts). */
const CREDENTIALS = [
	{ id: 'tplImpMetaCred01', name: 'WhatsAuto: WhatsApp Cloud API', type: 'whatsAutoMetaApi', data: { accessToken: 'EAAG-import', appSecret: 'import_app_secret', verifyToken: 'import-verify', phoneNumberId: '106540352242922', businessAccountId: '102290129340398', graphApiVersion: 'v23.0', baseUrl: 'http://127.0.0.1:9' } },
	{ id: 'tplImpOpenAiCr01', name: 'WhatsAuto: OpenAI', type: 'whatsAutoOpenAiApi', data: { apiKey: 'sk-import', baseUrl: 'http://127.0.0.1:9/v1' } },
	{ id: 'tplImpStoreCrd01', name: 'WhatsAuto: Store', type: 'whatsAutoStoreApi', data: { backend: 'sqlite', sqlitePath: '', secretKey: 'a1'.repeat(24) } },
];
const credentialIdOf = (type: string, name: string) => CREDENTIALS.find((c) => c.type === type && c.name === name)?.id;

/** The node types whose webhookId the editor renews on import (n8n-editor-ui 2.41: the Form Trigger only). */
const WEBHOOK_ID_RENEWED_ON_IMPORT = ['n8n-nodes-base.formTrigger'];

/**
 * The body of the `POST /rest/workflows` that saves a workflow imported with *Import from File* (n8n-editor-ui
 * 2.41.x, useCanvasOperations.importWorkflowData + useWorkflowSaving): the file's nodes (new node ids, a new
 * webhookId for Form Triggers, credential references whose id the user cannot see dropped, connections to
 * unknown nodes dropped), connections, name and pin data on a new workflow with an id the editor generates. The
 * file's own id, versionId, meta and settings are not sent.
 */
function editorImportBody(file: Workflow, visibleCredentialIds: Set<string>): Json {
	if (!Object.prototype.hasOwnProperty.call(file, 'nodes') || !Object.prototype.hasOwnProperty.call(file, 'connections')) {
		throw new Error('nodeView.showError.importWorkflowData.invalidStructure');
	}
	const data = JSON.parse(JSON.stringify(file)) as Workflow;
	const nodes = data.nodes.filter((n) => !!n.type);
	const names = new Set(nodes.map((n) => n.name));
	const connections: Workflow['connections'] = {};
	for (const [source, outputs] of Object.entries(data.connections)) {
		if (!names.has(source)) continue;
		connections[source] = Object.fromEntries(
			Object.entries(outputs).map(([type, slots]) => [type, slots.map((slot) => (slot ?? []).filter((c) => names.has(c.node)))]),
		);
	}
	for (const node of nodes) {
		if (node.webhookId && WEBHOOK_ID_RENEWED_ON_IMPORT.includes(node.type)) {
			const old = node.webhookId;
			node.webhookId = randomUUID();
			if (node.parameters.path === old) node.parameters.path = node.webhookId;
			else if ((node.parameters.options as Json | undefined)?.path === old) (node.parameters.options as Json).path = node.webhookId;
		}
		node.id = randomUUID();
		for (const [type, ref] of Object.entries(node.credentials ?? {})) {
			if (typeof ref === 'string' || ref.id === null || (ref.id !== undefined && visibleCredentialIds.has(ref.id))) continue;
			delete node.credentials![type];
		}
	}
	return {
		name: data.name,
		nodes,
		pinData: data.pinData ?? {},
		connections,
		active: false,
		settings: { executionOrder: 'v1', binaryMode: 'separate' }, // a new workflow's, not the file's
		tags: [],
		versionId: '',
		nodeGroups: [],
		id: n8nId(),
		autosaved: true,
	};
}

const shape = (w: Workflow) => ({
	name: w.name,
	nodes: w.nodes.map((n) => ({ name: n.name, type: n.type, typeVersion: n.typeVersion, parameters: n.parameters })).sort((a, b) => a.name.localeCompare(b.name)),
	connections: w.connections,
});

describe('workflow templates import as shipped into a real n8n 2.41.1', () => {
	let n8n: N8n;
	let rest: RestSession;
	const timings: Record<string, number> = {};

	beforeAll(async () => {
		const t0 = Date.now();
		n8n = await startN8n({ credentials: CREDENTIALS, activate: [] });
		timings.startMs = Date.now() - t0;
		await setupOwner(n8n.baseUrl, OWNER);
		rest = await login(n8n.baseUrl, OWNER);
	}, 600_000);

	afterAll(async () => {
		await n8n?.stop();
		console.log(`templates import timings (ms): ${JSON.stringify(timings)}`);
	});

	it('there are templates, each with a stable, valid n8n id of its own and credentials referenced by name only', () => {
		expect(FILES.length).toBeGreaterThanOrEqual(3);
		const ids = shipped.map(({ workflow }) => workflow.id);
		for (const { file, workflow } of shipped) {
			expect({ file, id: workflow.id }).toEqual({ file, id: expect.stringMatching(N8N_ID) });
			expect(workflow.active).toBe(false);
			for (const node of workflow.nodes) {
				expect(node.id).toEqual(expect.any(String));
				for (const ref of Object.values(node.credentials ?? {})) expect(ref).toEqual({ name: expect.any(String) });
			}
		}
		expect(new Set(ids).size).toBe(ids.length);
		// the harness keeps what is there (the e2e tests set their own ids on top)
		for (const { workflow } of shipped) {
			const normalized = normalizeWorkflow(workflow as WorkflowJson);
			expect(normalized.id).toBe(workflow.id);
			expect(normalized.nodes!.map((n) => n.id)).toEqual(workflow.nodes.map((n) => n.id));
		}
	});

	it('`n8n import:workflow --input=<file>` imports each file as it is, with its settings and its credentials by name', async () => {
		const t0 = Date.now();
		for (const { path } of shipped) {
			const out = await n8n.cli(['import:workflow', `--input=${path}`]);
			expect(out).toContain('Successfully imported 1 workflow.');
			expect(out).not.toMatch(/An error occurred|SQLITE_CONSTRAINT/);
		}
		timings.cliImportMs = Date.now() - t0;

		const exportFile = join(n8n.userFolder, 'exported-templates.json');
		await n8n.cli(['export:workflow', '--all', `--output=${exportFile}`]);
		const exported = JSON.parse(readFileSync(exportFile, 'utf8')) as Workflow[];
		expect(exported.map((w) => w.id).sort()).toEqual(shipped.map(({ workflow }) => workflow.id).sort());
		for (const { workflow } of shipped) {
			const imported = exported.find((w) => w.id === workflow.id)!;
			expect(shape(imported)).toEqual(shape(workflow));
			expect(imported.nodes.map((n) => n.id).sort()).toEqual(workflow.nodes.map((n) => n.id).sort());
			expect(imported.settings).toEqual(workflow.settings);
			expect(imported.active).toBe(false);
			for (const node of workflow.nodes) {
				const got = imported.nodes.find((n) => n.name === node.name)!;
				expect(got.webhookId).toBe(node.webhookId);
				for (const [type, ref] of Object.entries(node.credentials ?? {})) {
					const name = (ref as { name: string }).name;
					expect(got.credentials?.[type]).toEqual({ id: credentialIdOf(type, name), name });
				}
			}
			// and the owner sees it in the editor's API
			const read = await rest.request<Workflow>('GET', `/rest/workflows/${workflow.id}`);
			expect(read.status).toBe(200);
			expect(read.data.nodes).toHaveLength(workflow.nodes.length);
		}

		// the stable id makes a second import replace the workflow, not add a copy
		const again = await n8n.cli(['import:workflow', `--input=${shipped[0].path}`]);
		expect(again).toContain('Successfully imported 1 workflow.');
		const list = await rest.request<Array<{ id: string }>>('GET', '/rest/workflows');
		expect(list.status).toBe(200);
		expect(list.data.filter((w) => w.id === shipped[0].workflow.id)).toHaveLength(1);
		expect(list.data).toHaveLength(shipped.length);
	});

	it('*Import from File* in the editor: the request the editor saves it with is accepted, nodes and connections intact', async () => {
		const t0 = Date.now();
		const createdIds: string[] = [];
		const credentials = await rest.request<Array<{ id: string }>>('GET', '/rest/credentials');
		expect(credentials.status).toBe(200);
		const visible = new Set(credentials.data.map((c) => c.id));
		for (const { file, workflow } of shipped) {
			const body = editorImportBody(workflow, visible);
			const created = await rest.request<Workflow>('POST', '/rest/workflows', body);
			expect({ file, status: created.status, text: created.status === 200 ? '' : created.text }).toEqual({ file, status: 200, text: '' });
			expect(created.data.id).toBe(body.id);
			expect(created.data.id).not.toBe(workflow.id);
			createdIds.push(created.data.id);
			const saved = await rest.request<Workflow>('GET', `/rest/workflows/${created.data.id}`);
			expect(saved.status).toBe(200);
			expect(shape(saved.data)).toEqual(shape(workflow));
			expect(saved.data.active).toBe(false);
		}
		timings.editorImportMs = Date.now() - t0;
		const list = await rest.request<Array<{ id: string; name: string }>>('GET', '/rest/workflows');
		expect(list.data.filter((w) => createdIds.includes(w.id)).map((w) => w.name).sort()).toEqual(shipped.map(({ workflow }) => workflow.name).sort());
	});
});

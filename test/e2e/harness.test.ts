/**
 * Proves the e2e harness against a real n8n (devkit/n8n, pinned in devkit/n8n/n8n-version.json): built-in Webhook
 * → No-Op workflow imported, published and served on its production URL, and a generated community
 * package installed from its tarball, loaded, and usable as an activated trigger.
 * Does not need this repo's own build (packageTarball is the dummy package).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { chain, createDummyPackage, type DummyPackage, type N8n, n8nDir, repoRoot, startN8n } from '../../devkit/n8n';

// The dummy depends on pg like our package does, so the runtime-dependency install is exercised too.
const PG_VERSION = (require(`${repoRoot}/package.json`) as { dependencies: Record<string, string> }).dependencies.pg;

jest.setTimeout(240_000);
// A cold n8n install (scripts/install-n8n.sh, run by the harness when needed) takes several minutes.
const START_TIMEOUT = existsSync(join(n8nDir(), '.complete')) ? 240_000 : 20 * 60_000;

const WEBHOOK_WF = 'harnessWebhook01';
const DUMMY_WF = 'harnessDummy0001';

describe('e2e harness (real n8n)', () => {
	let n8n: N8n | undefined;
	let dummy: DummyPackage;
	const testStarted: Record<string, number> = {};
	const timings: Record<string, number> = {};

	beforeAll(async () => {
		const t0 = Date.now();
		dummy = await createDummyPackage({ dependencies: { pg: PG_VERSION } });
		n8n = await startN8n({
			packageTarball: dummy.tarball,
			workflows: [
				{
					id: WEBHOOK_WF,
					name: 'Harness check: built-in webhook',
					nodes: [
						{
							name: 'Webhook',
							type: 'n8n-nodes-base.webhook',
							typeVersion: 2,
							parameters: { httpMethod: 'POST', path: 'harness-check', responseMode: 'onReceived', responseData: '', options: {} },
						},
						{ name: 'No Op', type: 'n8n-nodes-base.noOp', typeVersion: 1 },
					],
					connections: chain('Webhook', 'No Op'),
				},
				{
					id: DUMMY_WF,
					name: 'Harness check: community trigger',
					nodes: [
						{ name: 'Dummy', type: dummy.nodeType, typeVersion: 1, parameters: { path: 'harness-dummy' } },
						{ name: 'No Op', type: 'n8n-nodes-base.noOp', typeVersion: 1 },
					],
					connections: chain('Dummy', 'No Op'),
				},
			],
			activate: 'all',
		});
		timings.coldStartMs = Date.now() - t0;
		console.log(`n8n ${n8n.version} up in ${timings.coldStartMs} ms: ${JSON.stringify(n8n.timings)}`);
	}, START_TIMEOUT);

	afterAll(async () => {
		const t0 = Date.now();
		const pid = n8n?.pid;
		await n8n?.stop();
		timings.stopMs = Date.now() - t0;
		// the whole process group (n8n + its task runner) is gone
		if (pid) expect(() => process.kill(-pid, 0)).toThrow();
		if (dummy) await rm(dummy.dir, { recursive: true, force: true });
		console.log(`harness timings: ${JSON.stringify(timings)}`);
	});

	beforeEach(() => {
		testStarted[expect.getState().currentTestName ?? ''] = Date.now();
	});
	afterEach(() => {
		const name = expect.getState().currentTestName ?? '';
		timings[name] = Date.now() - testStarted[name];
	});

	it('serves an activated built-in Webhook workflow and records its execution', async () => {
		const body = { hello: 'world', n: 42, nested: { ok: true } };
		const res = await fetch(n8n!.webhookUrl('harness-check'), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		expect(res.status).toBe(200);

		const [execution] = await n8n!.waitForExecutions(1, { workflowId: WEBHOOK_WF, timeoutMs: 30_000 });
		expect(execution.status).toBe('success');
		expect(execution.mode).toBe('webhook');
		expect(execution.executedNodes).toEqual(['Webhook', 'No Op']);
		expect(execution.items['Webhook'][0].body).toEqual(body);
		expect(execution.items['No Op'][0].body).toEqual(body);
	});

	it('loads a community package installed from its tarball and runs its trigger', async () => {
		const packageDir = `${n8n!.userFolder}/.n8n/nodes/node_modules/${dummy.packageName}`;
		expect(n8n!.packages.find((p) => p.packageName === dummy.packageName)?.directory).toBe(packageDir);

		const res = await fetch(n8n!.webhookUrl('harness-dummy?via=query'), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ ping: 'pong' }),
		});
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ dummy: 'received' });

		const [execution] = await n8n!.waitForExecutions(1, { workflowId: DUMMY_WF, timeoutMs: 30_000 });
		expect(execution.status).toBe('success');
		expect(execution.items['Dummy']).toEqual([
			{
				dummy: true,
				marker: 'harness-dummy',
				// its own pg, installed next to it, not n8n's copy (n8n puts its node_modules on NODE_PATH)
				dependencies: { pg: { version: PG_VERSION, resolved: expect.stringContaining(`${packageDir}/node_modules/pg/`) } },
				body: { ping: 'pong' },
				query: { via: 'query' },
			},
		]);
		expect(execution.items['No Op']).toHaveLength(1);
	});

	it('lists executions per workflow and overall', async () => {
		const all = await n8n!.executions();
		expect(all.map((e) => e.workflowId).sort()).toEqual([DUMMY_WF, WEBHOOK_WF].sort());
		expect(await n8n!.executions({ workflowId: WEBHOOK_WF })).toHaveLength(1);
		expect(await n8n!.executions({ afterId: all[all.length - 1].id })).toHaveLength(0);
	});

	it('answers 404 for a webhook path no workflow registered', async () => {
		const res = await fetch(n8n!.webhookUrl('no-such-path'), { method: 'POST', body: '{}' });
		expect(res.status).toBe(404);
	});
});

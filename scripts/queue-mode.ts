/**
 * `npm run queue-mode`: n8n in queue mode on this machine, with the auto-responder template imported and active.
 *
 * Starts Redis (scripts/redis.sh) and PostgreSQL (scripts/postgres.sh), both installed with apt-get when missing,
 * then n8n (the pinned 2.41.1) as one main, one webhook process and two workers (devkit/n8n/queue.ts), this package
 * built, packed and installed once for all of them, n8n's own data in a fresh PostgreSQL database and the WhatsAuto
 * store in a schema of it. Meta's Graph API is a local fake; OpenAI is OpenAI itself (OPENAI_API_KEY) or the offline
 * demo responder. Each line typed on stdin goes to the webhook process as a signed WhatsApp message; the reply and
 * the worker that ran the execution are printed. Ctrl-C stops everything, drops the database and removes the
 * folders: nothing is kept.
 *
 * Environment: QUEUE_WORKERS (1 or 2, default 2), N8N_PORT (the main's port, default 5678 when free),
 * WHATSAUTO_WEBHOOK_PORT (the webhook process's port, default 5690 when free), N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE
 * (default true), OPENAI_API_KEY, OPENAI_BASE_URL, WHATSAUTO_N8N_LOGS=1 (every process's output, prefixed).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { startFakeGraphApi, type FakeGraphApi } from '../devkit/fakes/graph-api';
import { startFakeOpenAi, type FakeOpenAi } from '../devkit/fakes/openai';
import { msg } from '../devkit/fakes/webhook-payloads';
import { repoRoot, setupOwner, startPostgres, startQueueMode, startRedis, type QueueMode, type Service, type WorkflowJson } from '../devkit/n8n';
import { offlineReply } from '../sandbox/responder';

const say = (line: string) => process.stdout.write(`[whatsauto] ${line}\n`);
const started = Date.now();

const ACCOUNT = { phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', businessAccountId: '102290129340398' };
const CUSTOMER = '447700900321';
const WORKFLOW_ID = 'waQueueAutoResp1';
const IDS = { whatsAutoMetaApi: 'waQueueMetaCred1', whatsAutoOpenAiApi: 'waQueueOpenAiCr1', whatsAutoStoreApi: 'waQueueStoreCrd1' } as const;
const NAMES = { whatsAutoMetaApi: 'WhatsAuto: WhatsApp Cloud API', whatsAutoOpenAiApi: 'WhatsAuto: OpenAI', whatsAutoStoreApi: 'WhatsAuto: Store' } as const;
const OFFLINE_API_KEY = 'sk-offline-demo-responder';

const cleanups: Array<() => Promise<unknown>> = [];
let stack: QueueMode | undefined;
let stopping = false;

async function stopAll() {
	for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => say(`(while stopping: ${String(error)})`));
}

async function shutdown(signal: string) {
	if (stopping) {
		say('Stopping already; press Ctrl-C again in a few seconds to force.');
		process.exit(130); // the harness's exit hooks SIGKILL every n8n process group
	}
	stopping = true;
	say(`${signal}: stopping the workers, the webhook process, the main, the fakes${stack ? ', and dropping the database' : ''}…`);
	const force = setTimeout(() => {
		say('Still stopping after 60 s; forcing.');
		process.exit(1);
	}, 60_000);
	force.unref();
	await stopAll();
	say('Stopped.');
	process.exit(0);
}

process.on('SIGINT', () => void shutdown('Ctrl-C'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

async function portOr(preferred: number | undefined): Promise<number | undefined> {
	if (preferred === undefined) return undefined;
	const free = await new Promise<boolean>((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(false));
		server.listen({ port: preferred, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
	});
	return free ? preferred : undefined;
}

function envNumber(name: string): number | undefined {
	const value = Number(process.env[name]);
	return Number.isInteger(value) && value > 0 && value < 65536 ? value : undefined;
}

/** The template, its credential references (by name in the file) pointed at the credentials created here. */
function autoResponder(): WorkflowJson {
	const workflow = JSON.parse(readFileSync(join(repoRoot, 'workflows', 'whatsapp-gpt4-auto-responder.json'), 'utf8')) as WorkflowJson;
	const nodes = (workflow.nodes ?? []).map((node) => {
		const refs = node.credentials as Record<string, unknown> | undefined;
		if (!refs) return node;
		const wired: Record<string, { id: string; name: string }> = {};
		for (const type of Object.keys(refs)) {
			if (!(type in IDS)) throw new Error(`template node "${String(node.name)}" uses a credential type this script does not create: ${type}`);
			wired[type] = { id: IDS[type as keyof typeof IDS], name: NAMES[type as keyof typeof NAMES] };
		}
		return { ...node, credentials: wired };
	});
	return { ...workflow, id: WORKFLOW_ID, nodes };
}

async function main() {
	const workers = process.env.QUEUE_WORKERS === '1' ? 1 : 2;
	const lazy = process.env.N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE;
	const lazyAcquire = lazy === undefined || lazy === '' ? true : lazy === 'true';
	say(`Starting n8n in queue mode: Redis + PostgreSQL, then main + webhook process + ${workers} worker${workers > 1 ? 's' : ''}.`);

	say('Redis (scripts/redis.sh) and PostgreSQL (scripts/postgres.sh): installing with apt-get if missing, starting…');
	const services: Array<Service<unknown>> = [];
	const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
	services.push(redis, postgres);
	cleanups.push(async () => {
		for (const service of services) await service.stop();
	});
	if (stopping) return;

	const secrets = {
		accessToken: `EAAG-queue-${randomBytes(12).toString('hex')}`,
		appSecret: randomBytes(16).toString('hex'),
		verifyToken: `verify-${randomBytes(6).toString('hex')}`,
		storeSecret: randomBytes(32).toString('hex'),
	};
	const graph: FakeGraphApi = await startFakeGraphApi({ ...ACCOUNT, accessToken: secrets.accessToken, appSecret: secrets.appSecret, verifiedName: 'Your Business', maxRecords: 2_000 });
	cleanups.push(() => graph.close());
	const apiKey = process.env.OPENAI_API_KEY?.trim() ?? '';
	let offline: FakeOpenAi | undefined;
	if (!apiKey) {
		offline = await startFakeOpenAi({ apiKey: OFFLINE_API_KEY, responder: offlineReply, maxRecords: 50, maxReceivedBytes: 16 << 20 });
		cleanups.push(() => offline!.close());
	}
	const ai = apiKey
		? { apiKey, baseUrl: process.env.OPENAI_BASE_URL || 'https://api.openai.com/v1', label: 'real OpenAI (OPENAI_API_KEY is set)' }
		: { apiKey: OFFLINE_API_KEY, baseUrl: offline!.baseUrl, label: 'OFFLINE DEMO RESPONDER (no OPENAI_API_KEY): canned replies, marked "[offline demo responder]"' };

	say(`Building and packing n8n-nodes-whatsauto, then starting n8n (first run of a stack: ~1 minute for n8n's database)…`);
	const workflow = autoResponder();
	stack = await startQueueMode({
		redis: redis.connection,
		postgres: postgres.connection,
		workers,
		lazyAcquire,
		mainPort: await portOr(envNumber('N8N_PORT') ?? 5678),
		webhookPort: await portOr(envNumber('WHATSAUTO_WEBHOOK_PORT') ?? 5690),
		echoLogs: process.env.WHATSAUTO_N8N_LOGS === '1',
		credentials: (db) => [
			{
				id: IDS.whatsAutoMetaApi,
				name: NAMES.whatsAutoMetaApi,
				type: 'whatsAutoMetaApi',
				data: {
					accessToken: secrets.accessToken,
					appSecret: secrets.appSecret,
					verifyToken: secrets.verifyToken,
					phoneNumberId: ACCOUNT.phoneNumberId,
					businessAccountId: ACCOUNT.businessAccountId,
					graphApiVersion: 'v23.0',
					baseUrl: graph.baseUrl,
				},
			},
			{ id: IDS.whatsAutoOpenAiApi, name: NAMES.whatsAutoOpenAiApi, type: 'whatsAutoOpenAiApi', data: { apiKey: ai.apiKey, baseUrl: ai.baseUrl, organizationId: '' } },
			{
				id: IDS.whatsAutoStoreApi,
				name: NAMES.whatsAutoStoreApi,
				type: 'whatsAutoStoreApi',
				data: { backend: 'postgres', host: db.host, port: db.port, database: db.database, user: db.user, password: db.password, ssl: false, schema: 'whatsauto', secretKey: secrets.storeSecret },
			},
		],
		workflows: [workflow],
	});
	const s = stack;
	cleanups.push(() => s.stop());
	if (stopping) return;

	const trigger = (workflow.nodes ?? []).find((n) => n.type === 'n8n-nodes-whatsauto.whatsAutoTrigger');
	const webhookUrl = s.webhookUrl(`${String(trigger?.webhookId)}/webhook`);
	graph.setWebhookTarget(webhookUrl);
	const owner = { email: 'owner@whatsauto.local', password: `Queue-${randomBytes(9).toString('base64url')}-7` };
	await setupOwner(s.editorUrl, owner);

	const pids = s.pids;
	const line = '─'.repeat(78);
	process.stdout.write(
		[
			line,
			`  n8n main (editor):      ${s.editorUrl}   pid ${pids.main}`,
			`      log in as ${owner.email} / ${owner.password}`,
			`      auto-responder:     ${s.editorUrl}/workflow/${WORKFLOW_ID}`,
			`  webhook process:        ${s.webhookBaseUrl}   pid ${pids.webhook}`,
			`      production webhook: ${webhookUrl}`,
			...s.workerUrls.map((url, i) => `  worker ${i + 1}:               ${url}/healthz/readiness   pid ${pids.workers[i]}`),
			`  Redis:                  ${redis.connection.host}:${redis.connection.port} (key prefix ${s.redisPrefix})`,
			`  PostgreSQL:             ${s.database.host}:${s.database.port}, database ${s.database.database} (WhatsAuto store: schema whatsauto)`,
			`  N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=${lazyAcquire}`,
			`  AI: ${ai.label}`,
			`  WhatsApp: a local fake of Meta's Graph API (${graph.baseUrl}); nothing leaves this machine.`,
			line,
			`Ready in ${Math.round((Date.now() - started) / 1000)} s. Type a message and press Enter: it reaches the webhook process as a`,
			`signed WhatsApp message from +${CUSTOMER}; the reply and the worker that ran it are printed. Ctrl-C stops everything.`,
			'',
		].join('\n'),
	);

	const input = createInterface({ input: process.stdin, terminal: false });
	let queue = Promise.resolve();
	input.on('line', (text) => {
		if (!text.trim()) return;
		queue = queue
			.then(() => converse(s, graph, text.trim()))
			.catch((error: unknown) => {
				say(`failed: ${error instanceof Error ? error.message : String(error)}`);
			});
	});
}

async function converse(s: QueueMode, graph: FakeGraphApi, text: string) {
	const sentBefore = graph.sent.length;
	const runsBefore = s.workerRuns().map((r) => r.finished.length);
	const [result] = await graph.deliver(msg.text(CUSTOMER, text));
	if (result.status !== 200) {
		say(`the webhook process answered ${result.status} ${result.body.slice(0, 200)}`);
		return;
	}
	const reply = await graph.waitFor('sent', (r) => graph.sent.indexOf(r) >= sentBefore && r.waId === CUSTOMER, 120_000);
	await new Promise((resolve) => setTimeout(resolve, 300)); // the worker's "finished" line follows the send
	const ran = s
		.workerRuns()
		.flatMap((r, i) => r.finished.slice(runsBefore[i]).map((id) => `worker ${r.worker} (execution ${id})`))
		.join(', ');
	const body = reply.body as { text?: { body?: string } };
	say(`reply${ran ? ` from ${ran}` : ''}: ${body.text?.body ?? `[${reply.type}]`}`);
}

main().catch(async (error: unknown) => {
	process.stderr.write(`[whatsauto] npm run queue-mode failed: ${error instanceof Error ? error.message : String(error)}\n`);
	await stopAll();
	process.exit(1);
});

/**
 * `npm run bench` (a benchmark, not a test): the WhatsAuto auto-responder template, the chain people build from
 * n8n's built-in nodes (bench/builtin-chain.json) and Webhook → No-Op (bench/webhook-noop.json), in a real n8n
 * 2.41.1 on this machine, Meta and OpenAI played by the fakes on loopback. For each workflow, with n8n's default
 * settings and with N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true, and with the fake model answering at once and after 1 s:
 *
 *   - signed deliveries at fixed open-loop arrival rates: ack latency p50/p99, answers other than 200 (Meta
 *     redelivers them) apart from timeouts and connection errors, replies/s and reply latency, acknowledged-but-lost
 *     messages (200 but never answered before the drain ends), duplicates (answered twice, from the fake Graph API's
 *     records), model calls, n8n's CPU per message and peak RSS (its process groups, from /proc);
 *   - bursts of 3 messages from one contact within 1 s: model calls and replies per burst;
 *   - the template again in queue mode (devkit/n8n/queue.ts: Redis, PostgreSQL, main, webhook process, 1 or 2 workers).
 *
 * BENCH_SUITE=trigger runs scripts/bench-trigger.ts's webhook-path scenarios instead (`all`: both). Results go to
 * bench/results/<date>-<host>.json and .md (BENCH_OUT to put them elsewhere). Every setting: README, Performance.
 * Ctrl-C stops every n8n, server and fake started here (a second Ctrl-C exits at once; the harness SIGKILLs n8n).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import { join } from 'node:path';

import { startFakeGraphApi, type FakeGraphApi } from '../devkit/fakes/graph-api';
import { signWebhook, webhookBytes } from '../devkit/fakes/meta-json';
import { samplePng, startFakeOpenAi, type FakeOpenAi } from '../devkit/fakes/openai';
import { envelope, messagesChange, msg, status, statusesChange, type MediaRef, type WebhookMessage } from '../devkit/fakes/webhook-payloads';
import {
	ensureN8n,
	n8nVersion,
	nodeBinary,
	repoRoot,
	startN8n,
	startPostgres,
	startQueueMode,
	startRedis,
	type N8n,
	type PostgresConnection,
	type QueueMode,
	type RedisConnection,
	type Service,
} from '../devkit/n8n';
import { openDb } from '../devkit/n8n/sqlite';
import {
	checkInterrupted,
	envList,
	envNumber,
	envNumbers,
	GroupMonitor,
	Interrupted,
	interruption,
	openLoop,
	percentile,
	Poster,
	round,
	sampleGroups,
	sleep,
	waitFor,
	wallNow,
	type PostResult,
} from './bench-lib';
import { writeResults, type BenchResults, type BurstResult, type GroupResult, type RunResult } from './bench-report';
import { runTriggerSuite } from './bench-trigger';
import { ACCOUNT, benchCredentials, benchWorkflow, SECRETS, webhookPath, WORKFLOW_IDS, WORKFLOW_KEYS, type WorkflowKey } from './bench-workflows';

const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);

// ------------------------------------------------------------------------------------------ settings

type Settings = 'default' | 'lazy';

function readConfig() {
	const suite = process.env.BENCH_SUITE ?? 'workflows';
	if (!['workflows', 'trigger', 'all'].includes(suite)) throw new Error(`BENCH_SUITE: "${suite}" is not workflows, trigger or all`);
	const settings = envList('BENCH_SETTINGS', 'default,lazy');
	for (const s of settings) if (s !== 'default' && s !== 'lazy') throw new Error(`BENCH_SETTINGS: "${s}" is not default or lazy`);
	const queueSettings = envList('BENCH_QUEUE_SETTINGS', settings.join(','));
	for (const s of queueSettings) if (s !== 'default' && s !== 'lazy') throw new Error(`BENCH_QUEUE_SETTINGS: "${s}" is not default or lazy`);
	const workflows = envList('BENCH_WORKFLOWS', WORKFLOW_KEYS.join(','));
	for (const w of workflows) if (!WORKFLOW_KEYS.includes(w as WorkflowKey)) throw new Error(`BENCH_WORKFLOWS: "${w}" is not one of ${WORKFLOW_KEYS.join(', ')}`);
	const queueWorkers = envNumbers('BENCH_QUEUE_WORKERS', '1,2').filter((n) => n > 0);
	for (const n of queueWorkers) if (n !== 1 && n !== 2) throw new Error(`BENCH_QUEUE_WORKERS: ${n} (queue.ts runs 1 or 2 workers)`);
	const rates = envNumbers('BENCH_RATES', '20,50,100,200').filter((r) => r > 0);
	const imageShare = envNumber('BENCH_IMAGE_SHARE', 0.1);
	if (imageShare > 1) throw new Error('BENCH_IMAGE_SHARE is a share between 0 and 1');
	return {
		suite,
		rates,
		seconds: envNumber('BENCH_SECONDS', 60),
		modelLatencies: envNumbers('BENCH_MODEL_LATENCIES', '0,1000'),
		settings: settings as Settings[],
		queueSettings: queueSettings as Settings[],
		workflows: workflows as WorkflowKey[],
		queueWorkers: queueWorkers as Array<1 | 2>,
		workerConcurrency: process.env.BENCH_WORKER_CONCURRENCY ? envNumber('BENCH_WORKER_CONCURRENCY', 10) : undefined,
		drainSeconds: envNumber('BENCH_DRAIN_SECONDS', 180),
		stallSeconds: envNumber('BENCH_STALL_SECONDS', 30),
		ackTimeoutMs: envNumber('BENCH_ACK_TIMEOUT_MS', 10_000),
		bursts: envNumber('BENCH_BURSTS', 5),
		imageShare,
		out: process.env.BENCH_OUT ? join(process.cwd(), process.env.BENCH_OUT) : join(repoRoot, 'bench', 'results'),
	};
}
type Config = ReturnType<typeof readConfig>;

/** How long the matrix takes: every rate's load, plus (at most) its drain; start-ups and warm-ups come on top. */
function estimate(config: Config): { groups: number; runs: number; minMinutes: number; maxMinutes: number } {
	const withModel = config.workflows.filter((w) => w !== 'noop').length;
	const regular = config.settings.length * (withModel * config.modelLatencies.length + (config.workflows.includes('noop') ? 1 : 0));
	const queue = config.queueSettings.length * config.queueWorkers.length * config.modelLatencies.length;
	const groups = regular + queue;
	const runs = groups * config.rates.length;
	const startups = ((config.settings.length + config.queueSettings.length * config.queueWorkers.length) * 60 + groups * 40) / 60;
	const minMinutes = Math.round((runs * (config.seconds + 5)) / 60 + startups);
	const maxMinutes = Math.round((runs * (config.seconds + config.drainSeconds + 40)) / 60 + startups);
	return { groups, runs, minMinutes, maxMinutes };
}

// ------------------------------------------------------------------------------------------ fakes

let graph: FakeGraphApi;
let ai: FakeOpenAi;
let media: MediaRef;
/** The fake model's latency for the group being measured. */
let modelLatencyMs = 0;
let modelCalls = 0;
/** Burst tokens being watched → model calls whose prompt holds the token. */
const burstWatch = new Map<string, { calls: number }>();

const REPLY = 'Thanks for your message! We are open Monday to Saturday, 9:00 to 18:00, and delivery is free over 50 EUR.';
const QUESTION = 'Hello, are you open on Saturday afternoon, and do you deliver to my area?';

async function startFakes(config: Config) {
	const perRun = Math.ceil(Math.max(0, ...config.rates) * config.seconds);
	graph = await startFakeGraphApi({
		...ACCOUNT,
		accessToken: SECRETS.accessToken,
		appSecret: SECRETS.appSecret,
		verifiedName: 'Your Business',
		// the bench measures n8n, not Meta's limits
		globalRateLimit: false,
		pairRateLimit: false,
		// every reply of a run stays countable (send, mark-as-read, typing, media: ~5 requests per message)
		maxRecords: Math.max(20_000, perRun * 5 + 1_000),
	});
	cleanups.push({ name: 'fake Graph API', run: () => graph.close() });
	ai = await startFakeOpenAi({
		apiKey: SECRETS.openAiKey,
		rateLimits: { requestsPerMinute: 1e9, tokensPerMinute: 1e12 },
		maxRecords: 200,
		maxReceivedBytes: 1 << 20,
		responder: async (req) => {
			modelCalls++;
			if (burstWatch.size > 0) {
				const text = req.texts.join('\n');
				for (const [token, burst] of burstWatch) if (text.includes(token)) burst.calls++;
			}
			if (modelLatencyMs > 0) await new Promise((resolve) => setTimeout(resolve, modelLatencyMs));
			return REPLY;
		},
	});
	cleanups.push({ name: 'fake OpenAI', run: () => ai.close() });
	media = graph.addMedia({ bytes: samplePng(8, 8), mimeType: 'image/png' });
}

// ------------------------------------------------------------------------------------------ n8n (regular, queue)

interface Target {
	label: string;
	pgids(): Array<number | undefined>;
	url(key: WorkflowKey): string;
	alive(): boolean;
	/** Executions of the workflow that ended (regular mode; undefined in queue mode). */
	endedExecutions(key: WorkflowKey): number | undefined;
	restart(): Promise<void>;
	stop(): Promise<void>;
	logs(): string;
}

const cleanups: Array<{ name: string; run: () => Promise<unknown> }> = [];
/** Observations that go into the results as they are. */
const notes: string[] = [];

/** Runs `stop` now and drops it from the Ctrl-C cleanups. */
async function stopNow(name: string, stop: () => Promise<unknown>) {
	const index = cleanups.findIndex((c) => c.name === name);
	if (index >= 0) cleanups.splice(index, 1);
	await stop();
}

const lazyEnv = (settings: Settings) => ({ N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: settings === 'lazy' ? 'true' : 'false' });

async function startRegular(config: Config, settings: Settings): Promise<Target> {
	const credentials = benchCredentials({ graph: graph.baseUrl, openAi: ai.baseUrl }, 'sqlite');
	const workflows = config.workflows.map((key) => ({ key, workflow: benchWorkflow(key, credentials, graph.baseUrl) }));
	const n8n: N8n = await startN8n({
		credentials,
		workflows: workflows.map((w) => w.workflow),
		activate: 'all',
		activation: 'db',
		startTimeoutMs: 180_000,
		// n8n's defaults (the harness turns pruning off); the template's own settings save no execution data
		env: { EXECUTIONS_DATA_PRUNE: 'true', ...lazyEnv(settings) },
	});
	const name = `n8n (${settings})`;
	cleanups.push({ name, run: () => n8n.stop() });
	if (config.workflows.includes('template')) {
		// the WhatsAuto Trigger's activation tells the operator about lazy acquire (nodes/WhatsAutoTrigger/activation.ts)
		const hints = n8n.logs().split('N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE is not true').length - 1;
		const note = `${settings} settings: the WhatsAuto Trigger's lazy-acquire hint appears ${hints} time${hints === 1 ? '' : 's'} in n8n's log at start`;
		say(note);
		notes.push(note);
	}
	const paths = new Map(workflows.map(({ key, workflow }) => [key, webhookPath(key, workflow)]));
	const dbPath = join(n8n.userFolder, '.n8n', 'database.sqlite');
	return {
		label: 'regular',
		pgids: () => [n8n.pid],
		url: (key) => n8n.webhookUrl(paths.get(key)!),
		alive: () => n8n.pid !== undefined,
		endedExecutions(key) {
			const db = openDb(dbPath, { readOnly: true, fallbackNode: nodeBinary() });
			try {
				const [row] = db.all(
					"SELECT COUNT(*) AS n FROM execution_entity WHERE workflowId = ? AND status IN ('success', 'error', 'crashed', 'canceled')",
					WORKFLOW_IDS[key],
				);
				return Number(row?.n ?? 0);
			} finally {
				db.close();
			}
		},
		restart: () => n8n.restart(),
		stop: () => stopNow(name, () => n8n.stop()),
		logs: () => n8n.logs(),
	};
}

let services: { redis: Service<RedisConnection>; postgres: Service<PostgresConnection> } | undefined;

async function startQueue(config: Config, settings: Settings, workers: 1 | 2): Promise<Target> {
	if (!services) {
		say('Redis (scripts/redis.sh) and PostgreSQL (scripts/postgres.sh): installing with apt-get if missing, starting…');
		const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
		services = { redis, postgres };
		cleanups.push({ name: 'Redis and PostgreSQL', run: async () => Promise.all([redis.stop(), postgres.stop()]) });
	}
	const { redis, postgres } = services;
	const name = `queue mode (${settings}, ${workers} worker${workers === 1 ? '' : 's'})`;
	// credential ids and names do not depend on the store's connection: bind the template once
	const template = benchWorkflow('template', benchCredentials({ graph: graph.baseUrl, openAi: ai.baseUrl }, 'sqlite'), graph.baseUrl);
	const start = async () => {
		const stack = await startQueueMode({
			redis: redis.connection,
			postgres: postgres.connection,
			workers,
			workerConcurrency: config.workerConcurrency,
			lazyAcquire: settings === 'lazy',
			// the WhatsAuto store on n8n's fresh PostgreSQL database (schema whatsauto), shared by every process
			credentials: (db) => benchCredentials({ graph: graph.baseUrl, openAi: ai.baseUrl }, db),
			workflows: [template],
			startTimeoutMs: 240_000,
		});
		cleanups.push({ name, run: () => stack.stop() });
		return stack;
	};
	let stack: QueueMode = await start();
	const path = webhookPath('template', template);
	return {
		label: `queue, ${workers} worker${workers === 1 ? '' : 's'}`,
		pgids: () => [stack.pids.main, stack.pids.webhook, ...stack.pids.workers],
		url: () => stack.webhookUrl(path),
		alive: () => stack.pids.webhook !== undefined && stack.pids.main !== undefined && stack.pids.workers.every((p) => p !== undefined),
		endedExecutions: () => undefined,
		async restart() {
			await stopNow(name, () => stack.stop());
			stack = await start();
		},
		stop: () => stopNow(name, () => stack.stop()),
		logs: () => stack.logs(),
	};
}

// ------------------------------------------------------------------------------------------ deliveries

let contactSeq = 0;
/** A fresh customer number (12 digits), never used before in this bench. */
function newContact(): string {
	contactSeq++;
	return `4915${String(process.pid % 100).padStart(2, '0')}${String(contactSeq).padStart(6, '0')}`;
}

const letters = (n: number) => Array.from(randomBytes(n), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[b % 26]).join('');

/** Meta's bytes for one message, signed; its sender's 24-hour window opened at the fake Graph API. */
function delivery(message: WebhookMessage): { body: Buffer; headers: Record<string, string> } {
	const payload = envelope(ACCOUNT, [messagesChange(ACCOUNT, [message], { names: 'Bench Customer' })]);
	graph.noteInbound(payload);
	const body = webhookBytes(payload);
	return { body, headers: { 'x-hub-signature-256': signWebhook(SECRETS.appSecret, body) } };
}

function messageFor(waId: string, image: boolean): WebhookMessage {
	return image ? msg.image(waId, media) : msg.text(waId, QUESTION);
}

/** Replies sent to the fake Graph API since its last reset, per recipient: the times they left n8n. */
class ReplyLog {
	private cursor = 0;
	readonly byContact = new Map<string, number[]>();
	lastAt = 0;

	constructor(private readonly watched: (waId: string) => boolean) {}

	collect(): number {
		let added = 0;
		for (; this.cursor < graph.sent.length; this.cursor++) {
			const sent = graph.sent[this.cursor];
			if (!sent.waId || !this.watched(sent.waId)) continue;
			const at = sent.at.getTime();
			const list = this.byContact.get(sent.waId);
			if (list) list.push(at);
			else this.byContact.set(sent.waId, [at]);
			this.lastAt = Math.max(this.lastAt, at);
			added++;
		}
		return added;
	}
}

/** Waits until the workflow's webhook answers 200 (n8n registers webhooks a little after it says it is ready). */
async function probe(target: Target, key: WorkflowKey) {
	const poster = new Poster(10_000);
	try {
		const payload = envelope(ACCOUNT, [statusesChange(ACCOUNT, [status(`wamid.BENCHPROBE${letters(8)}`, newContact(), 'delivered')])]);
		const body = webhookBytes(payload);
		const headers = { 'x-hub-signature-256': signWebhook(SECRETS.appSecret, body) };
		let last: PostResult | undefined;
		await waitFor(
			`${key}'s webhook to answer 200 (last: ${last?.status ?? '–'} ${last?.error ?? ''})`,
			async () => {
				last = await poster.post(target.url(key), body, headers);
				return last.status === 200;
			},
			120_000,
			500,
		);
	} finally {
		poster.close();
	}
}

/** A few messages (one image), answered, before anything is measured: n8n's caches, the store, the JIT. */
async function warmUp(target: Target, key: WorkflowKey) {
	await probe(target, key);
	const poster = new Poster(30_000);
	try {
		const contacts = Array.from({ length: 6 }, () => newContact());
		const replies = new ReplyLog((waId) => contacts.includes(waId));
		const endedBefore = key === 'noop' ? target.endedExecutions(key) : undefined;
		for (const [i, waId] of contacts.entries()) {
			const { body, headers } = delivery(messageFor(waId, i === 1));
			const result = await poster.post(target.url(key), body, headers);
			if (result.status !== 200) throw new Error(`warm-up: ${key}'s webhook answered ${result.status || result.error}`);
			await sleep(200);
		}
		if (key === 'noop') {
			if (endedBefore !== undefined) await waitFor('the warm-up executions', () => (target.endedExecutions(key) ?? 0) >= endedBefore + contacts.length, 60_000);
			return;
		}
		await waitFor(
			`replies to the ${contacts.length} warm-up messages (${key})`,
			() => {
				replies.collect();
				return contacts.every((c) => replies.byContact.has(c));
			},
			120_000 + 6 * modelLatencyMs,
		);
	} finally {
		poster.close();
	}
}

// ------------------------------------------------------------------------------------------ one rate

async function runRate(config: Config, target: Target, key: WorkflowKey, rate: number): Promise<RunResult & { dirty: boolean }> {
	graph.reset();
	modelCalls = 0;
	const contacts = new Set<string>();
	const replies = new ReplyLog((waId) => contacts.has(waId));
	const poster = new Poster(config.ackTimeoutMs);
	const endedBefore = key === 'noop' ? target.endedExecutions(key) : undefined;
	const cpu0 = sampleGroups(target.pgids()).cpuSeconds;
	const monitor = new GroupMonitor(() => target.pgids());
	const url = target.url(key);
	let imageDebt = 0;
	try {
		const { sent, startedAt, endedAt } = await openLoop(rate, config.seconds, () => {
			const waId = newContact();
			contacts.add(waId);
			imageDebt += config.imageShare;
			const image = imageDebt >= 1;
			if (image) imageDebt -= 1;
			const { body, headers } = delivery(messageFor(waId, image));
			return { meta: { waId }, promise: poster.post(url, body, headers) };
		});
		const acked = sent.filter((s) => s.result?.status === 200);

		// drain: until every acked message is answered, the drain times out, or nothing moves and n8n is idle
		const deadline = wallNow() + config.drainSeconds * 1000;
		let ended: RunResult['drain']['ended'] = 'all answered';
		let lastProgressAt = wallNow();
		let lastCount = -1;
		const answeredCount = () => {
			replies.collect();
			if (key === 'noop') return Math.max(0, (target.endedExecutions(key) ?? 0) - (endedBefore ?? 0));
			return acked.filter((s) => replies.byContact.has(s.meta.waId)).length;
		};
		for (;;) {
			const count = answeredCount();
			if (count >= acked.length) break;
			if (count !== lastCount) {
				lastCount = count;
				lastProgressAt = wallNow();
			}
			if (!target.alive()) {
				ended = 'n8n exited';
				break;
			}
			if (wallNow() > deadline) {
				ended = 'timeout';
				break;
			}
			if (wallNow() - lastProgressAt > config.stallSeconds * 1000 && (monitor.recentCpuShare(5) ?? 1) < 0.05) {
				ended = 'stalled';
				break;
			}
			await sleep(250);
		}
		// late duplicates: give n8n a moment more (a model call's worth) before counting
		if (ended === 'all answered' && key !== 'noop') await sleep(2_000 + modelLatencyMs);
		replies.collect();
		const drainedAt = wallNow();
		monitor.stop();
		const cpuSeconds = sampleGroups(target.pgids()).cpuSeconds - cpu0;

		const non200: Record<string, number> = {};
		const connectionErrors: Record<string, number> = {};
		let timeouts = 0;
		for (const s of sent) {
			const r = s.result;
			if (!r) continue;
			if (r.status === 200) continue;
			if (r.status > 0) non200[r.status] = (non200[r.status] ?? 0) + 1;
			else if (r.error === 'timeout') timeouts++;
			else connectionErrors[r.error ?? 'error'] = (connectionErrors[r.error ?? 'error'] ?? 0) + 1;
		}
		const ackMs = acked.map((s) => s.result!.at - s.dueAt);
		const answered = key === 'noop' ? answeredCount() : sent.filter((s) => replies.byContact.has(s.meta.waId)).length;
		const lost = key === 'noop' ? Math.max(0, acked.length - answered) : acked.filter((s) => !replies.byContact.has(s.meta.waId)).length;
		const replyMs = sent.filter((s) => replies.byContact.has(s.meta.waId)).map((s) => replies.byContact.get(s.meta.waId)![0] - s.dueAt);
		const duplicates = key === 'noop' ? undefined : [...replies.byContact.values()].reduce((n, list) => n + Math.max(0, list.length - 1), 0);
		const lastAnswerAt = key === 'noop' ? drainedAt : Math.max(replies.lastAt, endedAt);
		const result: RunResult = {
			rate,
			seconds: config.seconds,
			sent: sent.length,
			acked: acked.length,
			non200,
			timeouts,
			connectionErrors,
			ackP50Ms: round(percentile(ackMs, 50)),
			ackP99Ms: round(percentile(ackMs, 99)),
			ackMaxMs: round(percentile(ackMs, 100)),
			answered,
			lost,
			duplicates,
			answeredNotAcked: key === 'noop' ? 0 : sent.filter((s) => s.result?.status !== 200 && replies.byContact.has(s.meta.waId)).length,
			repliesPerSecond: round(answered / Math.max(0.001, (lastAnswerAt - startedAt) / 1000), 2),
			replyP50Ms: round(percentile(replyMs, 50)),
			replyP99Ms: round(percentile(replyMs, 99)),
			modelCalls,
			cpuSeconds: round(cpuSeconds, 2)!,
			cpuMsPerMessage: round((cpuSeconds * 1000) / sent.length, 1)!,
			startRssMb: Math.round(monitor.startRssBytes / 2 ** 20),
			peakRssMb: Math.round(monitor.peakRssBytes / 2 ** 20),
			drain: { seconds: round((drainedAt - endedAt) / 1000, 1)!, ended },
			restartedAfter: false,
		};
		const dirty = ended !== 'all answered' || acked.length < sent.length || lost > 0;
		return { ...result, dirty };
	} finally {
		monitor.stop();
		poster.close();
	}
}

// ------------------------------------------------------------------------------------------ bursts

const BURST_SIZE = 3;
const BURST_SPACING_MS = 450; // 3 messages within 900 ms

async function runBursts(config: Config, target: Target, key: WorkflowKey): Promise<BurstResult> {
	graph.reset();
	const bursts = Array.from({ length: config.bursts }, () => ({ waId: newContact(), token: `BURST${letters(10)}`, watch: { calls: 0 } }));
	const contacts = new Set(bursts.map((b) => b.waId));
	const replies = new ReplyLog((waId) => contacts.has(waId));
	const poster = new Poster(config.ackTimeoutMs);
	const words = ['ONE', 'TWO', 'THREE', 'FOUR', 'FIVE'];
	try {
		for (const b of bursts) burstWatch.set(b.token, b.watch);
		const posts: Array<Promise<PostResult>> = [];
		const started = wallNow();
		for (const [k, b] of bursts.entries()) {
			for (let j = 0; j < BURST_SIZE; j++) {
				const due = started + k * 1_500 + j * BURST_SPACING_MS;
				await sleep(due - wallNow());
				const { body, headers } = delivery(msg.text(b.waId, `${j === 0 ? 'Hello!' : 'And'} ${b.token} part ${words[j] ?? 'MORE'}: ${QUESTION}`));
				posts.push(poster.post(target.url(key), body, headers));
			}
		}
		const results = await Promise.all(posts);
		// settled: every burst answered and nothing new (model call or reply) for a while; bounded
		const quietMs = 5_000 + modelLatencyMs;
		let lastChange = wallNow();
		let lastState = '';
		await waitFor(
			'the bursts to be answered and settle',
			() => {
				replies.collect();
				const state = `${bursts.map((b) => b.watch.calls).join(',')}|${graph.sent.length}`;
				if (state !== lastState) {
					lastState = state;
					lastChange = wallNow();
				}
				return bursts.every((b) => replies.byContact.has(b.waId)) && wallNow() - lastChange > quietMs;
			},
			120_000 + 3 * modelLatencyMs,
		).catch((error: unknown) => {
			if (error instanceof Interrupted) throw error;
			say(`bursts: ${(error as Error).message}; counting what came`);
		});
		replies.collect();
		const calls = bursts.map((b) => b.watch.calls);
		const answers = bursts.map((b) => replies.byContact.get(b.waId)?.length ?? 0);
		const stats = (values: number[]) => ({ avg: round(values.reduce((a, b) => a + b, 0) / values.length, 2)!, min: Math.min(...values), max: Math.max(...values) });
		return {
			bursts: bursts.length,
			messagesPerBurst: BURST_SIZE,
			withinMs: (BURST_SIZE - 1) * BURST_SPACING_MS,
			acked: results.filter((r) => r.status === 200).length,
			modelCallsPerBurst: stats(calls),
			repliesPerBurst: stats(answers),
			unanswered: answers.filter((n) => n === 0).length,
		};
	} finally {
		for (const b of bursts) burstWatch.delete(b.token);
		poster.close();
	}
}

// ------------------------------------------------------------------------------------------ groups

function describeRun(r: RunResult): string {
	const non200 = Object.values(r.non200).reduce((a, b) => a + b, 0);
	const conn = Object.values(r.connectionErrors).reduce((a, b) => a + b, 0);
	return (
		`${r.rate}/s × ${r.seconds} s: sent ${r.sent}, acked ${r.acked} (p50 ${r.ackP50Ms ?? '–'} ms, p99 ${r.ackP99Ms ?? '–'} ms), ` +
		`non-200 ${non200}, timeouts ${r.timeouts}, conn. errors ${conn}; answered ${r.answered} (${r.repliesPerSecond ?? '–'}/s, ` +
		`reply p50 ${r.replyP50Ms ?? '–'} ms), lost ${r.lost}, dupes ${r.duplicates ?? '–'}, model calls ${r.modelCalls}; ` +
		`CPU ${r.cpuMsPerMessage} ms/msg, peak RSS ${r.peakRssMb} MB; drain ${r.drain.seconds} s (${r.drain.ended})`
	);
}

/** One group: a fresh n8n (restarted when it has run anything), warm-up, bursts, then every rate. */
async function runGroup(config: Config, target: Target, group: GroupResult, state: { used: boolean }, results: BenchResults) {
	results.groups.push(group);
	const title = `[${target.label}] ${group.workflow}, ${group.settings}${group.modelLatencyMs === undefined ? '' : `, model ${group.modelLatencyMs} ms`}`;
	modelLatencyMs = group.modelLatencyMs ?? 0;
	try {
		if (state.used) {
			checkInterrupted();
			say(`${title}: restarting n8n for a clean start`);
			await target.restart();
		}
		state.used = true;
		say(`${title}: warming up`);
		await warmUp(target, group.workflow);
		if (group.workflow !== 'noop' && config.bursts > 0) {
			group.bursts = await runBursts(config, target, group.workflow);
			say(`${title}: bursts: ${group.bursts.modelCallsPerBurst.avg} model calls and ${group.bursts.repliesPerBurst.avg} replies per burst of 3`);
		}
		for (const [i, rate] of config.rates.entries()) {
			say(`${title}: ${rate} msg/s for ${config.seconds} s…`);
			const { dirty, ...run } = await runRate(config, target, group.workflow, rate);
			group.runs.push(run);
			say(`${title}: ${describeRun(run)}`);
			if (dirty && i < config.rates.length - 1) {
				checkInterrupted();
				say(`${title}: n8n has work left over (or died): restarting it before the next rate`);
				run.restartedAfter = true;
				await target.restart();
				await warmUp(target, group.workflow);
			}
		}
	} catch (error) {
		if (error instanceof Interrupted || interruption.signal.aborted) throw new Interrupted();
		group.error = (error as Error).message;
		say(`${title}: FAILED: ${group.error.split('\n')[0]}`);
		const tail = target.logs().split('\n').slice(-40).join('\n');
		process.stderr.write(`${(error as Error).stack ?? String(error)}\n--- n8n's log, last lines ---\n${tail}\n`);
		await target.restart().catch((restartError: unknown) => say(`restart after the failure failed too: ${String(restartError)}`));
	}
}

async function runWorkflows(config: Config, results: BenchResults) {
	await startFakes(config);
	for (const settings of config.settings) {
		if (config.workflows.length === 0) break;
		say(`n8n ${n8nVersion()} (regular mode, ${settings} settings): building, packing and starting with ${config.workflows.join(', ')}…`);
		const target = await startRegular(config, settings);
		const state = { used: false };
		try {
			for (const workflow of config.workflows) {
				const latencies = workflow === 'noop' ? [undefined] : config.modelLatencies;
				for (const latency of latencies) {
					await runGroup(config, target, { mode: 'regular', workflow, settings, modelLatencyMs: latency, runs: [] }, state, results);
				}
			}
		} finally {
			await target.stop();
		}
	}
	for (const settings of config.queueSettings) {
		for (const workers of config.queueWorkers) {
			say(`n8n ${n8nVersion()} in queue mode (${settings} settings, ${workers} worker${workers === 1 ? '' : 's'}): starting…`);
			const target = await startQueue(config, settings, workers);
			const state = { used: false };
			try {
				for (const latency of config.modelLatencies) {
					await runGroup(config, target, { mode: 'queue', workers, workflow: 'template', settings, modelLatencyMs: latency, runs: [] }, state, results);
				}
			} finally {
				await target.stop();
			}
		}
	}
}

// ------------------------------------------------------------------------------------------ main

function git(args: string[]): string {
	try {
		return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', timeout: 10_000 }).trim();
	} catch {
		return '';
	}
}

async function describeMachine(config: Config): Promise<Pick<BenchResults, 'machine' | 'versions' | 'settings'>> {
	const dir = await ensureN8n();
	let n8nNode = '';
	try {
		n8nNode = execFileSync(nodeBinary(dir), ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim().replace(/^v/, '');
	} catch {
		n8nNode = 'unknown';
	}
	const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
	const commit = git(['rev-parse', '--short', 'HEAD']);
	const dirty = git(['status', '--porcelain']) !== '';
	const { out, ...shown } = config;
	return {
		machine: {
			host: hostname(),
			cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
			cores: cpus().length,
			ramGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
			os: `Linux ${release()}`,
		},
		versions: { n8n: n8nVersion(), n8nNode, benchNode: process.versions.node, package: pkg.version, git: `${commit || 'no git'}${dirty ? ', with uncommitted changes' : ''}` },
		settings: {
			...shown,
			out: out.startsWith(repoRoot) ? out.slice(repoRoot.length + 1) : out,
			// what every n8n inherited from this shell (names only), besides what the bench sets
			inheritedN8nEnv: Object.keys(process.env).filter((k) => /^(N8N_|EXECUTIONS_|QUEUE_|DB_)/.test(k)).sort(),
		},
	};
}

let stopping = false;

let stopChain = Promise.resolve();

/** Stops everything registered so far, newest first; calls queue up (a later call also gets what was started since). */
function stopAll(): Promise<void> {
	stopChain = stopChain.then(async () => {
		while (cleanups.length > 0) {
			const cleanup = cleanups.pop()!;
			await cleanup.run().catch((error: unknown) => say(`(while stopping ${cleanup.name}: ${String(error)})`));
		}
	});
	return stopChain;
}

function onSignal(signal: string) {
	if (stopping) {
		say('Stopping already; exiting now (the harness SIGKILLs every n8n it started).');
		process.exit(130);
	}
	stopping = true;
	say(`${signal}: stopping the load, every n8n, server and fake started here…`);
	interruption.abort();
	// now, not when the step in progress notices: n8n commands and the trigger suite do not watch for Ctrl-C
	void stopAll();
	const force = setTimeout(() => {
		say('Still stopping after 120 s; exiting (the harness SIGKILLs every n8n it started).');
		process.exit(1);
	}, 120_000);
	force.unref();
}

async function main() {
	process.on('SIGINT', () => onSignal('Ctrl-C'));
	process.on('SIGTERM', () => onSignal('SIGTERM'));
	const config = readConfig();
	const { groups, runs, minMinutes, maxMinutes } = estimate(config);
	const results: BenchResults = { startedAt: new Date().toISOString(), ...(await describeMachine(config)), groups: [] };
	if (config.suite !== 'trigger') {
		say(
			`${groups} groups × ${config.rates.length} rates = ${runs} runs of ${config.seconds} s; about ${minMinutes}–${maxMinutes} min ` +
				`(the upper bound when every run needs its whole ${config.drainSeconds} s drain).`,
		);
	}
	let failure: unknown;
	try {
		if (config.suite !== 'workflows') {
			results.trigger = await runTriggerSuite({
				track: (n8n) => cleanups.push({ name: `n8n (trigger suite, pid ${n8n.pid})`, run: () => n8n.stop() }),
			});
			checkInterrupted();
		}
		if (config.suite !== 'trigger') await runWorkflows(config, results);
	} catch (error) {
		if (error instanceof Interrupted || stopping) results.interrupted = true;
		else {
			failure = error;
			results.error = (error as Error).message.split('\n')[0];
		}
	} finally {
		await stopAll();
	}
	results.finishedAt = new Date().toISOString();
	if (notes.length > 0) results.notes = notes;
	if (results.groups.some((g) => g.runs.length > 0 || g.bursts || g.error) || results.trigger) {
		const { json, md } = writeResults(config.out, results);
		process.stdout.write(`\n${readFileSync(md, 'utf8')}\n`);
		say(`results: ${json}\n[bench]          ${md}`);
	}
	if (failure) throw failure;
	if (results.interrupted) process.exit(130);
}

main().catch((error: unknown) => {
	process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	process.exit(1);
});

/**
 * n8n in queue mode on this machine (`npm run queue-mode`, test/e2e/queue-mode.e2e.test.ts): Redis and PostgreSQL
 * from scripts/redis.sh and scripts/postgres.sh, then one n8n main (`n8n start`), one webhook processor
 * (`n8n webhook`) and one or two workers (`n8n worker`), every one with EXECUTIONS_MODE=queue, the same Redis, a
 * fresh PostgreSQL database for n8n's own data, the same N8N_ENCRYPTION_KEY and the same community packages.
 *
 *   const redis = await startRedis();            // scripts/redis.sh (apt-get install when missing)
 *   const postgres = await startPostgres();      // scripts/postgres.sh
 *   const stack = await startQueueMode({ redis, postgres, workers: 2, credentials: (db) => [...], workflows: [...] });
 *   stack.webhookUrl(`${webhookId}/webhook`);    // production webhooks: the webhook process
 *   stack.editorUrl; stack.pids; stack.workerRuns();
 *   await stack.stop(); await redis.stop(); await postgres.stop();   // the last two only stop servers they started
 *
 * Each process is a devkit/n8n/n8n.ts `startN8n` (own process group, guardian, bounded stop) with its own
 * N8N_USER_FOLDER: n8n keeps per-process files there (crash.journal: a process that finds another's waits 10 s and
 * logs "Last session crashed"; the event log `n8nEventLog-worker.log` would be shared by two workers). The
 * community packages are installed once, into the main's `.n8n/nodes`, and every other process's `.n8n/nodes` is a
 * symlink to it: the same package folder everywhere, as a shared volume would give it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from 'pg';

import { startN8n, type N8n } from './n8n';
import { freePorts } from './ports';
import type { PostgresConnection, RedisConnection } from './services';

// ------------------------------------------------------------------------------------------ Redis, PostgreSQL

export { startPostgres, startRedis, type PostgresConnection, type RedisConnection, type Service } from './services';

// ------------------------------------------------------------------------------------------ the stack

export interface QueueModeOptions {
	redis: RedisConnection;
	/** The server (and a database its user can connect to) in which a fresh database is created for n8n. */
	postgres: PostgresConnection;
	/** `n8n worker` processes. Default 2. */
	workers?: 1 | 2;
	/** `n8n worker --concurrency` (jobs per worker at once). Default: n8n's (10). */
	workerConcurrency?: number;
	/** N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE for every process (see README, Performance). Default: n8n's (off). */
	lazyAcquire?: boolean;
	/** As startN8n's; omitted: this repo, built and packed. Installed once, used by every process. */
	packageTarball?: string | string[] | false;
	/**
	 * Decrypted credentials for `n8n import:credentials`, or a function of n8n's database (e.g. a WhatsAuto Store
	 * credential on the same PostgreSQL, in a schema of its own: dropped with the database).
	 */
	credentials?: object[] | ((database: PostgresConnection) => object[]);
	workflows?: object[];
	/** Workflow ids to publish, or 'all' (default). */
	activate?: string[] | 'all';
	/** Extra environment for every process. */
	env?: Record<string, string>;
	/** The main's HTTP port (editor, REST). Default: a free one. */
	mainPort?: number;
	/** The webhook process's HTTP port. Default: a free one. */
	webhookPort?: number;
	/** Echo every process's output to stderr, each line prefixed with the process's name. */
	echoLogs?: boolean;
	/** Keep n8n's database and the user folders on stop (also: WHATSAUTO_E2E_KEEP=1). */
	keep?: boolean;
	/** Bound per process for start-up. Default 180 s. */
	startTimeoutMs?: number;
}

export interface QueueMode {
	/** The editor and REST API (`n8n start`; production webhooks disabled there). */
	editorUrl: string;
	/** Base URL of the webhook process, which serves every production webhook (`/webhook/...`). */
	webhookBaseUrl: string;
	/** `<webhookBaseUrl>/webhook/<path>`. */
	webhookUrl(path: string): string;
	/** Each worker's health endpoint base (`/healthz`, `/healthz/readiness`). */
	workerUrls: string[];
	main: N8n;
	webhook: N8n;
	workers: N8n[];
	/** Pids (= process group ids) of the running processes; undefined once one has exited. */
	readonly pids: { main: number | undefined; webhook: number | undefined; workers: Array<number | undefined> };
	/** n8n's own database: a fresh one on the given server, dropped by stop() unless kept. */
	database: PostgresConnection;
	/** The Redis key prefix of this stack (QUEUE_BULL_PREFIX and N8N_REDIS_KEY_PREFIX). */
	redisPrefix: string;
	encryptionKey: string;
	/** Read-only helper: a query against n8n's database. */
	query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
	/** n8n's execution records (execution_entity), soft-deleted ones included, oldest first. */
	executionRows(workflowId?: string): Promise<ExecutionRow[]>;
	/**
	 * What each worker's log says it ran: the execution ids of its "Worker started execution <id> (job <n>)" and
	 * "Worker finished execution <id> (job <n>)" lines (n8n 2.41.1 scaling/job-processor.js), per worker, in order.
	 */
	workerRuns(): Array<{ worker: number; started: string[]; finished: string[] }>;
	/** Every process's output, each line prefixed with its name. */
	logs(): string;
	/** Stops every process (workers and webhook first, then main), each bounded, then drops the database. Idempotent. */
	stop(): Promise<void>;
}

export interface ExecutionRow {
	id: string;
	workflowId: string;
	status: string;
	mode: string;
	finished: boolean;
	deletedAt: Date | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `p` settles within `ms` (the timer is cleared either way). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
	try {
		return await Promise.race([p.then(() => true, () => true), timeout]);
	} finally {
		clearTimeout(timer);
	}
}

/** Each line of `text` prefixed with `[name] ` (a last line without newline gets one). */
function prefixLines(text: string, name: string): string {
	if (!text) return '';
	return `${text.replace(/\n$/, '').split('\n').map((line) => `[${name}] ${line}`).join('\n')}\n`;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

function pgClient(connection: PostgresConnection): Client {
	return new Client({ ...connection, connectionTimeoutMillis: 10_000, statement_timeout: 30_000, query_timeout: 35_000 });
}

/**
 * The publication outbox check of n8n.ts (activationState), on PostgreSQL: a published workflow is active once
 * the latest outbox row for its active version is `completed` (n8n 2.41.1 workflow publication service).
 */
async function pgActivationState(client: Client, ids: string[]): Promise<{ waiting: string[]; failed: string[] }> {
	const waiting: string[] = [];
	const failed: string[] = [];
	for (const id of ids) {
		const { rows: [wf] } = await client.query<{ activeVersionId: string | null }>('SELECT "activeVersionId" FROM workflow_entity WHERE id = $1', [id]);
		if (!wf?.activeVersionId) {
			failed.push(`${id}: not published`);
			continue;
		}
		const { rows: [latest] } = await client.query<{ status: string; errorMessage: string | null }>(
			'SELECT status, "errorMessage" FROM workflow_publication_outbox WHERE "workflowId" = $1 AND "publishedVersionId" = $2 ORDER BY id DESC LIMIT 1',
			[id, wf.activeVersionId],
		);
		if (!latest || latest.status === 'pending' || latest.status === 'in_progress') {
			waiting.push(id);
		} else if (latest.status !== 'completed') {
			const { rows } = await client.query<{ nodeId: string; status: string; errorMessage: string | null }>(
				'SELECT "nodeId", status, "errorMessage" FROM workflow_publication_trigger_status WHERE "workflowId" = $1 AND status <> \'activated\'',
				[id],
			);
			const triggers = rows.map((t) => `${t.nodeId}=${t.status}${t.errorMessage ? ` (${t.errorMessage})` : ''}`);
			failed.push(`${id}: ${latest.status}${latest.errorMessage ? ` ${latest.errorMessage}` : ''} ${triggers.join(', ')}`);
		}
	}
	return { waiting, failed };
}

/**
 * Starts n8n in queue mode: a fresh PostgreSQL database for n8n, then the main (`n8n start`: community packages
 * installed, credentials and workflows imported and published through the CLI, ready once every published
 * workflow's triggers are activated), then the webhook process and the workers together. Everything started is
 * stopped again if a step fails.
 */
export async function startQueueMode(options: QueueModeOptions): Promise<QueueMode> {
	const workerCount = options.workers ?? 2;
	const keep = options.keep ?? process.env.WHATSAUTO_E2E_KEEP === '1';
	const echo = options.echoLogs ?? process.env.WHATSAUTO_E2E_ECHO === '1';
	const timeout = options.startTimeoutMs ?? 180_000;
	const id = `${process.pid.toString(36)}${randomBytes(4).toString('hex')}`;
	const redisPrefix = `wa-${id}`;
	const database: PostgresConnection = { ...options.postgres, database: `whatsauto_n8n_${id}` };
	const encryptionKey = randomBytes(24).toString('hex');

	// ports: one allocation for all of them, so no two processes get the same one
	const [mainFree, webhookFree, mainBroker, webhookBroker, ...workerPorts] = await freePorts(4 + 2 * workerCount);
	const mainPort = options.mainPort ?? mainFree;
	const webhookPort = options.webhookPort ?? webhookFree;
	const webhookBaseUrl = `http://127.0.0.1:${webhookPort}`;

	const common: Record<string, string> = {
		// n8n 2.41.1 @n8n/config: executions.config (EXECUTIONS_MODE), scaling-mode.config (QUEUE_*), redis.config,
		// database.config (DB_*), runners.config (N8N_RUNNERS_*), expression-engine.config, index.js (N8N_GRACEFUL_SHUTDOWN_TIMEOUT)
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: options.redis.host,
		QUEUE_BULL_REDIS_PORT: String(options.redis.port),
		QUEUE_BULL_REDIS_PASSWORD: options.redis.password,
		// this stack's keys only: Bull's queue keys, and pub/sub channels, locks and the cache
		QUEUE_BULL_PREFIX: redisPrefix,
		N8N_REDIS_KEY_PREFIX: redisPrefix,
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: database.host,
		DB_POSTGRESDB_PORT: String(database.port),
		DB_POSTGRESDB_USER: database.user,
		DB_POSTGRESDB_PASSWORD: database.password,
		DB_POSTGRESDB_DATABASE: database.database,
		N8N_ENCRYPTION_KEY: encryptionKey,
		// the production URL every process (the editor above all) shows for webhooks
		WEBHOOK_URL: `${webhookBaseUrl}/`,
		// manual executions from the editor go to the workers too (workflow-runner.js; the default from n8n 3)
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		// n8n's default (the harness turns it off): an execution whose data is not saved is then soft-deleted, its
		// record kept until the next hard-delete run, instead of deleted at once (execution-persistence.js)
		EXECUTIONS_DATA_PRUNE: 'true',
		// a worker waits this long for running jobs on SIGTERM (stop() allows 20 s before SIGKILL)
		N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
		...(options.lazyAcquire === undefined ? {} : { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: String(options.lazyAcquire) }),
		...options.env,
	};

	const admin = pgClient(options.postgres);
	let client: Client | undefined;
	let main: N8n | undefined;
	let webhook: N8n | undefined;
	const workers: N8n[] = [];
	const folders: string[] = [];
	const names = new Map<N8n, string>();
	let databaseCreated = false;
	let stopped = false;

	async function stop() {
		if (stopped) return;
		stopped = true;
		if (echoTimer) clearInterval(echoTimer);
		await Promise.all([...workers, ...(webhook ? [webhook] : [])].map((p) => within(p.stop(), 30_000)));
		if (main) await within(main.stop(), 30_000);
		if (client) await within(client.end(), 5_000);
		if (!keep) {
			await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined)));
			if (databaseCreated) {
				await within(
					(async () => {
						await admin.connect().catch(() => undefined); // connected already unless start-up failed early
						await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database.database)} WITH (FORCE)`);
					})(),
					30_000,
				);
			}
			await within(flushRedisKeys(options.redis, redisPrefix), 10_000);
		}
		await within(admin.end(), 5_000);
	}

	// echo: each process's new output, line by line, prefixed with its name
	let echoTimer: NodeJS.Timeout | undefined;
	const echoed = new Map<N8n, number>();
	if (echo) {
		echoTimer = setInterval(() => {
			for (const [p, name] of names) {
				const text = p.logs();
				const from = echoed.get(p) ?? 0;
				if (text.length <= from) continue;
				const end = text.lastIndexOf('\n') + 1;
				if (end <= from) continue;
				echoed.set(p, end);
				process.stderr.write(prefixLines(text.slice(from, end), name));
			}
		}, 250);
		echoTimer.unref();
	}

	try {
		await admin.connect();
		await admin.query(`CREATE DATABASE ${quoteIdent(database.database)} OWNER ${quoteIdent(database.user)}`).catch((error: Error) => {
			throw new Error(`could not create n8n's database (the user needs CREATEDB; scripts/postgres.sh grants it): ${error.message}`);
		});
		databaseCreated = true;
		client = pgClient(database);
		await client.connect();
		const db = client;

		const credentials = typeof options.credentials === 'function' ? options.credentials(database) : options.credentials;
		const mainFolder = await mkdtemp(join(tmpdir(), 'whatsauto-queue-main-'));
		folders.push(mainFolder);
		main = await startN8n({
			command: 'start',
			userFolder: mainFolder,
			keepUserFolder: true,
			echoLogs: false, // echoed here instead, each line with the process's name
			port: mainPort,
			packageTarball: options.packageTarball,
			credentials,
			workflows: options.workflows,
			activate: options.activate,
			activation: 'cli',
			activationCheck: (ids) => pgActivationState(db, ids),
			startTimeoutMs: timeout,
			env: {
				...common,
				N8N_RUNNERS_BROKER_PORT: String(mainBroker),
				// production webhooks are the webhook process's job (server.js: webhooksEnabled)
				N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
			},
		});
		names.set(main, 'main');

		// every other process: a user folder of its own, with the main's package folder linked in
		const folderFor = async (name: string) => {
			const folder = await mkdtemp(join(tmpdir(), `whatsauto-queue-${name}-`));
			folders.push(folder);
			await mkdir(join(folder, '.n8n'), { recursive: true });
			await symlink(join(mainFolder, '.n8n', 'nodes'), join(folder, '.n8n', 'nodes'), 'dir');
			return folder;
		};
		const startWebhook = async () => {
			webhook = await startN8n({
				command: 'webhook',
				userFolder: await folderFor('webhook'),
				keepUserFolder: true,
				echoLogs: false, // echoed here instead, each line with the process's name
				port: webhookPort,
				packageTarball: false,
				startTimeoutMs: timeout,
				env: { ...common, N8N_RUNNERS_BROKER_PORT: String(webhookBroker) },
			});
			names.set(webhook, 'webhook');
		};
		const startWorker = async (index: number) => {
			const [healthPort, brokerPort] = workerPorts.slice(2 * index, 2 * index + 2);
			const worker = await startN8n({
				command: 'worker',
				commandArgs: options.workerConcurrency ? [`--concurrency=${options.workerConcurrency}`] : [],
				userFolder: await folderFor(`worker${index + 1}`),
				keepUserFolder: true,
				echoLogs: false, // echoed here instead, each line with the process's name
				port: healthPort,
				packageTarball: false,
				startTimeoutMs: timeout,
				env: {
					...common,
					// worker-server.js: /healthz and /healthz/readiness, on loopback
					QUEUE_HEALTH_CHECK_ACTIVE: 'true',
					QUEUE_HEALTH_CHECK_PORT: String(healthPort),
					N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
					// each worker runs its own JS task runner broker (default 5679 for all of them)
					N8N_RUNNERS_BROKER_PORT: String(brokerPort),
				},
			});
			workers[index] = worker;
			names.set(worker, `worker${index + 1}`);
		};
		const results = await Promise.allSettled([startWebhook(), ...Array.from({ length: workerCount }, (_, i) => startWorker(i))]);
		const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
		if (failure) throw failure.reason;

		const started = { main, webhook: webhook!, workers: [...workers] };
		const logs = () =>
			[...names]
				.map(([p, name]) => prefixLines(p.logs(), name))
				.join('');
		return {
			editorUrl: started.main.baseUrl,
			webhookBaseUrl,
			webhookUrl: (path) => `${webhookBaseUrl}/webhook/${path.replace(/^\/+/, '')}`,
			workerUrls: started.workers.map((w) => w.baseUrl),
			main: started.main,
			webhook: started.webhook,
			workers: started.workers,
			get pids() {
				return { main: started.main.pid, webhook: started.webhook.pid, workers: started.workers.map((w) => w.pid) };
			},
			database,
			redisPrefix,
			encryptionKey,
			async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
				return (await db.query<T>(sql, params)).rows;
			},
			async executionRows(workflowId) {
				const { rows } = await db.query<{ id: string | number; workflowId: string; status: string; mode: string; finished: boolean; deletedAt: Date | null }>(
					`SELECT id, "workflowId", status, mode, finished, "deletedAt" FROM execution_entity ${workflowId ? 'WHERE "workflowId" = $1' : ''} ORDER BY id`,
					workflowId ? [workflowId] : [],
				);
				return rows.map((r) => ({ ...r, id: String(r.id) }));
			},
			workerRuns: () =>
				started.workers.map((w, index) => {
					const text = w.logs();
					const ids = (re: RegExp) => [...text.matchAll(re)].map((m) => m[1]);
					return {
						worker: index + 1,
						started: ids(/Worker started execution (\d+) \(job /g),
						finished: ids(/Worker finished execution (\d+) \(job /g),
					};
				}),
			logs,
			stop,
		};
	} catch (error) {
		await stop().catch(() => undefined);
		throw error;
	}
}

/** Removes this stack's keys from Redis (best effort: KEYS is fine on a throwaway server). */
async function flushRedisKeys(redis: RedisConnection, prefix: string): Promise<void> {
	const script = "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('UNLINK', k) n = n + 1 end return n";
	for (let attempt = 0; attempt < 2; attempt++) {
		const ok = await new Promise<boolean>((resolve) =>
			execFile(
				'redis-cli',
				['--no-auth-warning', '-h', redis.host, '-p', String(redis.port), 'EVAL', script, '0', `*${prefix}*`],
				{ env: { ...process.env, REDISCLI_AUTH: redis.password }, timeout: 5_000 },
				(error) => resolve(!error),
			),
		);
		if (ok) return;
		await sleep(200);
	}
}

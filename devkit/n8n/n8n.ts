import { type ChildProcess, execFile, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { type Execution, type ExecutionQuery, readExecutions } from './executions';
import { type InstalledPackage, installCommunityPackage } from './install-package';
import { packRepo } from './pack';
import { ensureN8n, n8nVersion, nodeBinary } from './paths';
import { freePorts } from './ports';
import { removeSecretFile, writeSecretFile } from './secret-files';
import { type Db, openDb } from './sqlite';
import { normalizeWorkflow, type WorkflowJson } from './workflows';

export interface StartN8nOptions {
	/**
	 * Community package tarball(s) (`npm pack` output) to install the way n8n installs community
	 * packages. Omitted: this repo, built and packed once per process (packRepo()). `false`: none
	 * (built-in nodes only).
	 */
	packageTarball?: string | string[] | false;
	/** Decrypted credentials, as `n8n import:credentials` takes them: { id, name, type, data }. */
	credentials?: object[];
	/** Workflow JSON (as exported by n8n); normalized by normalizeWorkflow(). */
	workflows?: object[];
	/** Workflow ids to publish (activate) before start, or 'all'. Default 'all'. */
	activate?: string[] | 'all';
	/**
	 * How to publish: 'cli' runs `n8n publish:workflow --id=<id>` per workflow (~8 s each, the
	 * documented way); 'db' applies the same single UPDATE that command performs
	 * (WorkflowRepository.publishVersion) directly to the SQLite file, for many workflows or
	 * benchmarks. Default 'cli'.
	 */
	activation?: 'cli' | 'db';
	/** Extra/overriding environment for every n8n process (CLI and server). */
	env?: Record<string, string>;
	/** Reuse this folder as N8N_USER_FOLDER (kept on stop). Default: a fresh temp dir, removed on stop. */
	userFolder?: string;
	/** Keep the temp user folder on stop (also: WHATSAUTO_E2E_KEEP=1). */
	keepUserFolder?: boolean;
	/** Also echo n8n's output to this process's stderr (also: WHATSAUTO_E2E_ECHO=1). */
	echoLogs?: boolean;
	/** Bound for readiness + activation after spawning `n8n start`. Default 120 s. */
	startTimeoutMs?: number;
	/** HTTP port for n8n (e.g. 5678 for a local demo). Default: a free port chosen by the OS. */
	port?: number;
	/**
	 * The n8n command the server runs (queue mode: devkit/n8n/queue.ts). Default 'start'. 'webhook' is
	 * ready at "Webhook listener waiting for requests." and /healthz/readiness on `port`; 'worker' at "n8n worker
	 * is now ready" and /healthz/readiness on `port`, which must then also be its QUEUE_HEALTH_CHECK_PORT (with
	 * QUEUE_HEALTH_CHECK_ACTIVE=true in `env`).
	 */
	command?: 'start' | 'webhook' | 'worker';
	/** Extra arguments for the command, e.g. ['--concurrency=2'] for a worker. */
	commandArgs?: string[];
	/**
	 * How to tell that published workflows are activated, for a database other than the SQLite file in the user
	 * folder (queue.ts reads the same outbox tables from PostgreSQL). Default: the SQLite outbox check below.
	 */
	activationCheck?: (ids: string[]) => Promise<{ waiting: string[]; failed: string[] }>;
}

export interface N8nTimings {
	/** Install check, packing and community package installation. */
	prepareMs: number;
	/** import:credentials + import:workflow (first CLI run also creates the database). */
	importMs: number;
	activateMs: number;
	/** Spawn of `n8n start` until ready with every published workflow's triggers activated. */
	startMs: number;
	totalMs: number;
}

export interface WaitOptions extends ExecutionQuery {
	/** Default 30 s. */
	timeoutMs?: number;
}

export interface N8n {
	baseUrl: string;
	port: number;
	userFolder: string;
	/** The n8n install folder (~/.cache/whatsauto/n8n-<version>). */
	n8nDir: string;
	version: string;
	encryptionKey: string;
	/** Pid (= process group id) of the running `n8n start`, undefined once it exited. */
	readonly pid: number | undefined;
	/** Ids of the imported workflows, in the order given. */
	workflowIds: string[];
	/** Community packages installed into this instance. */
	packages: InstalledPackage[];
	timings: N8nTimings;
	/** Production webhook URL: `<baseUrl>/webhook/<path>`. */
	webhookUrl(path: string): string;
	/** Everything n8n printed (stdout + stderr, interleaved) since the first start. */
	logs(): string;
	/** Ended executions with their run data, oldest first (see Execution). */
	executions(query?: ExecutionQuery): Promise<Execution[]>;
	/** Polls executions() until at least `count` match; throws with the log tail on timeout. */
	waitForExecutions(count: number, options?: WaitOptions): Promise<Execution[]>;
	/** Runs an n8n CLI command against this instance's user folder (e.g. ['export:workflow', '--all']). */
	cli(args: string[]): Promise<string>;
	/** Stops and starts the server again (same user folder, ports and key), e.g. after cli(['publish:workflow', ...]). */
	restart(): Promise<void>;
	/** SIGTERM to the whole process group, bounded wait, then SIGKILL. Idempotent. */
	stop(): Promise<void>;
}

const READY_LINE = 'Editor is now accessible via';
/** The line each n8n command prints once it serves (n8n 2.41.1: commands/start.js, webhook.js, worker.js). */
const READY_LINES: Record<NonNullable<StartN8nOptions['command']>, string> = {
	start: READY_LINE,
	webhook: 'Webhook listener waiting for requests.',
	worker: 'n8n worker is now ready',
};

/**
 * Leader of the n8n process group: runs `n8n start` and, should this (test) process die without
 * calling stop() (Ctrl-C, SIGKILL, a crashed jest worker), stops the whole group: SIGTERM, then
 * SIGKILL after 15 s. Parent death is seen as EOF on a lifeline pipe (fd 3) whose other end only
 * the parent holds; polling the parent pid is useless where PID 1 does not reap zombies.
 * It ignores group signals itself and exits with n8n's exit code. argv: <n8n bin> ...args
 */
const GUARDIAN = `
const { spawn } = require('node:child_process');
const { Socket } = require('node:net');
const n8n = spawn(process.execPath, process.argv.slice(1), { stdio: 'inherit' });
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => {});
const group = (sig) => { try { process.kill(-process.pid, sig); } catch {} };
const lifeline = new Socket({ fd: 3, readable: true, writable: false });
let orphaned = false;
const onParentGone = () => {
	if (orphaned) return;
	orphaned = true;
	group('SIGTERM');
	setTimeout(() => group('SIGKILL'), 15000).unref();
};
lifeline.on('error', onParentGone);
lifeline.on('close', onParentGone);
lifeline.resume();
n8n.on('exit', (code, signal) => process.exit(code ?? (signal ? 143 : 1)));
`;
const running = new Set<ChildProcess>();
/** n8n CLI commands in progress (import, publish, …): not in a group of their own. */
const runningCli = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
	if (child.pid === undefined) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		/* already gone */
	}
}

/** Safety net: never leave an n8n behind, even if a test forgets stop() or the runner bails out. */
function installExitHook() {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	process.on('exit', () => {
		for (const child of running) killGroup(child, 'SIGKILL');
		// e.g. Ctrl-C while the first import:credentials creates the database: do not leave it running on
		for (const child of runningCli) child.kill('SIGKILL');
	});
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `p` settles within `ms` (the timer is cleared either way, so nothing keeps jest alive). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
	try {
		return await Promise.race([p.then(() => true), timeout]);
	} finally {
		clearTimeout(timer);
	}
}

/** The key a reused user folder was created with (n8n refuses to start with a different one). */
function existingEncryptionKey(userFolder: string): string | undefined {
	try {
		return (JSON.parse(readFileSync(join(userFolder, '.n8n', 'config'), 'utf8')) as { encryptionKey?: string }).encryptionKey;
	} catch {
		return undefined;
	}
}

function tail(text: string, lines = 60): string {
	return text.split('\n').slice(-lines).join('\n');
}

/**
 * Starts a real n8n (pinned version, installed by scripts/install-n8n.sh) in a fresh user folder,
 * with community packages installed from tarballs, credentials and workflows imported and
 * published via the n8n CLI, on free ports. Resolves once the server is ready and every published
 * workflow's triggers are activated. On failure everything started is torn down before rethrowing.
 */
export async function startN8n(options: StartN8nOptions = {}): Promise<N8n> {
	const t0 = Date.now();
	const n8nDir = await ensureN8n();
	const node = nodeBinary(n8nDir);
	const n8nBin = join(n8nDir, 'node_modules', 'n8n', 'bin', 'n8n');
	const version = n8nVersion();

	const ownFolder = options.userFolder === undefined;
	const userFolder = options.userFolder ?? (await mkdtemp(join(tmpdir(), 'whatsauto-n8n-')));
	await mkdir(join(userFolder, '.n8n'), { recursive: true });
	const keep = options.keepUserFolder ?? process.env.WHATSAUTO_E2E_KEEP === '1';
	const echo = options.echoLogs ?? process.env.WHATSAUTO_E2E_ECHO === '1';
	const [freeHttpPort, brokerPort] = await freePorts(2);
	const port = options.port ?? freeHttpPort;
	const baseUrl = `http://127.0.0.1:${port}`;
	const encryptionKey =
		options.env?.N8N_ENCRYPTION_KEY ?? existingEncryptionKey(userFolder) ?? randomBytes(24).toString('hex');

	const env: NodeJS.ProcessEnv = { ...process.env };
	// jest sets NODE_ENV=test, and n8n refuses to load nodes when it sees it ("Not available in tests")
	delete env.NODE_ENV;
	delete env.NODE_OPTIONS;
	delete env.JEST_WORKER_ID;
	Object.assign(env, {
		PATH: `${dirname(realpathSync(node))}:${process.env.PATH ?? ''}`,
		NODE_ENV: 'production',
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: encryptionKey, // must match <userFolder>/.n8n/config once that exists
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		WEBHOOK_URL: `${baseUrl}/`,
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		DB_TYPE: 'sqlite',
		DB_SQLITE_VACUUM_ON_STARTUP: 'false',
		EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
		EXECUTIONS_DATA_PRUNE: 'false',
		...options.env,
	});

	const output: string[] = [];
	const record = (prefix: string) => (chunk: Buffer) => {
		const text = chunk.toString();
		output.push(text);
		if (echo) process.stderr.write(`${prefix}${text}`);
	};

	let child: ChildProcess | undefined;
	let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
	let stopped = false;

	const cli = (args: string[]): Promise<string> =>
		new Promise((resolve, reject) => {
			output.push(`\n$ n8n ${args.join(' ')}\n`);
			installExitHook();
			const command = execFile(
				node,
				[n8nBin, ...args],
				{ env, cwd: userFolder, timeout: 180_000, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
				(error, stdout, stderr) => {
					runningCli.delete(command);
					const text = `${stdout}${stderr}`;
					output.push(text);
					if (echo) process.stderr.write(text);
					if (error) reject(new Error(`n8n ${args.join(' ')} failed: ${error.message}\n${tail(text)}`));
					else resolve(text);
				},
			);
			runningCli.add(command);
		});

	const dbPath = join(userFolder, '.n8n', 'database.sqlite');
	const withDb = <T>(readOnly: boolean, fn: (db: Db) => T): T => {
		const db = openDb(dbPath, { readOnly, fallbackNode: node });
		try {
			return fn(db);
		} finally {
			db.close();
		}
	};
	let parseFlatted: ((text: string) => unknown) | undefined;
	const flattedParse = () =>
		(parseFlatted ??= (createRequire(join(n8nDir, 'node_modules', 'n8n', 'package.json'))('flatted') as {
			parse: (text: string) => unknown;
		}).parse);

	const logs = () => output.join('');

	async function spawnServer(activeIds: string[], timeoutMs: number) {
		exited = undefined;
		const since = output.length;
		const command = options.command ?? 'start';
		const readyLine = READY_LINES[command];
		output.push(`\n$ n8n ${[command, ...(options.commandArgs ?? [])].join(' ')}\n`);
		child = spawn(node, ['-e', GUARDIAN, n8nBin, command, ...(options.commandArgs ?? [])], {
			env,
			cwd: userFolder,
			detached: true, // own process group: stop() signals n8n, its task runner and the guardian together
			stdio: ['ignore', 'pipe', 'pipe', 'pipe'], // fd 3: the guardian's lifeline
		});
		(child.stdio[3] as Socket | null)?.unref();
		running.add(child);
		installExitHook();
		const self = child;
		self.stdout?.on('data', record(''));
		self.stderr?.on('data', record(''));
		self.on('exit', (code, signal) => {
			exited = { code, signal };
			running.delete(self);
			// reap anything the server left in its group (task runner)
			killGroup(self, 'SIGKILL');
		});
		const deadline = Date.now() + timeoutMs;
		const check = (what: string) => {
			if (exited) {
				throw new Error(`n8n exited (${JSON.stringify(exited)}) while waiting for ${what}\n${tail(logs())}`);
			}
			if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${tail(logs())}`);
		};
		// 1. HTTP readiness (DB connected + migrated + server up) ...
		for (;;) {
			check('/healthz/readiness');
			const ok = await fetch(`${baseUrl}/healthz/readiness`, { signal: AbortSignal.timeout(2000) })
				.then((r) => r.status === 200)
				.catch(() => false);
			if (ok) break;
			await sleep(200);
		}
		// 2. ... which n8n reports before it starts workflows; this line comes after.
		while (!output.slice(since).join('').includes(readyLine)) {
			check(`"${readyLine}"`);
			await sleep(100);
		}
		// 3. n8n 2.x activates published workflows asynchronously (workflow publication service):
		//    wait until each one's latest outbox entry for its active version has completed.
		if (activeIds.length > 0 && env.N8N_USE_WORKFLOW_PUBLICATION_SERVICE !== 'false') {
			for (;;) {
				check(`activation of ${activeIds.join(', ')}`);
				const pending = options.activationCheck
					? await options.activationCheck(activeIds)
					: withDb(true, (db) => activationState(db, activeIds));
				if (pending.failed.length > 0) {
					throw new Error(`workflow activation failed: ${pending.failed.join('; ')}\n${tail(logs())}`);
				}
				if (pending.waiting.length === 0) break;
				await sleep(200);
			}
		}
	}

	async function stop() {
		if (stopped) return;
		stopped = true;
		await stopServer();
		if (ownFolder && !keep) await rm(userFolder, { recursive: true, force: true, maxRetries: 3 });
	}

	async function stopServer() {
		const c = child;
		if (!c || exited) return;
		const gone = new Promise<void>((r) => (exited ? r() : c.once('exit', () => r())));
		killGroup(c, 'SIGTERM');
		if (!(await within(gone, 20_000))) {
			output.push('\n[harness] n8n did not exit 20 s after SIGTERM; sending SIGKILL\n');
			killGroup(c, 'SIGKILL');
			await within(gone, 5_000);
		}
		killGroup(c, 'SIGKILL'); // stragglers in the group
		running.delete(c);
	}

	const timings: N8nTimings = { prepareMs: 0, importMs: 0, activateMs: 0, startMs: 0, totalMs: 0 };
	const packages: InstalledPackage[] = [];
	let workflowIds: string[] = [];
	try {
		// community packages
		const tarballs =
			options.packageTarball === false
				? []
				: options.packageTarball === undefined
					? [await packRepo()]
					: ([] as string[]).concat(options.packageTarball);
		for (const tarball of tarballs) packages.push(await installCommunityPackage(userFolder, tarball, env));
		timings.prepareMs = Date.now() - t0;

		// credentials + workflows
		const t1 = Date.now();
		const harnessDir = join(userFolder, 'harness-input');
		await mkdir(harnessDir, { recursive: true, mode: 0o700 });
		if (options.credentials?.length) {
			// decrypted credentials: owner-only, gone once imported, and removed at exit should the import be interrupted
			const file = join(harnessDir, 'credentials.json');
			await writeSecretFile(file, JSON.stringify(options.credentials, null, 2));
			try {
				const out = await cli(['import:credentials', `--input=${file}`]);
				if (!/Successfully imported \d+ credential/.test(out)) throw new Error(`import:credentials did not succeed:\n${tail(out)}`);
			} finally {
				await removeSecretFile(file);
			}
		}
		const workflows = (options.workflows ?? []).map((w, i) => normalizeWorkflow(w as WorkflowJson, i));
		workflowIds = workflows.map((w) => w.id);
		if (workflows.length) {
			const file = join(harnessDir, 'workflows.json');
			await writeFile(file, JSON.stringify(workflows, null, 2));
			const out = await cli(['import:workflow', `--input=${file}`]);
			if (!out.includes(`Successfully imported ${workflows.length} workflow`)) {
				throw new Error(`import:workflow did not import all ${workflows.length} workflows:\n${tail(out)}`);
			}
		}
		timings.importMs = Date.now() - t1;

		// activation (publishing); n8n picks it up at start
		const t2 = Date.now();
		const activate = options.activate ?? 'all';
		const activeIds = activate === 'all' ? workflowIds : activate;
		for (const id of activeIds) {
			if (!workflowIds.includes(id)) throw new Error(`activate: ${id} is not one of the imported workflows (${workflowIds.join(', ')})`);
		}
		if (options.activation === 'db') {
			withDb(false, (db) => activeIds.forEach((id) => publishInDb(db, id)));
		} else {
			for (const id of activeIds) {
				const out = await cli(['publish:workflow', `--id=${id}`]);
				if (!out.includes(`Publishing workflow with ID: ${id}`) || /Error/i.test(out.split('Publishing workflow')[1] ?? '')) {
					throw new Error(`publish:workflow --id=${id} did not succeed:\n${tail(out)}`);
				}
			}
		}
		timings.activateMs = Date.now() - t2;

		const t3 = Date.now();
		const startTimeout = options.startTimeoutMs ?? 120_000;
		await spawnServer(activeIds, startTimeout);
		timings.startMs = Date.now() - t3;
		timings.totalMs = Date.now() - t0;

		const instance: N8n = {
			baseUrl,
			port,
			userFolder,
			n8nDir,
			version,
			encryptionKey,
			get pid() {
				return child && !exited ? child.pid : undefined;
			},
			workflowIds,
			packages,
			timings,
			webhookUrl: (path) => `${baseUrl}/webhook/${path.replace(/^\/+/, '')}`,
			logs,
			executions: async (query) => withDb(true, (db) => readExecutions(db, flattedParse(), query)),
			async waitForExecutions(count, opts = {}) {
				const { timeoutMs = 30_000, ...query } = opts;
				const deadline = Date.now() + timeoutMs;
				for (;;) {
					const found = withDb(true, (db) => readExecutions(db, flattedParse(), query));
					if (found.length >= count) return found;
					if (Date.now() > deadline) {
						throw new Error(
							`expected ${count} finished execution(s) ${JSON.stringify(query)}, found ${found.length} after ${timeoutMs} ms\n${tail(logs())}`,
						);
					}
					if (exited) throw new Error(`n8n exited (${JSON.stringify(exited)}) while waiting for executions\n${tail(logs())}`);
					await sleep(150);
				}
			},
			cli,
			async restart() {
				if (stopped) throw new Error('restart() after stop()');
				await stopServer();
				const active =
					options.activationCheck || (options.command ?? 'start') !== 'start'
						? activeIds
						: withDb(true, (db) =>
								db.all('SELECT id FROM workflow_entity WHERE activeVersionId IS NOT NULL').map((r) => String(r.id)),
							);
				await spawnServer(active, startTimeout);
			},
			stop,
		};
		return instance;
	} catch (error) {
		await stop().catch(() => undefined);
		throw error;
	}
}

/**
 * What `n8n publish:workflow --id` does in 2.41.1 (WorkflowRepository.publishVersion): the
 * workflow's current version (present in workflow_history) becomes its active version.
 */
function publishInDb(db: Db, id: string) {
	const [wf] = db.all('SELECT versionId, isArchived FROM workflow_entity WHERE id = ?', id);
	if (!wf) throw new Error(`publish: workflow ${id} not found`);
	if (wf.isArchived) throw new Error(`publish: workflow ${id} is archived`);
	const [version] = db.all('SELECT versionId FROM workflow_history WHERE workflowId = ? AND versionId = ?', id, String(wf.versionId));
	if (!version) throw new Error(`publish: version ${String(wf.versionId)} of workflow ${id} not in workflow_history`);
	db.run('UPDATE workflow_entity SET active = 1, activeVersionId = ? WHERE id = ?', String(wf.versionId), id);
}

/**
 * Activation progress of published workflows, from the publication outbox (one row per publish
 * request, status pending → in_progress → completed | partial_success | failed) and the per-trigger
 * status rows it leaves behind.
 */
function activationState(db: Db, ids: string[]): { waiting: string[]; failed: string[] } {
	const waiting: string[] = [];
	const failed: string[] = [];
	for (const id of ids) {
		const [wf] = db.all('SELECT activeVersionId FROM workflow_entity WHERE id = ?', id);
		if (!wf?.activeVersionId) {
			failed.push(`${id}: not published`);
			continue;
		}
		const [latest] = db.all(
			'SELECT status, errorMessage FROM workflow_publication_outbox WHERE workflowId = ? AND publishedVersionId = ? ORDER BY id DESC LIMIT 1',
			id,
			String(wf.activeVersionId),
		);
		if (!latest || latest.status === 'pending' || latest.status === 'in_progress') {
			waiting.push(id);
		} else if (latest.status !== 'completed') {
			const triggers = db
				.all(
					"SELECT nodeId, status, errorMessage FROM workflow_publication_trigger_status WHERE workflowId = ? AND status <> 'activated'",
					id,
				)
				.map((t) => `${String(t.nodeId)}=${String(t.status)}${t.errorMessage ? ` (${String(t.errorMessage)})` : ''}`);
			failed.push(`${id}: ${String(latest.status)}${latest.errorMessage ? ` ${String(latest.errorMessage)}` : ''} ${triggers.join(', ')}`);
		}
	}
	return { waiting, failed };
}

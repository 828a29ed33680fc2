/**
 * The local stack behind `npm start` (and the sandbox e2e test): a real n8n with this package installed as a
 * community package, the three templates from workflows/ imported, wired to credentials and activated, a
 * local fake of Meta's Graph API standing in for WhatsApp, OpenAI (real with OPENAI_API_KEY, otherwise the
 * offline demo responder), an n8n owner account, and the sandbox page that plays the customer's phone.
 *
 *   const stack = await startLocalStack({ log: console.log });
 *   stack.editorUrl; stack.sandboxUrl; stack.formUrl; stack.owner;   // …
 *   await stack.stop();
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { ensureN8n, freePort, n8nDir, n8nVersion, nodeBinary, normalizeWorkflow, repoRoot, startN8n, type N8n, type WorkflowJson } from '../devkit/n8n';
import { keepSecretFile, removeSecretFile, writeSecretFile } from '../devkit/n8n/secret-files';
import { openDb } from '../devkit/n8n/sqlite';
import { startFakeGraphApi, type FakeGraphApi } from '../devkit/fakes/graph-api';
import { startFakeOpenAi, type FakeOpenAi } from '../devkit/fakes/openai';
import { OFFLINE_LABEL, offlineReply } from './responder';
import { startSandbox, type Sandbox, type SandboxCustomer } from './server';

export interface LocalStackOptions {
	/** n8n user folder; kept between runs (login, workflows, executions, the WhatsAuto store). Default <repo>/.n8n-local. */
	userFolder?: string;
	/** n8n's port. Default: N8N_PORT, else 5678 when free, else any free port. */
	n8nPort?: number;
	/** The sandbox page's port. Default: SANDBOX_PORT, else 5680 when free, else any free port. */
	sandboxPort?: number;
	/** Real OpenAI key. Default: OPENAI_API_KEY. Empty string: the offline demo responder even if the variable is set. */
	openAiApiKey?: string;
	/** Base URL for the real OpenAI credential. Default: OPENAI_BASE_URL or https://api.openai.com/v1. */
	openAiBaseUrl?: string;
	/** Progress lines. Default: none. */
	log?: (line: string) => void;
	/** Echo n8n's own output. Default false. */
	echoN8nLogs?: boolean;
	/** Bound for n8n's start (after install and build). Default 180 s. */
	startTimeoutMs?: number;
	/**
	 * Save every execution's data (n8n's Executions tab), instead of the templates' privacy setting of saving
	 * none. Applies when the workflows are imported (the first run). Default: WHATSAUTO_SAVE_EXECUTIONS=1.
	 */
	saveExecutions?: boolean;
}

export interface LocalStack {
	editorUrl: string;
	sandboxUrl: string;
	/** The privacy web form (the form template's production URL). */
	formUrl: string;
	/** Where the fake Graph API delivers Meta's webhooks (the WhatsAuto Trigger's production URL). */
	webhookUrl: string;
	owner: { email: string; password: string; created: boolean; loginWorks: boolean };
	ai: { mode: 'openai' | 'offline'; baseUrl: string; description: string };
	customer: SandboxCustomer;
	workflows: { autoResponder: string; privacyForm: string; deadlineMonitor: string };
	userFolder: string;
	n8n: N8n;
	graph: FakeGraphApi;
	/** The offline responder's server (undefined with real OpenAI). */
	offlineAi?: FakeOpenAi;
	sandbox: Sandbox;
	timings: { totalMs: number; n8nMs: number; firstRun: boolean };
	stop(): Promise<void>;
}

/** The account the fake Graph API plays (Meta's documentation numbers). */
export const ACCOUNT = {
	phoneNumberId: '106540352242922',
	displayPhoneNumber: '15550783881',
	businessAccountId: '102290129340398',
};
export const CUSTOMER: SandboxCustomer = { waId: '447700900123', name: 'Alex (sandbox)' };

/** Stable ids, so a restart finds what the first run created. */
export const WORKFLOW_IDS = { autoResponder: 'waLocalAutoResp1', privacyForm: 'waLocalPrivForm1', deadlineMonitor: 'waLocalDeadline1' };
const TEMPLATE_FILES: Record<keyof typeof WORKFLOW_IDS, string> = {
	autoResponder: 'whatsapp-gpt4-auto-responder.json',
	privacyForm: 'privacy-requests-web-form.json',
	deadlineMonitor: 'privacy-deadline-monitor.json',
};
const CREDENTIAL_IDS = { whatsAutoMetaApi: 'waLocalMetaCred1', whatsAutoStoreApi: 'waLocalStoreCrd1', whatsAutoOpenAiApi: 'waLocalOpenAiCr1' };
const CREDENTIAL_NAMES = { whatsAutoMetaApi: 'WhatsAuto: WhatsApp Cloud API', whatsAutoStoreApi: 'WhatsAuto: Store', whatsAutoOpenAiApi: 'WhatsAuto: OpenAI' };
const OFFLINE_API_KEY = 'sk-offline-demo-responder';
const STATE_FILE = 'whatsauto-local.json';

/**
 * Secrets generated on the first run and kept in the user folder (mode 600; the folder itself is created 700).
 * Written by a start-up that does not get as far as creating the owner account with them (Ctrl-C, an error), the
 * file is removed again; one from an earlier run is never removed.
 */
interface LocalState {
	ownerEmail: string;
	ownerPassword: string;
	storeSecretKey: string;
	metaAccessToken: string;
	metaAppSecret: string;
	metaVerifyToken: string;
}

async function loadState(userFolder: string): Promise<{ state: LocalState; file: string; created: boolean }> {
	const file = join(userFolder, STATE_FILE);
	let state: Partial<LocalState> = {};
	const created = !existsSync(file);
	if (!created) state = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalState>;
	const token = (bytes: number) => randomBytes(bytes).toString('hex');
	const full: LocalState = {
		ownerEmail: state.ownerEmail ?? 'owner@whatsauto.local',
		// n8n wants 8-64 characters with a digit and an upper-case letter
		ownerPassword: state.ownerPassword ?? `Demo-${randomBytes(9).toString('base64url')}-7`,
		storeSecretKey: state.storeSecretKey ?? token(32),
		metaAccessToken: state.metaAccessToken ?? `EAAG-local-${token(16)}`,
		metaAppSecret: state.metaAppSecret ?? token(16),
		metaVerifyToken: state.metaVerifyToken ?? `verify-${token(8)}`,
	};
	await mkdir(userFolder, { recursive: true, mode: 0o700 });
	// a new file is removed at exit until the owner account exists (keepSecretFile); an existing one stays
	await writeSecretFile(file, `${JSON.stringify(full, null, 2)}\n`, { removeOnExit: created });
	return { state: full, file, created };
}

const LOCK_FILE = 'whatsauto-local.pid';

/** Whether a process runs with this pid (zombies, which this machine's PID 1 may not reap, do not count). */
function running(pid: number): boolean {
	try {
		return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
	} catch {
		try {
			process.kill(pid, 0);
			return true;
		} catch {
			return false;
		}
	}
}

/** One stack per user folder: two n8n processes on one SQLite database would corrupt each other's state. */
async function lockFolder(userFolder: string): Promise<() => Promise<void>> {
	const file = join(userFolder, LOCK_FILE);
	if (existsSync(file)) {
		const pid = Number(readFileSync(file, 'utf8').trim());
		if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && running(pid)) {
			throw new Error(`${userFolder} is in use by another npm start (pid ${pid}); stop it first, or set WHATSAUTO_LOCAL_FOLDER`);
		}
	}
	await mkdir(userFolder, { recursive: true, mode: 0o700 });
	await writeFile(file, `${process.pid}\n`);
	return async () => {
		if (existsSync(file) && readFileSync(file, 'utf8').trim() === String(process.pid)) await rm(file, { force: true });
	};
}

/** `preferred` if nothing listens there, else a free port chosen by the OS. */
async function portOr(preferred: number | undefined): Promise<number> {
	if (preferred === undefined) return await freePort();
	const free = await new Promise<boolean>((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(false));
		server.listen({ port: preferred, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
	});
	return free ? preferred : await freePort();
}

const envPort = (name: string): number | undefined => {
	const value = Number(process.env[name]);
	return Number.isInteger(value) && value > 0 && value < 65536 ? value : undefined;
};

/** The templates' credentials are referenced by name only; point every one at the credential created here. */
function wireCredentials(workflow: WorkflowJson): WorkflowJson {
	const nodes = (workflow.nodes ?? []).map((node) => {
		const credentials = node.credentials as Record<string, { name?: string }> | undefined;
		if (!credentials) return node;
		const wired: Record<string, { id: string; name: string }> = {};
		for (const type of Object.keys(credentials)) {
			const id = CREDENTIAL_IDS[type as keyof typeof CREDENTIAL_IDS];
			if (!id) throw new Error(`template node "${String(node.name)}" uses a credential type this stack does not create: ${type}`);
			wired[type] = { id, name: CREDENTIAL_NAMES[type as keyof typeof CREDENTIAL_NAMES] };
		}
		return { ...node, credentials: wired };
	});
	return { ...workflow, nodes };
}

function template(key: keyof typeof WORKFLOW_IDS, saveExecutions: boolean): WorkflowJson {
	const workflow = JSON.parse(readFileSync(join(repoRoot, 'workflows', TEMPLATE_FILES[key]), 'utf8')) as WorkflowJson;
	const settings = { ...(workflow.settings as object | undefined), ...(saveExecutions ? { saveDataSuccessExecution: 'all', saveDataErrorExecution: 'all' } : {}) };
	return normalizeWorkflow(wireCredentials({ ...workflow, id: WORKFLOW_IDS[key], settings }));
}

function webhookIdOf(workflow: WorkflowJson, type: string): string {
	const node = (workflow.nodes ?? []).find((n) => n.type === type);
	if (typeof node?.webhookId !== 'string') throw new Error(`template ${String(workflow.name)} has no ${type} with a webhookId`);
	return node.webhookId;
}

function businessNameOf(workflow: WorkflowJson): string {
	const reply = (workflow.nodes ?? []).find((n) => n.type === 'n8n-nodes-whatsauto.whatsAutoReply');
	const name = (reply?.parameters as { businessName?: unknown } | undefined)?.businessName;
	return typeof name === 'string' && name ? name : 'Your Business';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Installs the pinned n8n with its progress on stderr (minutes on a fresh machine, cached after). */
async function installN8n(log: (line: string) => void): Promise<void> {
	if (existsSync(join(n8nDir(), '.complete'))) return;
	log(`Installing n8n ${n8nVersion()} into ${n8nDir()} (first time only: ~5 minutes, ~2 GB)…`);
	await new Promise<void>((resolve, reject) => {
		const child = spawn('bash', [join(repoRoot, 'scripts', 'install-n8n.sh')], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
		const timer = setTimeout(() => child.kill('SIGTERM'), 45 * 60_000);
		child.on('error', reject);
		child.on('exit', (code) => {
			clearTimeout(timer);
			if (code === 0) resolve();
			else reject(new Error(`scripts/install-n8n.sh failed (exit ${code})`));
		});
	});
	await ensureN8n();
}

function existingWorkflowIds(userFolder: string): Set<string> {
	const dbPath = join(userFolder, '.n8n', 'database.sqlite');
	if (!existsSync(dbPath)) return new Set();
	const db = openDb(dbPath, { readOnly: true, fallbackNode: nodeBinary() });
	try {
		return new Set(db.all('SELECT id FROM workflow_entity WHERE isArchived = 0').map((row) => String(row.id)));
	} catch {
		return new Set(); // no tables yet
	} finally {
		db.close();
	}
}

/** Creates the owner account on the first run (POST /rest/owner/setup) and checks that its login works. */
async function ensureOwner(baseUrl: string, state: LocalState): Promise<{ created: boolean; loginWorks: boolean }> {
	const post = async (path: string, body: object) => {
		const res = await fetch(`${baseUrl}${path}`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', 'browser-id': 'whatsauto-local' },
			body: JSON.stringify(body),
			signal: AbortSignal.timeout(30_000),
		});
		return { status: res.status, text: await res.text() };
	};
	let created = false;
	const setup = await post('/rest/owner/setup', {
		email: state.ownerEmail,
		firstName: 'WhatsAuto',
		lastName: 'Demo',
		password: state.ownerPassword,
	});
	if (setup.status === 200) created = true;
	else if (!/already setup/i.test(setup.text)) throw new Error(`n8n owner setup failed: HTTP ${setup.status} ${setup.text.slice(0, 300)}`);
	const login = await post('/rest/login', { emailOrLdapLoginId: state.ownerEmail, password: state.ownerPassword });
	return { created, loginWorks: login.status === 200 };
}

/** Waits until Meta's verification handshake succeeds at the trigger's production URL (its workflow is active). */
async function waitForTrigger(graph: FakeGraphApi, url: string, verifyToken: string, timeoutMs: number): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const result = await graph.verifyWebhook(url, { verifyToken }).catch(() => ({ ok: false }));
		if (result.ok) return true;
		await sleep(500);
	}
	return false;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
	const t0 = Date.now();
	const log = options.log ?? (() => undefined);
	const userFolder = options.userFolder ?? join(repoRoot, '.n8n-local');
	const apiKey = options.openAiApiKey ?? process.env.OPENAI_API_KEY ?? '';
	const realAi = apiKey.trim() !== '';

	const cleanups: Array<() => Promise<unknown>> = [];
	const stopAll = async () => {
		for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
	};
	try {
		cleanups.push(await lockFolder(userFolder));
		await installN8n(log);
		const { state, file: stateFile, created: stateCreated } = await loadState(userFolder);
		let keepState = !stateCreated;
		cleanups.push(async () => {
			if (!keepState) await removeSecretFile(stateFile);
		});
		const n8nPort = await portOr(options.n8nPort ?? envPort('N8N_PORT') ?? 5678);
		const sandboxPort = await portOr(options.sandboxPort ?? envPort('SANDBOX_PORT') ?? 5680);

		const graph = await startFakeGraphApi({
			...ACCOUNT,
			accessToken: state.metaAccessToken,
			appSecret: state.metaAppSecret,
			verifiedName: 'Your Business',
			maxRecords: 2_000, // npm start may run for days: keep its records bounded
		});
		cleanups.push(() => graph.close());

		let offlineAi: FakeOpenAi | undefined;
		if (!realAi) {
			// records hold request bodies (photos, PDFs): keep few
			offlineAi = await startFakeOpenAi({ apiKey: OFFLINE_API_KEY, responder: offlineReply, maxRecords: 50, maxReceivedBytes: 16 << 20 });
			cleanups.push(() => offlineAi!.close());
		}
		const ai = realAi
			? {
					mode: 'openai' as const,
					baseUrl: options.openAiBaseUrl ?? process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
					description: 'OPENAI_API_KEY is set: the Auto-Reply node asks OpenAI (GPT-4o), and voice notes are really transcribed.',
				}
			: {
					mode: 'offline' as const,
					baseUrl: offlineAi!.baseUrl,
					description: `No OPENAI_API_KEY is set, so a local OpenAI-compatible server answers instead of GPT-4o: canned, deterministic replies, each starting with ${OFFLINE_LABEL}. Set OPENAI_API_KEY and run npm start again for real answers.`,
				};

		const storeCredential = {
			id: CREDENTIAL_IDS.whatsAutoStoreApi,
			name: CREDENTIAL_NAMES.whatsAutoStoreApi,
			type: 'whatsAutoStoreApi',
			data: { backend: 'sqlite', sqlitePath: '', secretKey: state.storeSecretKey },
		};
		const credentials = [
			{
				id: CREDENTIAL_IDS.whatsAutoMetaApi,
				name: CREDENTIAL_NAMES.whatsAutoMetaApi,
				type: 'whatsAutoMetaApi',
				data: {
					accessToken: state.metaAccessToken,
					appSecret: state.metaAppSecret,
					verifyToken: state.metaVerifyToken,
					phoneNumberId: ACCOUNT.phoneNumberId,
					businessAccountId: ACCOUNT.businessAccountId,
					graphApiVersion: 'v23.0',
					baseUrl: graph.baseUrl,
				},
			},
			storeCredential,
			{
				id: CREDENTIAL_IDS.whatsAutoOpenAiApi,
				name: CREDENTIAL_NAMES.whatsAutoOpenAiApi,
				type: 'whatsAutoOpenAiApi',
				data: { apiKey: realAi ? apiKey.trim() : OFFLINE_API_KEY, baseUrl: ai.baseUrl, organizationId: '' },
			},
		];

		const save = options.saveExecutions ?? process.env.WHATSAUTO_SAVE_EXECUTIONS === '1';
		const templates = {
			autoResponder: template('autoResponder', save),
			privacyForm: template('privacyForm', save),
			deadlineMonitor: template('deadlineMonitor', save),
		};
		const present = existingWorkflowIds(userFolder);
		const missing = Object.values(templates).filter((w) => !present.has(w.id as string));
		const firstRun = missing.length === Object.keys(templates).length;

		log(`Building and packing n8n-nodes-whatsauto, then starting n8n ${n8nVersion()} on port ${n8nPort}${firstRun ? ' (first run: creating the database, ~1 minute)' : ''}…`);
		const t1 = Date.now();
		const harnessInput = join(userFolder, 'harness-input');
		cleanups.push(() => rm(harnessInput, { recursive: true, force: true }));
		const n8n = await startN8n({
			userFolder,
			port: n8nPort,
			credentials, // re-imported on every start (upsert by id): the fakes' ports change between runs
			workflows: missing, // imported once; later edits in the editor are kept
			activate: 'all',
			activation: 'db',
			echoLogs: options.echoN8nLogs ?? false,
			startTimeoutMs: options.startTimeoutMs ?? 180_000,
		});
		cleanups.push(() => n8n.stop());
		const n8nMs = Date.now() - t1;
		// the harness's CLI input: the workflows as imported (it removes the decrypted credentials itself, right after import)
		await rm(harnessInput, { recursive: true, force: true });

		const webhookUrl = n8n.webhookUrl(`${webhookIdOf(templates.autoResponder, 'n8n-nodes-whatsauto.whatsAutoTrigger')}/webhook`);
		const editorUrl = `http://localhost:${n8n.port}`;
		const formUrl = `${editorUrl}/form/${webhookIdOf(templates.privacyForm, 'n8n-nodes-base.formTrigger')}`;
		graph.setWebhookTarget(webhookUrl);
		if (!(await waitForTrigger(graph, webhookUrl, state.metaVerifyToken, 60_000))) {
			log(`Warning: the auto-responder does not answer at ${webhookUrl}; is the workflow active in the editor?`);
		}

		const owner = await ensureOwner(n8n.baseUrl, state);
		// the owner account now has this password: the file stays, whatever happens next
		keepState = true;
		keepSecretFile(stateFile);
		if (!owner.loginWorks) {
			log(`Note: the owner's password was changed in n8n; the one in ${join(userFolder, STATE_FILE)} no longer works.`);
		}

		const sandbox = await startSandbox({
			graph,
			offlineAi,
			ai: { mode: ai.mode, description: ai.description },
			customer: CUSTOMER,
			businessName: businessNameOf(templates.autoResponder),
			links: { editorUrl, formUrl },
			publicDir: join(repoRoot, 'sandbox', 'public'),
			port: sandboxPort,
			log: options.log, // refused requests (default: stderr)
			// Resume AI: the store n8n's nodes keep pauses in (an empty SQLite path: in n8n's user folder)
			store: { credential: storeCredential.data, userFolder: n8n.userFolder },
		});
		cleanups.push(() => sandbox.close());

		return {
			editorUrl,
			sandboxUrl: sandbox.url,
			formUrl,
			webhookUrl,
			owner: { email: state.ownerEmail, password: state.ownerPassword, ...owner },
			ai,
			customer: CUSTOMER,
			workflows: { ...WORKFLOW_IDS },
			userFolder,
			n8n,
			graph,
			offlineAi,
			sandbox,
			timings: { totalMs: Date.now() - t0, n8nMs, firstRun },
			stop: stopAll,
		};
	} catch (error) {
		await stopAll();
		throw error;
	}
}


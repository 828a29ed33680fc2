/**
 * Shared set-up for the template end-to-end tests (templates-*.e2e.test.ts): the three workflow templates in
 * `workflows/` imported through n8n's CLI into a real n8n 2.41.1 with this package installed, their credentials
 * pointing at the fake Graph API and the fake OpenAI, plus the probes the tests need (n8n's executions including
 * soft-deleted ones, the WhatsAuto store, scans for leaked content).
 *
 * Credentials: the templates name their credentials and carry no credential ids. n8n 2.41.1's `import:workflow` does not
 * resolve such a reference by name: `{ "name": "…" }` (no id) reaches `replaceInvalidCredentials`, whose
 * `findOneBy({ id: undefined, type })` matches the FIRST credential of that type, whatever its name. So the
 * tests bind the ids before importing (bindCredentials, on a copy; the template files keep name-only references), and import
 * decoy credentials of the same types first, so that a template bound by n8n's fallback would use a decoy and
 * fail.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { messageRef } from '../../nodes/shared/contact';
import { MEMORY_REF_PREFIX } from '../../nodes/shared/conversation/memory';
import { conversationText } from '../../nodes/shared/conversation/messages';
import { LANGUAGES } from '../../nodes/shared/privacy/messages';
import { deriveKeys, pseudonymise } from '../../nodes/shared/crypto';
import { startFakeGraphApi, type DeliverInput, type DeliverOptions, type DeliveryResult, type FakeGraphApi, type SentRecord } from '../../devkit/fakes/graph-api';
import { startFakeOpenAi, type ChatRequestRecord, type FakeOpenAi } from '../../devkit/fakes/openai';
import { freePort, nodeBinary, repoRoot, startN8n, type N8n } from '../../devkit/n8n';
import { openDb, type Db, type Row } from '../../devkit/n8n/sqlite';

export const ACCOUNT = {
	accessToken: 'EAAG-templates-e2e-token',
	appSecret: 'templates_e2e_app_secret',
	phoneNumberId: '106540352242922',
	displayPhoneNumber: '15550783881',
	businessAccountId: '102290129340398',
};
export const VERIFY_TOKEN = 'templates-e2e-verify-token';
export const OPENAI_KEY = 'sk-templates-e2e-0000000000000000';
/** 48 characters, as `openssl rand -hex 24` prints. */
export const STORE_SECRET = 'f3a9c1d27e5b48a0b6c3d9e1f2a4b5c6d7e8f9a0b1c2d3e4';

/**
 * The keyed reference the store (and items with pseudonymous ids) keep of a Meta message id: reply records never hold
 * a wamid, which is the number in base64.
 */
export const storeMessageRef = (messageId: string): string => messageRef((value) => pseudonymise(deriveKeys(STORE_SECRET).pseudonymKey, value), messageId);

export const TEMPLATE_FILES = {
	autoResponder: 'whatsapp-gpt4-auto-responder.json',
	webForm: 'privacy-requests-web-form.json',
	deadlineMonitor: 'privacy-deadline-monitor.json',
} as const;
export type TemplateName = keyof typeof TEMPLATE_FILES;

/** Workflow ids given to the imported templates here (instead of the files' own; templates-import.e2e.test.ts imports the files as they are). */
export const WORKFLOW_IDS: Record<TemplateName, string> = {
	autoResponder: 'tplWhatsAutoAuto',
	webForm: 'tplWhatsAutoForm',
	deadlineMonitor: 'tplWhatsAutoDead',
};

export type Json = Record<string, unknown>;
export interface TemplateNode {
	name: string;
	type: string;
	parameters: Json;
	credentials?: Record<string, { id?: string | null; name: string }>;
	webhookId?: string;
}
export interface Template extends Json {
	name: string;
	nodes: TemplateNode[];
	connections: Json;
	settings: Json;
}

export function loadTemplate(name: TemplateName): Template {
	return JSON.parse(readFileSync(join(repoRoot, 'workflows', TEMPLATE_FILES[name]), 'utf8')) as Template;
}

export interface CredentialSpec {
	id: string;
	name: string;
	type: string;
	data: Json;
}

/**
 * A copy of the template whose credential references carry the id of the credential with that type and name.
 * Throws when a template names a credential that does not exist (a renamed credential must fail loudly).
 */
export function bindCredentials(template: Template, credentials: CredentialSpec[]): Template {
	const copy = JSON.parse(JSON.stringify(template)) as Template;
	for (const node of copy.nodes) {
		for (const [type, ref] of Object.entries(node.credentials ?? {})) {
			const match = credentials.filter((c) => c.type === type && c.name === ref.name);
			if (match.length !== 1) throw new Error(`${template.name} › ${node.name}: ${match.length} credentials of type ${type} named "${ref.name}"`);
			node.credentials![type] = { id: match[0].id, name: match[0].name };
		}
	}
	return copy;
}

// ------------------------------------------------------------------------------------------ markers

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Letters only: nothing the Auto-Reply's personal-data masking would touch (digits could look like a phone number). */
export function marker(kind: string): string {
	return `ZEBRA-${kind}-${Array.from(randomBytes(12), (b) => LETTERS[b % 26]).join('')}`;
}
export const MARKER_PATTERN = /ZEBRA-[A-Z]+-[A-Z]{12}/g;

/**
 * The needle as it is, as hex, and as base64 at the three byte alignments it can have inside a longer base64 text
 * (binary data kept as base64 would hide it): for each alignment, the longest run of base64 characters that depend
 * on the needle's bytes only.
 */
export function encodedForms(needle: string | Buffer): string[] {
	const bytes = Buffer.isBuffer(needle) ? needle : Buffer.from(needle, 'utf8');
	const forms = [bytes.toString('latin1'), bytes.toString('hex')];
	for (let shift = 0; shift < 3; shift++) {
		const b64 = Buffer.concat([Buffer.alloc(shift), bytes, Buffer.alloc(3)]).toString('base64');
		let core = '';
		for (let i = 0; i < b64.length; i++) {
			const first = Math.floor((6 * i) / 8);
			const last = Math.floor((6 * i + 5) / 8);
			if (first >= shift && last < shift + bytes.length) core += b64[i];
		}
		if (core.length >= 8) forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
	}
	return [...new Set(forms)];
}

/** The text a customer sees in a message sent through the fake Graph API: a text body or a document caption. */
export function sentText(sent: SentRecord): string {
	const body = sent.body as { text?: { body?: string }; document?: { caption?: string } };
	return body.text?.body ?? body.document?.caption ?? '';
}

// ------------------------------------------------------------------------------------------ conversation

/** The Business Name the auto-responder template's Auto-Reply node has. */
export const BUSINESS_NAME = 'Your Business';
/** The first-contact AI disclosure in English, as the template's Auto-Reply sends it. */
export const DISCLOSURE = conversationText('disclosure', 'en', { business: BUSINESS_NAME });
const DISCLOSURES = LANGUAGES.map((lang) => conversationText('disclosure', lang, { business: BUSINESS_NAME }));

/**
 * A reply split into the first-contact disclosure it starts with (any language; the first reply to each customer
 * is "<disclosure>\n\n<reply>") and the rest: the reply itself.
 */
export function splitDisclosure(text: string): { disclosure?: string; rest: string } {
	for (const disclosure of DISCLOSURES) if (text.startsWith(`${disclosure}\n\n`)) return { disclosure, rest: text.slice(disclosure.length + 2) };
	return { rest: text };
}

/** Whether a text holds the disclosure (any language) anywhere. */
export const hasDisclosure = (text: string): boolean => DISCLOSURES.some((disclosure) => text.includes(disclosure));

/** The memory's reference prefix: each answered turn is one encrypted `content` row under `mem:…`. */
export const MEMORY_PREFIX = MEMORY_REF_PREFIX;
/** How long the template's Auto-Reply remembers a turn (Conversation › Memory Hours: 24). */
export const MEMORY_TTL_MS = 24 * 60 * 60 * 1000;

export interface ContentRow {
	ref: string;
	/** The pseudonym the row is kept under. */
	contactKey: string;
	/** Unix ms. */
	expiresAt: number;
}

/** Every row of the store's `content` table (SQLite store). */
export function contentRows(env: Pick<TemplatesEnv, 'store'>): ContentRow[] {
	return env
		.store('SELECT ref, contact_key, expires_at FROM content ORDER BY ref')
		.map((r) => ({ ref: String(r.ref), contactKey: String(r.contact_key), expiresAt: Number(r.expires_at) }));
}

/**
 * What answering may leave in the `content` table: the memory's turns only (`mem:…`, encrypted: the leak scans
 * look for the plaintext), each expiring MEMORY_TTL_MS after it was written, that is no later than 24 h from now and
 * no earlier than 24 h after `since` (before any of them was written). Returns the memory rows.
 */
export function expectOnlyMemory(env: Pick<TemplatesEnv, 'store'>, since: number): ContentRow[] {
	const rows = contentRows(env);
	expect(rows.filter((r) => !r.ref.startsWith(MEMORY_PREFIX))).toEqual([]);
	const now = Date.now();
	for (const row of rows) {
		expect(row.expiresAt).toBeLessThanOrEqual(now + MEMORY_TTL_MS);
		expect(row.expiresAt).toBeGreaterThanOrEqual(since + MEMORY_TTL_MS - 2_000);
	}
	return rows;
}

// ------------------------------------------------------------------------------------------ waiting

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined/false; throws with `what` after timeoutMs. */
export async function waitUntil<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 150): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined && value !== false) return value;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await sleep(everyMs);
	}
}

// ------------------------------------------------------------------------------------------ environment

export interface TemplatesEnv {
	n8n: N8n;
	graph: FakeGraphApi;
	ai: FakeOpenAi;
	credentials: CredentialSpec[];
	templates: Record<TemplateName, Template>;
	/** The WhatsAuto Trigger's production URL (the auto-responder template). */
	triggerUrl: string;
	/** The Form Trigger's production URL (the web form template). */
	formUrl: string;
	storePath: string;
	/**
	 * graph.deliver(), one POST per copy, where a POST that never reached n8n (a keep-alive socket n8n had just
	 * closed: ECONNRESET / socket hang up, status 0) is sent again once, as Meta retries it.
	 */
	deliver(input: DeliverInput, options?: DeliverOptions): Promise<DeliveryResult[]>;
	/** What the fake Graph API sent to this customer so far. */
	sentTo(waId: string): SentRecord[];
	/** Waits until at least `count` messages were sent to the customer (default 1, within 60 s); returns them all. */
	waitForSent(waId: string, count?: number, timeoutMs?: number): Promise<SentRecord[]>;
	/** Delays every chat completion until the returned function is called. */
	holdModel(): () => void;
	/** n8n's executions of a workflow, soft-deleted ones included (the templates save no execution data). */
	executionRows(workflowId?: string): ExecutionRow[];
	/** Waits until every execution of the workflow (with id > afterId) has ended, and at least `count` exist. */
	waitForEnded(workflowId: string, count: number, afterId?: number, timeoutMs?: number): Promise<ExecutionRow[]>;
	lastExecutionId(): number;
	/** Waits until the conversation gate's inbox is empty and every execution of the workflow has ended. */
	waitForDrained(workflowId: string, timeoutMs?: number): Promise<void>;
	/** Read-only query against n8n's own database. */
	n8nQuery(sql: string, ...params: Array<string | number>): Row[];
	/** Read-only query against the WhatsAuto store (SQLite). */
	store(sql: string, ...params: Array<string | number>): Row[];
	/** The Auto-Reply's recorded outcome for an inbound message, once it has one. */
	replyOutcome(messageId: string): Json | undefined;
	stop(): Promise<void>;
}

export interface ExecutionRow {
	id: number;
	workflowId: string;
	status: string;
	finished: boolean;
	mode: string;
	deletedAt: string | null;
	/** Ended: finished statuses, or soft-deleted by n8n after an execution whose data is not saved. */
	ended: boolean;
}

const ENDED = new Set(['success', 'error', 'crashed', 'canceled']);

export function templateCredentials(graph: FakeGraphApi, ai: FakeOpenAi): CredentialSpec[] {
	const meta = (over: Json = {}) => ({ ...graph.credentialData(VERIFY_TOKEN), ...over });
	return [
		// decoys first: n8n's by-name fallback would pick these
		{
			id: 'tplDecoyMeta0001',
			name: 'Other WhatsApp number',
			type: 'whatsAutoMetaApi',
			data: meta({ accessToken: 'EAAG-decoy', appSecret: 'decoy_secret', phoneNumberId: '999999999999999', baseUrl: 'http://127.0.0.1:9' }),
		},
		{ id: 'tplDecoyOpenAi01', name: 'Other OpenAI account', type: 'whatsAutoOpenAiApi', data: { apiKey: 'sk-decoy', baseUrl: 'http://127.0.0.1:9/v1' } },
		{
			id: 'tplDecoyStore001',
			name: 'Other store',
			type: 'whatsAutoStoreApi',
			data: { backend: 'sqlite', sqlitePath: '/nonexistent-whatsauto-decoy/store.sqlite', secretKey: 'decoy-secret-decoy-secret-decoy-secret-0000' },
		},
		{ id: 'tplMetaCred00001', name: 'WhatsAuto: WhatsApp Cloud API', type: 'whatsAutoMetaApi', data: meta() },
		{ id: 'tplOpenAiCred001', name: 'WhatsAuto: OpenAI', type: 'whatsAutoOpenAiApi', data: { apiKey: OPENAI_KEY, baseUrl: ai.baseUrl } },
		// sqlitePath empty: the documented default, <N8N_USER_FOLDER>/.n8n/whatsauto.sqlite
		{ id: 'tplStoreCred0001', name: 'WhatsAuto: Store', type: 'whatsAutoStoreApi', data: { backend: 'sqlite', sqlitePath: '', secretKey: STORE_SECRET } },
	];
}

/** Echoes every marker the model was given (text, image bytes, PDF bytes) plus a marker of its own. */
function defaultResponder(req: ChatRequestRecord): string {
	const seen = new Set<string>();
	const scan = (text: string) => (text.match(MARKER_PATTERN) ?? []).forEach((m) => seen.add(m));
	for (const message of req.messages) if (message.role === 'user') scan(message.text);
	for (const image of req.images) if (image.bytes) scan(image.bytes.toString('latin1'));
	for (const file of req.files) if (file.bytes) scan(file.bytes.toString('latin1'));
	return `Happy to help! About ${[...seen].join(' ') || 'your message'}: ${marker('REPLY')}`;
}

export interface StartOptions {
	/** Templates to publish; all three are imported. Default: all. */
	activate?: TemplateName[];
	/** More workflows to import (credentials bound like the templates'), published only with `activate`. */
	extra?: Array<{ id: string; workflow: Template; activate?: boolean }>;
	env?: Record<string, string>;
}

export async function startTemplatesEnv(options: StartOptions = {}): Promise<TemplatesEnv> {
	const graph = await startFakeGraphApi({ ...ACCOUNT });
	let gate: Promise<void> | undefined;
	const ai = await startFakeOpenAi({
		apiKey: OPENAI_KEY,
		responder: async (req) => {
			if (gate) await gate;
			return defaultResponder(req);
		},
	});
	let n8n: N8n | undefined;
	try {
		const credentials = templateCredentials(graph, ai);
		const templates = {
			autoResponder: loadTemplate('autoResponder'),
			webForm: loadTemplate('webForm'),
			deadlineMonitor: loadTemplate('deadlineMonitor'),
		};
		const names = Object.keys(templates) as TemplateName[];
		const activate = options.activate ?? names;
		n8n = await startN8n({
			credentials,
			workflows: [
				...names.map((name) => ({ ...bindCredentials(templates[name], credentials), id: WORKFLOW_IDS[name] })),
				...(options.extra ?? []).map(({ id, workflow }) => ({ ...bindCredentials(workflow, credentials), id })),
			],
			activate: [...activate.map((name) => WORKFLOW_IDS[name]), ...(options.extra ?? []).filter((extra) => extra.activate).map((extra) => extra.id)],
			activation: 'cli',
			env: {
				// n8n's own defaults (the harness turns pruning off): executions whose data is not saved are
				// soft-deleted (deletedAt set) and stay in the database with the data written when they started
				EXECUTIONS_DATA_PRUNE: 'true',
				EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
				EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
				...options.env,
			},
		});
		const started = n8n;
		const trigger = templates.autoResponder.nodes.find((n) => n.type === 'n8n-nodes-whatsauto.whatsAutoTrigger')!;
		const form = templates.webForm.nodes.find((n) => n.type === 'n8n-nodes-base.formTrigger')!;
		const triggerUrl = started.webhookUrl(`${trigger.webhookId}/webhook`);
		graph.setWebhookTarget(triggerUrl);
		const storePath = join(started.userFolder, '.n8n', 'whatsauto.sqlite');
		const withDb = <T>(path: string, fn: (db: Db) => T): T => {
			const db = openDb(path, { readOnly: true, fallbackNode: nodeBinary() });
			try {
				return fn(db);
			} finally {
				db.close();
			}
		};
		const n8nDb = join(started.userFolder, '.n8n', 'database.sqlite');
		const executionRows = (workflowId?: string): ExecutionRow[] =>
			withDb(n8nDb, (db) =>
				db
					.all(
						`SELECT id, workflowId, status, finished, mode, deletedAt FROM execution_entity ${workflowId ? 'WHERE workflowId = ?' : ''} ORDER BY id`,
						...(workflowId ? [workflowId] : []),
					)
					.map((r) => ({
						id: Number(r.id),
						workflowId: String(r.workflowId),
						status: String(r.status),
						finished: Boolean(r.finished),
						mode: String(r.mode),
						deletedAt: (r.deletedAt as string | null) ?? null,
						ended: ENDED.has(String(r.status)) || r.deletedAt !== null,
					})),
			);
		const store = (sql: string, ...params: Array<string | number>) => (existsSync(storePath) ? withDb(storePath, (db) => db.all(sql, ...params)) : []);
		const sentTo = (waId: string) => graph.sent.filter((s) => s.waId === waId);
		return {
			n8n: started,
			graph,
			ai,
			credentials,
			templates,
			triggerUrl,
			formUrl: `${started.baseUrl}/form/${form.webhookId}`,
			storePath,
			async deliver(input, opts = {}) {
				const copies = Math.max(1, opts.times ?? 1 + (opts.duplicate ?? 0));
				const once = async () => {
					const [first] = await graph.deliver(input, { ...opts, times: 1, duplicate: 0 });
					if (first.status !== 0 || !/ECONNRESET|socket hang up/i.test(first.error ?? '')) return first;
					const [again] = await graph.deliver(input, { ...opts, times: 1, duplicate: 0 });
					return again;
				};
				if (opts.concurrent) return await Promise.all(Array.from({ length: copies }, once));
				const results: DeliveryResult[] = [];
				for (let i = 0; i < copies; i++) results.push(await once());
				return results;
			},
			sentTo,
			async waitForSent(waId, count = 1, timeoutMs = 60_000) {
				try {
					return await waitUntil(`${count} message(s) sent to ${waId}`, () => (sentTo(waId).length >= count ? sentTo(waId) : undefined), timeoutMs);
				} catch (error) {
					// what the store and n8n say happened, as labels only (outcomes, reasons, states): a failure here must be diagnosable from CI's log
					const labels = (sql: string) => {
						try {
							return store(sql);
						} catch (failure) {
							return (failure as Error).message;
						}
					};
					const usage = labels("SELECT json_extract(value, '$.outcome') AS outcome, json_extract(value, '$.reason') AS reason, json_extract(value, '$.messages') AS messages FROM records WHERE scope = 'usage' ORDER BY created_at DESC LIMIT 12");
					const inbox = labels('SELECT state, attempts, count(*) AS n FROM inbox GROUP BY state, attempts');
					const executions = executionRows().slice(-12).map((r) => `${r.id}:${r.status}`);
					throw new Error(`${(error as Error).message}; usage rows (newest first): ${JSON.stringify(usage)}; inbox: ${JSON.stringify(inbox)}; executions: ${executions.join(' ')}`);
				}
			},
			holdModel() {
				let release!: () => void;
				gate = new Promise<void>((resolve) => (release = resolve));
				return () => {
					gate = undefined;
					release();
				};
			},
			executionRows,
			async waitForEnded(workflowId, count, afterId = 0, timeoutMs = 30_000) {
				return await waitUntil(
					`${count} ended execution(s) of ${workflowId} after #${afterId}`,
					() => {
						const rows = executionRows(workflowId).filter((r) => r.id > afterId);
						return rows.length >= count && rows.every((r) => r.ended) ? rows : undefined;
					},
					timeoutMs,
				);
			},
			lastExecutionId: () => Math.max(0, ...executionRows().map((r) => r.id)),
			async waitForDrained(workflowId, timeoutMs = 60_000) {
				await waitUntil(
					`an empty inbox and every execution of ${workflowId} ended`,
					() => Number(store('SELECT count(*) AS n FROM inbox')[0]?.n) === 0 && executionRows(workflowId).every((r) => r.ended),
					timeoutMs,
				);
			},
			n8nQuery: (sql, ...params) => withDb(n8nDb, (db) => db.all(sql, ...params)),
			store,
			replyOutcome(messageId) {
				// the key is the pseudonymised `<phone number id>:<message id>` (wamids encode the customer's number); with
				// content by reference the item names the message by its keyed reference (`m:…`), and so does the key
				const plain = `${ACCOUNT.phoneNumberId}:${messageId}`;
				const byRef = `${ACCOUNT.phoneNumberId}:${storeMessageRef(messageId)}`;
				const opaque = (value: string) => pseudonymise(deriveKeys(STORE_SECRET).pseudonymKey, value);
				const [row] = store('SELECT value FROM records WHERE scope = ? AND key IN (?, ?, ?)', 'reply', opaque(plain), opaque(byRef), plain);
				return row ? (JSON.parse(String(row.value)) as Json) : undefined;
			},
			async stop() {
				gate = undefined;
				await started.stop();
				await Promise.allSettled([graph.close(), ai.close()]);
			},
		};
	} catch (error) {
		await n8n?.stop().catch(() => undefined);
		await Promise.allSettled([graph.close(), ai.close()]);
		throw error;
	}
}

/**
 * The environment for a describe block: started (handed to `started`) before its first test, stopped after its
 * last.
 */
export function useTemplatesEnv(options: StartOptions, started: (env: TemplatesEnv) => void): void {
	let env: TemplatesEnv | undefined;
	beforeAll(async () => {
		env = await startTemplatesEnv(options);
		started(env);
	}, 600_000);
	afterAll(async () => {
		await env?.stop();
	});
}

/**
 * `n8n execute --id=<id> --rawOutput` against the running instance's database. The harness's cli() would reuse
 * the server's task-broker port (n8n refuses: "Task Broker's port … is already in use"), so this one runs with
 * the server's settings and a broker port of its own. Returns n8n's JSON run data.
 */
export async function executeWorkflowCli(n8n: N8n, workflowId: string, timeoutMs = 120_000): Promise<Json> {
	const env: NodeJS.ProcessEnv = { ...process.env };
	delete env.NODE_ENV;
	delete env.NODE_OPTIONS;
	delete env.JEST_WORKER_ID;
	Object.assign(env, {
		NODE_ENV: 'production',
		N8N_USER_FOLDER: n8n.userFolder,
		N8N_ENCRYPTION_KEY: n8n.encryptionKey,
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		N8N_LOG_OUTPUT: 'console',
		DB_TYPE: 'sqlite',
		DB_SQLITE_VACUUM_ON_STARTUP: 'false',
	});
	const { out, failure } = await new Promise<{ out: string; failure?: string }>((resolve) =>
		execFile(
			nodeBinary(n8n.n8nDir),
			[join(n8n.n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'), 'execute', `--id=${workflowId}`, '--rawOutput'],
			{ env, cwd: n8n.userFolder, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
			(error, stdout, stderr) =>
				resolve({ out: stdout, failure: error ? `${error.message} (exit ${String(error.code)}, signal ${String(error.signal)})\n${stderr}` : undefined }),
		),
	);
	const start = out.search(/^\{/m);
	if (start < 0) throw new Error(`n8n execute printed no JSON${failure ? ` and failed: ${failure}` : ''}:\n${out}`);
	const run = JSON.parse(out.slice(start)) as Json;
	// The run as n8n recorded it decides. n8n 2.41.1's CLI now and then exits non-zero while shutting down after a
	// finished, successful run (seen once in CI, stderr empty): say so, but judge the run by what it printed.
	if (failure) {
		if (run.finished !== true || run.status !== 'success') throw new Error(`n8n execute failed: ${failure}\n${out}`);
		process.stderr.write(`n8n execute exited abnormally after a successful run of ${workflowId}: ${failure.split('\n')[0]}\n`);
	}
	return run;
}

// ------------------------------------------------------------------------------------------ leak scans

export interface Finding {
	where: string;
	needle: string;
	/** The form found (the needle itself, hex or base64) and what surrounds it, printable characters only. */
	found: string;
}

function hits(haystack: string, needles: Map<string, string>, where: string, out: Finding[]) {
	for (const [form, label] of needles) {
		const at = haystack.indexOf(form);
		if (at < 0) continue;
		const around = haystack.slice(Math.max(0, at - 60), at + form.length + 60).replace(/[^\x20-\x7e]/g, '.');
		out.push({ where, needle: label, found: `${form === label ? 'as is' : `encoded as ${form}`}: …${around}…` });
	}
}

function formsOf(needles: Array<string | Buffer>, encodings: 'all' | 'plain' = 'all'): Map<string, string> {
	const forms = new Map<string, string>();
	for (const needle of needles) {
		const label = Buffer.isBuffer(needle) ? `<${needle.length} media bytes>` : needle;
		const all = encodings === 'all' ? encodedForms(needle) : [Buffer.isBuffer(needle) ? needle.toString('latin1') : needle];
		for (const form of all) forms.set(form, label);
	}
	return forms;
}

function cellText(value: unknown): string {
	if (value === null || value === undefined) return '';
	if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
	return String(value);
}

/** Every file under `dir`, recursively (symlinks not followed), optionally skipping folders by name. */
export function filesUnder(dir: string, skip: (path: string) => boolean = () => false): string[] {
	const out: string[] = [];
	if (!existsSync(dir)) return out;
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (skip(path)) continue;
		if (entry.isDirectory()) out.push(...filesUnder(path, skip));
		else if (entry.isFile()) out.push(path);
	}
	return out;
}

/**
 * Where n8n could have kept message content: every row of every table of its SQLite database (from
 * sqlite_master, soft-deleted executions included), the raw bytes of the database, its WAL and every other file in
 * the user folder (binary data under `.n8n/storage` in 2.41.1, `.n8n/binaryData` before, event logs, config…),
 * except the installed packages and the WhatsAuto store (scanned by scanStore), and n8n's log output.
 */
export function scanN8n(env: TemplatesEnv, needles: Array<string | Buffer>): { findings: Finding[]; tables: string[]; files: string[] } {
	const forms = formsOf(needles);
	const findings: Finding[] = [];
	const dbPath = join(env.n8n.userFolder, '.n8n', 'database.sqlite');
	const db = openDb(dbPath, { readOnly: true, fallbackNode: nodeBinary() });
	let tables: string[];
	try {
		tables = db.all("SELECT name FROM sqlite_master WHERE type = 'table'").map((r) => String(r.name));
		for (const table of tables) {
			for (const row of db.all(`SELECT * FROM "${table.replace(/"/g, '""')}"`)) {
				for (const [column, value] of Object.entries(row)) hits(cellText(value), forms, `n8n table ${table}.${column}`, findings);
			}
		}
	} finally {
		db.close();
	}
	const store = env.storePath;
	const files = filesUnder(env.n8n.userFolder, (path) => path === join(env.n8n.userFolder, '.n8n', 'nodes') || path.startsWith(store));
	for (const file of files) {
		if (statSync(file).size > 512 * 1024 * 1024) throw new Error(`${file} is too large to scan`);
		hits(readFileSync(file).toString('latin1'), forms, `file ${file.slice(env.n8n.userFolder.length)}`, findings);
	}
	hits(env.n8n.logs(), forms, "n8n's log output", findings);
	return { findings, tables, files };
}

/** The WhatsAuto store's files (database, WAL, shared memory), raw bytes; `plain` looks for the needles as they are only. */
export function scanStore(env: TemplatesEnv, needles: Array<string | Buffer>, encodings: 'all' | 'plain' = 'all'): { findings: Finding[]; files: string[] } {
	const forms = formsOf(needles, encodings);
	const findings: Finding[] = [];
	const files = [env.storePath, `${env.storePath}-wal`, `${env.storePath}-shm`, `${env.storePath}-journal`].filter((f) => existsSync(f));
	for (const file of files) hits(readFileSync(file).toString('latin1'), forms, `store file ${file.slice(env.n8n.userFolder.length)}`, findings);
	return { findings, files };
}

/** Every place in the store's files where the needle occurs in any of its encodedForms, with 80 bytes either side. */
export function storeOccurrences(env: TemplatesEnv, needle: string): Array<{ file: string; form: string; before: string; after: string }> {
	const out: Array<{ file: string; form: string; before: string; after: string }> = [];
	const files = [env.storePath, `${env.storePath}-wal`, `${env.storePath}-shm`, `${env.storePath}-journal`].filter((f) => existsSync(f));
	for (const file of files) {
		const text = readFileSync(file).toString('latin1');
		for (const form of encodedForms(needle)) {
			for (let at = text.indexOf(form); at >= 0; at = text.indexOf(form, at + 1)) {
				out.push({ file: file.slice(env.n8n.userFolder.length), form, before: text.slice(Math.max(0, at - 80), at), after: text.slice(at + form.length, at + form.length + 80) });
			}
		}
	}
	return out;
}

/** The template with its one Schedule Trigger (named `scheduleName`) swapped for a Manual Trigger: same name, same connections. */
export function runByHand(template: Template, scheduleName: string): Template {
	const copy = JSON.parse(JSON.stringify(template)) as Template;
	const schedule = copy.nodes.filter((n) => n.type === 'n8n-nodes-base.scheduleTrigger');
	expect(schedule.map((n) => n.name)).toEqual([scheduleName]);
	Object.assign(schedule[0], { type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} });
	return { ...copy, name: `${copy.name} (run by hand)` };
}

/** A scheduled template running in a real n8n: the fakes, n8n, and the template as read from workflows/. */
export interface ScheduledTemplateEnv {
	graph: FakeGraphApi;
	ai: FakeOpenAi;
	n8n: N8n;
	template: Template;
}

/**
 * Starts, for the suite, the fakes (the model is not expected to be called: `modelNote` says why in its answer) and an
 * n8n with the template as shipped (settings included: no execution data saved; credential references bound by id),
 * published as `ids.template`, and a copy run by hand (`runByHand`) as `ids.manual`, to run with executeWorkflowCli.
 */
export function useScheduledTemplate(file: string, options: { scheduleName: string; ids: { template: string; manual: string }; modelNote: string }): ScheduledTemplateEnv {
	const env = {} as ScheduledTemplateEnv;
	beforeAll(async () => {
		env.template = JSON.parse(readFileSync(join(repoRoot, 'workflows', file), 'utf8')) as Template;
		env.graph = await startFakeGraphApi({ ...ACCOUNT });
		env.ai = await startFakeOpenAi({ apiKey: OPENAI_KEY, responder: () => options.modelNote });
		const credentials = templateCredentials(env.graph, env.ai);
		env.n8n = await startN8n({
			credentials,
			workflows: [
				{ ...bindCredentials(env.template, credentials), id: options.ids.template },
				{ ...bindCredentials(runByHand(env.template, options.scheduleName), credentials), id: options.ids.manual },
			],
			activate: [options.ids.template],
		});
	}, 600_000);
	afterAll(async () => {
		await env.n8n?.stop();
		await Promise.allSettled([env.graph?.close(), env.ai?.close()]);
	});
	return env;
}

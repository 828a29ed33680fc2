/**
 * The WhatsAuto GPT-4 Auto-Reply node inside n8n-core's real engine, against both fakes:
 *
 *   const rig = await startReplyRig();                  // fake Graph API + fake OpenAI + SQLite store, in-process
 *   await rig.useBackend('postgres');                   // the store credential on a real PostgreSQL from now on
 *   const items = rig.inbound([msg.text(WA, 'Olá')]);   // trigger-shaped items (the parser's output), window opened
 *   const result = await rig.runReply(items, { options: { quoteMessage: true } });
 *   expect(rig.graph.sent[0].body.text).toMatchObject({ body: '…' });
 *   await rig.close();
 *
 * `runReply` runs a workflow `Messages (pass-through, the start node) → WhatsAuto Auto-Reply` through
 * `WorkflowExecute`; `runChain` runs `WhatsAuto Trigger → WhatsAuto Auto-Reply` from a signed webhook call. The
 * node talks real HTTP: Graph calls through n8n-core's `helpers.httpRequest` (axios), OpenAI through the `openai`
 * SDK. n8n's logger is captured (every call, whatever the level) together with console output, so a suite can
 * assert that no message content ever reached a log line.
 *
 * n8n and the store use the test file's throw-away N8N_USER_FOLDER (jest.config.js: test/engine/setup-env.ts); close() removes it.
 * The store credential runs on SQLite in the rig's folder (`store-1`) or, after `useBackend('postgres')` (or
 * `startReplyRig({ backend: 'postgres' })`), on a real PostgreSQL (privacy-postgres.ts: scripts/postgres.sh, or the
 * server WHATSAUTO_TEST_PG_* names) in a schema of the rig's own (`store-pg`); close() drops the schema and stops the
 * server if the rig started it. One rig serves both backends of a file: the nodes cache credentials by id for 30 s
 * (credentialCache.ts), so a second rig's fakes behind the same ids would not be reached at first.
 * `rig.database()` reaches the store's tables directly on either backend (moving time, reading raw bytes).
 */
import { removeUserFolder } from './user-folder';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { DatabaseSync } from 'node:sqlite';

import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import type { ICredentialDataDecryptedObject, IConnections, IDataObject, INode, INodeExecutionData, INodeParameters, IRun, Workflow } from 'n8n-workflow';

import { closeAllStores, openStore, type StoreBackend, type WhatsAutoStore } from '../../nodes/shared/store';
import { toContentKeys, toStoreConfig } from '../../nodes/shared/store/access';
import { quoteIdent } from '../../nodes/shared/store/postgres';
import type { ContentKeys } from '../../nodes/shared/store/contentByReference';
import { isInboundMessage, isStatusUpdate, parseDelivery } from '../../nodes/shared/whatsapp';
import { startFakeGraphApi, type FakeGraphApi, type FakeGraphApiOptions } from '../../devkit/fakes/graph-api';
import { webhookBytes } from '../../devkit/fakes/meta-json';
import { startFakeOpenAi, type FakeOpenAi, type FakeOpenAiOptions } from '../../devkit/fakes/openai';
import { envelope, messagesChange, statusesChange, type Account, type WebhookMessage, type WebhookStatus } from '../../devkit/fakes/webhook-payloads';
import { TestCredentialsHelper } from './harness';
import { PG_START_TIMEOUT_MS, startPostgres, type PostgresServer } from './privacy-postgres';
import { actionNode, deliverToTrigger, engineWorkflow, passThroughNode, postToTrigger, REPLY_TYPE, runFrom, to, TRIGGER_NODE, triggerNode, whatsAutoNodeTypes } from './workflow-rig';

export { PASS_TYPE, REPLY_TYPE, TRIGGER_NODE, TRIGGER_TYPE } from './workflow-rig';
export const REPLY_NODE = 'WhatsAuto Auto-Reply';
export const SOURCE_NODE = 'Messages';

export const ACCOUNT: Account = { phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', businessAccountId: '102290129340398' };
/** The customer most tests talk to. */
export const WA = '16505551234';
export const META_TOKEN = 'EAAGm0PX4ZCpsBAMetaSecretTokenZZZ9xq7';
export const APP_SECRET = 'a3f1c0ffee5ecret0123456789abcdef';
const VERIFY_TOKEN = 'verify-me-123';
export const OPENAI_KEY = 'sk-test-whatsauto-0123456789abcdefABCDEF';
export const STORE_SECRET = 's'.repeat(20) + 'x'.repeat(20) + '-store-secret';

export interface LogLine {
	source: 'n8n' | 'console';
	level: string;
	message: string;
	metadata: string;
}

export interface RunOptions {
	/** Top-level node parameters (model, businessName, instructions, knowledge, sendReply). */
	parameters?: INodeParameters;
	/** The node's `options` collection. */
	options?: IDataObject;
	continueOnFail?: boolean;
	/** Credential ids to use instead of the defaults (e.g. `{ whatsAutoOpenAiApi: 'openai-bad' }`); null = detach. */
	credentials?: Partial<Record<'whatsAutoMetaApi' | 'whatsAutoOpenAiApi' | 'whatsAutoStoreApi', string | null>>;
	timeoutMs?: number;
}

export interface ReplyRun {
	run: IRun;
	/** The Auto-Reply node's output items (first run, first output: Replies), [] when it failed. */
	items: INodeExecutionData[];
	out: IDataObject[];
	/** Every output of the Auto-Reply node (first run): [Replies, Handoff, Rule]; [] when it failed. */
	outputs: INodeExecutionData[][];
	/** The items on the Handoff output (the second): customers who asked for a person. */
	handoff: INodeExecutionData[];
	/** The execution's error, when the node failed. */
	error?: { message: string; description?: string | null; name?: string; httpCode?: string | null };
	order: string[];
}

export interface ChainOptions extends RunOptions {
	triggerParameters?: INodeParameters;
	/** Also connect the trigger's Statuses output to the Auto-Reply node. */
	connectStatuses?: boolean;
	/** Also connect the trigger's Events output (echoes from the WhatsApp Business app, standby…) to the Auto-Reply node. */
	connectEvents?: boolean;
}

/** What a rig's store runs on: SQLite in the rig's folder, or a real PostgreSQL. */
export type ReplyStoreBackend = StoreBackend;

/** How long starting a rig (or its PostgreSQL) may take: a first PostgreSQL run installs the server with apt-get. */
export const RIG_START_TIMEOUT_MS = PG_START_TIMEOUT_MS + 30_000;

/** The store credential's id on each backend. */
const STORE_IDS: Readonly<Record<ReplyStoreBackend, string>> = { sqlite: 'store-1', postgres: 'store-pg' };

/**
 * The store's own tables, reached past the store: statements with `?` placeholders and tables written `{name}`
 * (`{content}`, `{records}`…), on the same database file or schema the nodes use.
 */
export interface StoreDatabase {
	readonly backend: ReplyStoreBackend;
	/** The rows a statement returns (binary columns as bytes). */
	rows<T = Record<string, unknown>>(sql: string, ...params: Array<string | number>): Promise<T[]>;
	/** Runs a statement; resolves how many rows it changed. */
	run(sql: string, ...params: Array<string | number>): Promise<number>;
}

export class ReplyRig {
	readonly logs: LogLine[] = [];
	/** Every error message an execution ended with, for the "no content in errors" assertion. */
	readonly errors: string[] = [];
	readonly storeFolder = mkdtempSync(join(tmpdir(), 'whatsauto-reply-store-'));
	readonly credentialData = new Map<string, ICredentialDataDecryptedObject>();
	readonly credentials = new TestCredentialsHelper(this.credentialData);
	readonly nodeTypes = whatsAutoNodeTypes();
	private readonly restore: Array<() => void> = [];
	private readonly extraGraphs: FakeGraphApi[] = [];
	private sink: http.Server | undefined;
	private sinkUrl = '';
	private sqlite: DatabaseSync | undefined;
	/** The PostgreSQL server and the rig's schema on it, once a test asked for that backend. */
	private postgres: { server: PostgresServer; schema: string } | undefined;
	private current: ReplyStoreBackend = 'sqlite';

	constructor(
		readonly graph: FakeGraphApi,
		readonly ai: FakeOpenAi,
	) {
		this.credentialData.set('meta-1', graph.credentialData(VERIFY_TOKEN));
		this.credentialData.set('openai-1', { apiKey: OPENAI_KEY, baseUrl: ai.baseUrl });
		this.credentialData.set(STORE_IDS.sqlite, { backend: 'sqlite', sqlitePath: join(this.storeFolder, 'reply.sqlite'), secretKey: STORE_SECRET });
		this.captureLogs();
	}

	/** What the store credential runs on now. */
	get backend(): ReplyStoreBackend {
		return this.current;
	}

	/** The id of the store credential the nodes use (`store-1` on SQLite, `store-pg` on PostgreSQL). */
	get storeId(): string {
		return STORE_IDS[this.current];
	}

	/** The store credential the nodes use. */
	get storeCredential(): ICredentialDataDecryptedObject {
		return this.credentialData.get(this.storeId)!;
	}

	/**
	 * Runs the store credential on `backend` from now on (the nodes' credential id changes with it). PostgreSQL is
	 * started on first use (up to {@link RIG_START_TIMEOUT_MS}), with a schema of the rig's own.
	 */
	async useBackend(backend: ReplyStoreBackend): Promise<void> {
		if (backend === 'postgres' && !this.postgres) {
			const server = await startPostgres();
			this.postgres = { server, schema: server.schema('reply') };
			this.credentialData.set(STORE_IDS.postgres, { backend: 'postgres', ...server.base, ssl: false, schema: this.postgres.schema, secretKey: STORE_SECRET });
		}
		this.current = backend;
	}

	/** Another fake Graph API (e.g. with window131047 'sync'), registered under credential id `id`. */
	async addGraph(id: string, options: Partial<FakeGraphApiOptions> = {}): Promise<FakeGraphApi> {
		const graph = await startFakeGraphApi({ ...graphOptions(), ...options });
		this.extraGraphs.push(graph);
		this.credentialData.set(id, graph.credentialData(VERIFY_TOKEN));
		return graph;
	}

	/**
	 * A webhook target for the fake Graph API's status webhooks (e.g. the asynchronous 131047 `failed`): answers
	 * 200 to everything; what was posted is in `graph.webhooks`.
	 */
	async webhookSink(): Promise<string> {
		if (this.sink) return this.sinkUrl;
		this.sink = http.createServer((req, res) => {
			req.resume();
			req.on('end', () => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok'));
		});
		await new Promise<void>((resolve) => this.sink!.listen(0, '127.0.0.1', () => resolve()));
		this.sinkUrl = `http://127.0.0.1:${(this.sink.address() as AddressInfo).port}/webhook`;
		return this.sinkUrl;
	}

	/** The keys the default store credential derives (pseudonyms, content, audit). */
	storeKeys(): ContentKeys {
		return toContentKeys(this.storeCredential)!;
	}

	/** The store the node uses (the same cached instance: same SQLite file, same PostgreSQL pool and schema). */
	async store(): Promise<WhatsAutoStore> {
		return await openStore(toStoreConfig(this.storeCredential));
	}

	/** The store's tables directly (see {@link StoreDatabase}); open the store first so its tables exist. */
	database(): StoreDatabase {
		if (this.current === 'postgres' && this.postgres) {
			const { server, schema } = this.postgres;
			const text = (sql: string) => {
				let n = 0;
				return sql.replace(/\{(\w+)\}/g, (_, table: string) => `${quoteIdent(schema)}.${quoteIdent(table)}`).replace(/\?/g, () => `$${++n}`);
			};
			return {
				backend: 'postgres',
				rows: async <T>(sql: string, ...params: Array<string | number>) => (await server.admin.query(text(sql), params)).rows as T[],
				run: async (sql, ...params) => (await server.admin.query(text(sql), params)).rowCount ?? 0,
			};
		}
		const db = (this.sqlite ??= new DatabaseSync(this.storeCredential.sqlitePath as string));
		const text = (sql: string) => sql.replace(/\{(\w+)\}/g, (_, table: string) => `"${table.replaceAll('"', '""')}"`);
		return {
			backend: 'sqlite',
			rows: async <T>(sql: string, ...params: Array<string | number>) => db.prepare(text(sql)).all(...params) as T[],
			run: async (sql, ...params) => Number(db.prepare(text(sql)).run(...params).changes),
		};
	}

	// ---------------------------------------------------------------- items

	/** The envelope Meta would POST for these messages. */
	envelopeFor(messages: WebhookMessage[], names: Record<string, string> | string = 'Sheena'): ReturnType<typeof envelope> {
		return envelope(ACCOUNT, [messagesChange(ACCOUNT, messages, { names })]);
	}

	/**
	 * Trigger-shaped items for these messages: the parser's output as the trigger puts it on its Messages output
	 * (JSON round trip, as n8n stores it). The fake Graph API learns the ids (mark-as-read) and opens the window.
	 */
	inbound(messages: WebhookMessage[], options: { openWindow?: boolean; graph?: FakeGraphApi } = {}): INodeExecutionData[] {
		const payload = this.envelopeFor(messages);
		if (options.openWindow !== false) (options.graph ?? this.graph).noteInbound(payload);
		return parseDelivery(JSON.parse(webhookBytes(payload).toString('utf8')))
			.filter(isInboundMessage)
			.map((update) => ({ json: JSON.parse(JSON.stringify(update)) as IDataObject }));
	}

	/** Status items as the trigger's Statuses output carries them, parsed from a status webhook payload. */
	statusItems(payload: unknown): INodeExecutionData[] {
		return parseDelivery(JSON.parse(JSON.stringify(payload)))
			.filter(isStatusUpdate)
			.map((update) => ({ json: JSON.parse(JSON.stringify(update)) as IDataObject }));
	}

	statusEnvelope(statuses: WebhookStatus[]) {
		return envelope(ACCOUNT, [statusesChange(ACCOUNT, statuses)]);
	}

	// ---------------------------------------------------------------- workflows

	replyNode(run: RunOptions = {}): INode {
		return actionNode({
			name: REPLY_NODE,
			type: REPLY_TYPE,
			position: [400, 0],
			parameters: { businessName: 'Lucky Shrub', ...run.parameters, options: { ...run.options } as INodeParameters },
			credentials: { whatsAutoMetaApi: 'meta-1', whatsAutoOpenAiApi: 'openai-1', whatsAutoStoreApi: this.storeId, ...run.credentials },
			continueOnFail: run.continueOnFail,
		});
	}

	/** `Messages` (pass-through start node fed with `items`) → Auto-Reply, run by WorkflowExecute. */
	async runReply(items: INodeExecutionData[], run: RunOptions = {}): Promise<ReplyRun> {
		const workflow = this.workflow([passThroughNode(SOURCE_NODE), this.replyNode(run)], { [SOURCE_NODE]: { main: [to(REPLY_NODE)] } });
		const result = await runFrom(workflow, SOURCE_NODE, items, this.credentials, run.timeoutMs);
		return this.collect(result.run, result.order);
	}

	/**
	 * WhatsAuto Trigger → Auto-Reply, built but not run: for the conversation gate, whose executions the trigger's
	 * `trigger()` starts (gate-harness.ts startTrigger); `post` makes one signed webhook call into the trigger.
	 */
	chainWorkflow(run: ChainOptions = {}): { workflow: Workflow; start: INode; post: (payload: unknown) => Promise<number> } {
		const workflow = this.workflow([triggerNode(run.triggerParameters ?? {}, this.storeId), this.replyNode(run)], {
			[TRIGGER_NODE]: { main: [to(REPLY_NODE), [], []] },
		});
		const start = workflow.getNode(TRIGGER_NODE)!;
		const post = async (payload: unknown) => (await postToTrigger(workflow, this.credentials, payload, APP_SECRET)).response.statusCode;
		return { workflow, start, post };
	}

	/** WhatsAuto Trigger → Auto-Reply: a signed webhook call into the trigger, then the execution it starts. */
	async runChain(payload: unknown, run: ChainOptions = {}): Promise<ReplyRun & { status: number }> {
		const toReply = to(REPLY_NODE);
		const workflow = this.workflow([triggerNode(run.triggerParameters ?? {}, this.storeId), this.replyNode(run)], {
			[TRIGGER_NODE]: { main: [toReply, run.connectStatuses ? toReply : [], run.connectEvents ? toReply : []] },
		});
		const { status, result } = await deliverToTrigger(workflow, this.credentials, payload, APP_SECRET, run.timeoutMs);
		if (!result) return { status, run: undefined as unknown as IRun, items: [], out: [], outputs: [], handoff: [], order: [] };
		return { status, ...this.collect(result.run, result.order) };
	}

	private workflow(nodes: INode[], connections: IConnections): Workflow {
		return engineWorkflow('WhatsAuto reply engine test', this.nodeTypes, nodes, connections);
	}

	private collect(run: IRun, order: string[]): ReplyRun {
		const nodeRun = run.data.resultData.runData[REPLY_NODE]?.[0];
		const outputs = (nodeRun?.data?.main ?? []).map((output) => output ?? []);
		const items = outputs[0] ?? [];
		const failure = run.data.resultData.error as (Error & { description?: string | null; httpCode?: string | null }) | undefined;
		const error = failure && { message: failure.message, description: failure.description, name: failure.name, httpCode: failure.httpCode };
		if (error) this.errors.push(error.message, String(error.description ?? ''));
		for (const item of outputs.flat()) if (typeof item.json.error === 'string') this.errors.push(item.json.error);
		return { run, items, out: items.map((item) => item.json), outputs, handoff: outputs[1] ?? [], error, order };
	}

	// ---------------------------------------------------------------- logs

	private captureLogs(): void {
		// error/warn/info/debug all go through the (private) log(), before any level filtering
		const logger = Container.get(Logger) as unknown as { log: (level: string, message: string, metadata: unknown) => void };
		const original = logger.log.bind(logger);
		const spy = jest.spyOn(logger, 'log').mockImplementation((level: string, message: string, metadata: unknown) => {
			this.logs.push({ source: 'n8n', level: String(level), message: String(message), metadata: safeJson(metadata) });
			original(level, message, metadata);
		});
		this.restore.push(() => spy.mockRestore());
		for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
			const consoleSpy = jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
				this.logs.push({ source: 'console', level, message: args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' '), metadata: '' });
			});
			this.restore.push(() => consoleSpy.mockRestore());
		}
	}

	/** Every log line and error message with one of `needles` in it (empty when nothing leaked). */
	leaks(needles: Iterable<string>): string[] {
		const haystack = [...this.logs.map((l) => `${l.level} ${l.message} ${l.metadata}`), ...this.errors];
		const found: string[] = [];
		for (const needle of needles) {
			if (!needle) continue;
			for (const line of haystack) if (line.includes(needle)) found.push(`${JSON.stringify(needle)} in: ${line.slice(0, 300)}`);
		}
		return found;
	}

	/** Forget what the fakes recorded (media, transcripts and responders stay) and re-open nothing. */
	resetFakes(): void {
		this.graph.reset();
		this.ai.reset();
	}

	async close(): Promise<void> {
		for (const undo of this.restore.splice(0)) undo();
		await Promise.allSettled([this.graph.close(), this.ai.close(), ...this.extraGraphs.map(async (g) => await g.close())]);
		if (this.sink) {
			const sink = this.sink;
			sink.closeAllConnections();
			await new Promise<void>((resolve) => sink.close(() => resolve()));
		}
		await closeAllStores();
		this.sqlite?.close();
		this.sqlite = undefined;
		// the schema dropped, the admin connection ended, the server stopped if the rig started it
		await this.postgres?.server.stop();
		this.postgres = undefined;
		rmSync(this.storeFolder, { recursive: true, force: true });
		removeUserFolder();
	}
}

function safeJson(value: unknown): string {
	try {
		return JSON.stringify(value) ?? '';
	} catch {
		return String(value);
	}
}

function graphOptions(): FakeGraphApiOptions {
	return {
		accessToken: META_TOKEN,
		appSecret: APP_SECRET,
		...ACCOUNT,
		// many tests answer the same customer within seconds; pair limits are tested in the transport's own suite
		pairRateLimit: false,
		globalRateLimit: false,
	};
}

export interface ReplyRigOptions {
	graph?: Partial<FakeGraphApiOptions>;
	ai?: Partial<FakeOpenAiOptions>;
	/** The store credential's backend (default SQLite); PostgreSQL needs {@link RIG_START_TIMEOUT_MS} to start. */
	backend?: ReplyStoreBackend;
}

export async function startReplyRig(options: ReplyRigOptions = {}): Promise<ReplyRig> {
	const graph = await startFakeGraphApi({ ...graphOptions(), ...options.graph });
	const ai = await startFakeOpenAi({ apiKey: OPENAI_KEY, ...options.ai });
	const rig = new ReplyRig(graph, ai);
	if (options.backend && options.backend !== 'sqlite') {
		try {
			await rig.useBackend(options.backend);
		} catch (error) {
			await rig.close();
			throw error;
		}
	}
	return rig;
}

export interface ReplySuite {
	/** Notes what a customer wrote and returns it: none of it may reach a log line or an error message. */
	said<T extends string>(text: T): T;
	/** Everything `said` noted, for the suite's closing leak check. */
	readonly content: string[];
}

/**
 * The frame every reply suite shares: one rig for the file (handed to `started` before the first test), before
 * each test the fakes reset (then `beforeEachTest`) and the model answering `modelAnswer`, after each test every
 * chat request checked safe and nothing of Meta's found at OpenAI.
 */
export function replySuite(
	modelAnswer: string,
	hooks: { started: (rig: ReplyRig) => void; beforeEachTest?: (rig: ReplyRig) => void },
): ReplySuite {
	let rig: ReplyRig;
	beforeAll(async () => {
		rig = await startReplyRig({ ai: { responder: () => modelAnswer } });
		hooks.started(rig);
	});
	afterAll(async () => {
		await rig.close();
	});
	beforeEach(() => {
		rig.resetFakes();
		hooks.beforeEachTest?.(rig);
		rig.ai.setResponder(() => modelAnswer);
	});
	afterEach(() => {
		expectSafeChatRequests(rig.ai);
		expectNothingFromMetaAtOpenAi(rig);
	});
	const content: string[] = [];
	return {
		content,
		said: <T extends string>(text: T): T => {
			content.push(text);
			return text;
		},
	};
}

// ---------------------------------------------------------------- small genuine media files

/** A real 1×1 lossless WebP (what WhatsApp stickers are). */
export const SAMPLE_WEBP = Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');

/** The start of an MP4 file: an `ftyp` box (isom) and an empty `mdat`, padded with deterministic filler. */
export function sampleMp4(bytes = 6000): Buffer {
	const ftyp = Buffer.concat([
		Buffer.from([0, 0, 0, 0x20]),
		Buffer.from('ftypisom', 'latin1'),
		Buffer.from([0, 0, 2, 0]),
		Buffer.from('isomiso2avc1mp41', 'latin1'),
	]);
	const out = Buffer.alloc(Math.max(bytes, ftyp.length + 8));
	ftyp.copy(out);
	out.writeUInt32BE(out.length - ftyp.length, ftyp.length);
	out.write('mdat', ftyp.length + 4, 'latin1');
	for (let i = ftyp.length + 8; i < out.length; i++) out[i] = (i * 7) & 0xff;
	return out;
}

/** A minimal DOCX-looking file (a ZIP local-file header); the node must not try to read it. */
export const SAMPLE_DOCX = Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x06\x00', 'latin1'), Buffer.from('[Content_Types].xml', 'latin1'), Buffer.alloc(64, 1)]);

/** The bodies of the text messages the fake Graph API accepted, in order. */
export const sentTexts = (graph: FakeGraphApi): string[] =>
	graph.sent.filter((s) => s.type === 'text').map((s) => String((s.body.text as { body?: unknown } | undefined)?.body ?? ''));

/**
 * What every chat request must look like, whatever the message: stored nowhere (`store: false`), no tools or
 * functions, a system message first and one user turn with the content, no remote URL for OpenAI to fetch.
 */
export function expectSafeChatRequests(ai: FakeOpenAi): void {
	for (const request of ai.chatRequests) {
		expect(request.body.store).toBe(false);
		for (const key of ['tools', 'tool_choice', 'functions', 'function_call', 'parallel_tool_calls', 'response_format']) {
			expect(request.body).not.toHaveProperty(key);
		}
		expect(request.messages.map((m) => m.role)).toEqual(['system', 'user']);
		expect(typeof request.messages[0].content).toBe('string');
		expect(request.remoteUrls).toEqual([]);
	}
}

/** Nothing from Meta's side (token, media URLs, the fake Graph API's address) ever reached OpenAI. */
export function expectNothingFromMetaAtOpenAi(rig: ReplyRig): void {
	const received = rig.ai.allReceivedText({ headers: true });
	expect(received).not.toContain(META_TOKEN);
	expect(received).not.toContain(APP_SECRET);
	expect(received).not.toContain(rig.graph.baseUrl);
	expect(received).not.toContain('whatsapp_business/attachments');
	expect(received).not.toContain('lookaside');
	expect(received).not.toContain('fbsbx');
}

/** The user turn's text parts of a chat request, joined. */
export const userText = (request: FakeOpenAi['chatRequests'][number]): string => request.messages[1]?.text ?? '';

/**
 * The `<customer_content>` blocks of a text, checked to be well formed: tags (matched loosely, as a model would
 * read them: any case, any spacing) strictly alternate open/close and are exactly the node's own. Returns the
 * blocks' bodies and the text outside them.
 */
export function customerBlocks(text: string): { inside: string[]; outside: string } {
	const tags = [...text.matchAll(/<\s*(\/?)\s*customer_content\b[^>]*>/gi)];
	const inside: string[] = [];
	let outside = '';
	let cursor = 0;
	tags.forEach((tag, index) => {
		const closing = tag[1] === '/';
		expect({ tag: tag[0], closing }).toEqual({ tag: closing ? '</customer_content>' : '<customer_content>', closing: index % 2 === 1 });
		const chunk = text.slice(cursor, tag.index);
		if (closing) inside.push(chunk);
		else outside += chunk;
		cursor = tag.index! + tag[0].length;
	});
	expect(tags.length % 2).toBe(0);
	outside += text.slice(cursor);
	return { inside, outside };
}

/**
 * For a describe block of one backend: moves the rig's store credential there before its tests (checking the store
 * and its database are on it) and hands both to `ready`.
 */
export function onBackend(rig: () => ReplyRig, backend: ReplyStoreBackend, ready: (store: WhatsAutoStore, db: StoreDatabase) => void): void {
	beforeAll(async () => {
		await rig().useBackend(backend);
		const store = await rig().store();
		const db = rig().database();
		expect(rig().backend).toBe(backend);
		expect(store.backend).toBe(backend);
		expect(db.backend).toBe(backend);
		ready(store, db);
	}, RIG_START_TIMEOUT_MS);
}

/** Words no other test uses, without digits (nothing for the personal-data masking to touch): `word` + backend + a counter. */
export function markers(backend: ReplyStoreBackend): (word: string) => string {
	let marks = 0;
	const letter = (n: number) => 'abcdefghijklmnopqrstuvwxyz'[n % 26];
	return (word) => `${word}${backend}${letter(marks)}${letter(Math.floor(marks++ / 26))}`;
}

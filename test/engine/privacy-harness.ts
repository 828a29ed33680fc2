/**
 * The WhatsAuto Privacy Request node inside n8n-core's real engine, on top of the reply harness (fake Graph
 * API, fake OpenAI, log capture):
 *
 *   const rig = await startPrivacyRig();
 *   const store = rig.sqliteStore('store-a');                     // a fresh store credential of its own
 *   const run = await rig.runPrivacy(items, { operation: 'execute', requestType: 'access' }, { store });
 *   const flow = await rig.runFlow(payload, { store });           // Trigger → Detect → [privacy] Execute,
 *                                                                 //                    [not privacy] Auto-Reply
 *   await rig.close();
 */
import { REPLY_NODE, startReplyRig, APP_SECRET, STORE_SECRET, type ReplyRig, type RunOptions } from './reply-harness';

import { join } from 'node:path';

import type { ICredentialDataDecryptedObject, IConnections, IDataObject, INode, INodeExecutionData, INodeParameters, IRun, Workflow } from 'n8n-workflow';

import type { ContentKeys } from '../../nodes/shared/store/contentByReference';
import { PrivacyDesk } from '../../nodes/shared/privacy/desk';
import { canTransition, type RequestState } from '../../nodes/shared/privacy/lifecycle';
import { openStore, type AuditEntry, type WhatsAutoStore } from '../../nodes/shared/store';
import { toContentKeys, toStoreConfig } from '../../nodes/shared/store/access';
import {
	actionNode,
	deliverToTrigger,
	engineWorkflow,
	passThroughNode,
	PRIVACY_TYPE,
	runFrom,
	to,
	TRIGGER_NODE,
	triggerNode,
	whatsAutoNodeTypes,
} from './workflow-rig';
import { PG_START_TIMEOUT_MS, startPostgres, type PostgresServer } from './privacy-postgres';

export { PRIVACY_TYPE } from './workflow-rig';
export const INPUT_NODE = 'Input';
export const DETECT_NODE = 'Privacy Detect';
export const EXECUTE_NODE = 'Privacy Execute';
export const PRIVACY_NODE = 'Privacy';

export interface StoreHandle {
	/** Credential id the nodes use. */
	id: string;
	credential: ICredentialDataDecryptedObject;
}

export interface PrivacyRunOptions {
	store: StoreHandle;
	continueOnFail?: boolean;
	timeoutMs?: number;
	/** Credential ids instead of the defaults; null detaches. */
	credentials?: Partial<Record<'whatsAutoMetaApi' | 'whatsAutoStoreApi', string | null>>;
}

export interface EngineRun {
	run: IRun;
	order: string[];
	error?: { message: string; description?: string | null };
	/** A node's items on one of its outputs (first run unless `runIndex`). */
	output(node: string, index?: number, runIndex?: number): INodeExecutionData[];
	/** How many times a node ran. */
	runs(node: string): number;
}

export interface PrivacyRun extends EngineRun {
	/** The privacy node's outputs (first run). */
	outputs: INodeExecutionData[][];
	/** JSON of the first output. */
	out: IDataObject[];
}

export interface FlowOptions {
	store: StoreHandle;
	/** Execute's parameters (operation and requestType are set). */
	execute?: INodeParameters;
	/** Auto-Reply's run options (its store credential is `store`). */
	reply?: RunOptions;
	/** Trigger parameters (events get user_preferences added). */
	trigger?: INodeParameters;
	timeoutMs?: number;
}

export class PrivacyRig {
	readonly nodeTypes = whatsAutoNodeTypes();

	constructor(readonly base: ReplyRig) {}

	get graph() {
		return this.base.graph;
	}

	get ai() {
		return this.base.ai;
	}

	/** A fresh SQLite store credential (its own file), with the shared test secret. */
	sqliteStore(id: string): StoreHandle {
		const credential: ICredentialDataDecryptedObject = {
			backend: 'sqlite',
			sqlitePath: join(this.base.storeFolder, `${id}.sqlite`),
			secretKey: STORE_SECRET,
		};
		this.base.credentialData.set(id, credential);
		return { id, credential };
	}

	/** A store credential of any backend (e.g. PostgreSQL). */
	addStore(id: string, credential: ICredentialDataDecryptedObject): StoreHandle {
		this.base.credentialData.set(id, credential);
		return { id, credential };
	}

	/** The store behind a credential: the same cached instance the nodes use. */
	async storeOf(handle: StoreHandle): Promise<WhatsAutoStore> {
		return await openStore(toStoreConfig(handle.credential));
	}

	keysOf(handle: StoreHandle): ContentKeys {
		return toContentKeys(handle.credential)!;
	}

	/** A desk over the nodes' store, optionally with its own clock. */
	async deskOf(handle: StoreHandle, clock?: () => Date): Promise<PrivacyDesk> {
		return new PrivacyDesk(await this.storeOf(handle), this.keysOf(handle), clock);
	}

	privacyNode(name: string, parameters: INodeParameters, options: PrivacyRunOptions, position: [number, number] = [300, 0]): INode {
		return actionNode({
			name,
			type: PRIVACY_TYPE,
			position,
			parameters,
			credentials: { whatsAutoMetaApi: 'meta-1', whatsAutoStoreApi: options.store.id, ...options.credentials },
			continueOnFail: options.continueOnFail,
		});
	}

	/** `Input` (pass-through start node fed with `items`) → Privacy node with `parameters`. */
	async runPrivacy(items: INodeExecutionData[], parameters: INodeParameters, options: PrivacyRunOptions): Promise<PrivacyRun> {
		const workflow = this.workflow([passThroughNode(INPUT_NODE), this.privacyNode(PRIVACY_NODE, parameters, options)], { [INPUT_NODE]: { main: [to(PRIVACY_NODE)] } });
		const result = await runFrom(workflow, INPUT_NODE, items, this.base.credentials, options.timeoutMs);
		const run = this.collect(result.run, result.order);
		const outputs = result.run.data.resultData.runData[PRIVACY_NODE]?.[0]?.data?.main?.map((items) => items ?? []) ?? [];
		return { ...run, outputs, out: (outputs[0] ?? []).map((item) => item.json) };
	}

	/** `Input` → any chain of nodes (connected in order, each on output 0), for ad-hoc wiring. */
	async runNodes(items: INodeExecutionData[], nodes: INode[], connections: IConnections, timeoutMs?: number): Promise<EngineRun> {
		const workflow = this.workflow([passThroughNode(INPUT_NODE), ...nodes], connections);
		const result = await runFrom(workflow, INPUT_NODE, items, this.base.credentials, timeoutMs);
		return this.collect(result.run, result.order);
	}

	private detectAndRoute(options: FlowOptions): { nodes: INode[]; connections: IConnections } {
		const detect = this.privacyNode(DETECT_NODE, { operation: 'detect' }, { store: options.store }, [300, 0]);
		const execute = this.privacyNode(EXECUTE_NODE, { operation: 'execute', requestType: 'detected', ...options.execute }, { store: options.store }, [600, -100]);
		const reply = this.base.replyNode({ ...options.reply, credentials: { whatsAutoStoreApi: options.store.id, ...options.reply?.credentials } });
		reply.position = [600, 100];
		return {
			nodes: [detect, execute, reply],
			connections: {
				[DETECT_NODE]: {
					main: [to(EXECUTE_NODE), to(REPLY_NODE)],
				},
			},
		};
	}

	/** `Input` (items as the trigger emits them) → Detect → [privacy] Execute, [not privacy] Auto-Reply. */
	async runItemsFlow(items: INodeExecutionData[], options: FlowOptions): Promise<EngineRun> {
		const { nodes, connections } = this.detectAndRoute(options);
		return await this.runNodes(
			items,
			nodes,
			{ ...connections, [INPUT_NODE]: { main: [to(DETECT_NODE)] } },
			options.timeoutMs,
		);
	}

	/**
	 * WhatsAuto Trigger (signed webhook call; Messages and Other Events outputs) → Detect → [privacy] Execute,
	 * [not privacy] Auto-Reply. `status` is the trigger's HTTP answer; no run when the trigger started none.
	 */
	async runFlow(payload: unknown, options: FlowOptions): Promise<EngineRun & { status: number; started: boolean }> {
		const trigger = triggerNode({ events: ['user_preferences'], ...options.trigger }, options.store.id);
		const { nodes, connections } = this.detectAndRoute(options);
		const toDetect = to(DETECT_NODE);
		const workflow = this.workflow([trigger, ...nodes], { ...connections, [TRIGGER_NODE]: { main: [toDetect, [], toDetect] } });
		const { status, result } = await deliverToTrigger(workflow, this.base.credentials, payload, APP_SECRET, options.timeoutMs);
		if (!result) {
			const none = { run: undefined as unknown as IRun, order: [], output: () => [], runs: () => 0 };
			return { ...none, status, started: false };
		}
		return { ...this.collect(result.run, result.order), status, started: true };
	}

	private workflow(nodes: INode[], connections: IConnections): Workflow {
		return engineWorkflow('WhatsAuto privacy engine test', this.nodeTypes, nodes, connections);
	}

	private collect(run: IRun, order: string[]): EngineRun {
		const failure = run.data.resultData.error as (Error & { description?: string | null }) | undefined;
		const error = failure && { message: failure.message, description: failure.description };
		if (error) this.base.errors.push(error.message, String(error.description ?? ''));
		const runData = run.data.resultData.runData;
		for (const nodeRuns of Object.values(runData)) {
			for (const nodeRun of nodeRuns) {
				for (const items of nodeRun.data?.main ?? []) {
					for (const item of items ?? []) if (typeof item.json.error === 'string') this.base.errors.push(item.json.error);
				}
			}
		}
		return {
			run,
			order,
			error,
			output: (node, index = 0, runIndex = 0) => runData[node]?.[runIndex]?.data?.main?.[index] ?? [],
			runs: (node) => runData[node]?.length ?? 0,
		};
	}

	async close(): Promise<void> {
		await this.base.close();
	}
}

export async function startPrivacyRig(): Promise<PrivacyRig> {
	return new PrivacyRig(await startReplyRig({ ai: { responder: () => MODEL_ANSWER } }));
}

export const MODEL_ANSWER = 'Thanks for your message, we will get back to you.';

export interface PrivacySuiteOptions {
	/** Hands the rig over before the first test (and may finish the file's set-up). */
	started(rig: PrivacyRig): unknown;
	/** Also a real PostgreSQL (privacy-postgres.ts), handed over here; stopped once the rig (and its pools) closed. */
	postgres?(pg: PostgresServer): void;
	/** Before each test, reset the fakes and have the model answer MODEL_ANSWER again. Default true. */
	resetEachTest?: boolean;
	/** Names the stores `freshStore` makes: `${storePrefix}-1`, `-2`, … */
	storePrefix?: string;
}

/**
 * The frame the privacy suites share: one rig for the file, optionally a PostgreSQL, the fakes reset before each
 * test, and `freshStore()`: a SQLite store of its own per call.
 */
export function privacySuite(options: PrivacySuiteOptions): { freshStore(): StoreHandle } {
	let rig: PrivacyRig | undefined;
	let pg: PostgresServer | undefined;
	beforeAll(
		async () => {
			rig = await startPrivacyRig();
			await options.started(rig);
			if (options.postgres) options.postgres((pg = await startPostgres()));
		},
		options.postgres ? PG_START_TIMEOUT_MS + 30_000 : undefined,
	);
	afterAll(async () => {
		await rig?.close(); // closes every store (and PostgreSQL pool) first
		await pg?.stop();
	}, 120_000);
	if (options.resetEachTest !== false) {
		beforeEach(() => {
			rig!.base.resetFakes();
			rig!.ai.setResponder(() => MODEL_ANSWER);
		});
	}
	let stores = 0;
	return { freshStore: () => rig!.sqliteStore(`${options.storePrefix ?? 'store'}-${++stores}`) };
}

/** Items as a node's input, JSON round-tripped like n8n stores them. */
export const itemsOf = (...jsons: IDataObject[]): INodeExecutionData[] => jsons.map((json) => ({ json: JSON.parse(JSON.stringify(json)) as IDataObject }));

/** The 6-digit code in a text (the verification message), or undefined. */
export const codeIn = (text: string): string | undefined => /(?<!\d)(\d{6})(?!\d)/.exec(text)?.[1];

/** Whether `haystack` holds `code` as a number of its own (not inside a longer one, e.g. a timestamp). */
export const holdsCode = (haystack: string, code: string): boolean => new RegExp(`(?<!\\d)${code}(?!\\d)`).test(haystack);

/**
 * Every request's transitions in the audit log form one valid walk through the state machine: it starts
 * `received`, each step leaves the state the previous one reached, each step is allowed, and nothing
 * follows a terminal state. Returns the states each request went through.
 */
export function auditPaths(entries: AuditEntry[]): Map<string, RequestState[]> {
	const paths = new Map<string, RequestState[]>();
	for (const entry of entries) {
		if (!entry.toState) continue;
		const path = paths.get(entry.requestId);
		if (!path) {
			expect({ requestId: entry.requestId, first: entry.action, to: entry.toState, from: entry.fromState }).toEqual({
				requestId: entry.requestId,
				first: 'received',
				to: 'received',
				from: '',
			});
			paths.set(entry.requestId, ['received']);
			continue;
		}
		const from = path[path.length - 1];
		expect({ requestId: entry.requestId, from: entry.fromState }).toEqual({ requestId: entry.requestId, from });
		expect({ requestId: entry.requestId, step: `${from} → ${entry.toState}`, allowed: canTransition(from, entry.toState as RequestState) }).toEqual({
			requestId: entry.requestId,
			step: `${from} → ${entry.toState}`,
			allowed: true,
		});
		path.push(entry.toState as RequestState);
	}
	return paths;
}

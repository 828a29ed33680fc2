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
import { REPLY_NODE, REPLY_TYPE, startReplyRig, TRIGGER_NODE, TRIGGER_TYPE, PASS_TYPE, APP_SECRET, STORE_SECRET, type ReplyRig, type RunOptions } from './reply-harness';

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

import {
	NodeConnectionTypes,
	Workflow,
	type ICredentialDataDecryptedObject,
	type IConnections,
	type IDataObject,
	type INode,
	type INodeExecutionData,
	type INodeParameters,
	type IRun,
} from 'n8n-workflow';

import { WhatsAutoPrivacy } from '../../nodes/WhatsAutoPrivacy/WhatsAutoPrivacy.node';
import { WhatsAutoReply } from '../../nodes/WhatsAutoReply/WhatsAutoReply.node';
import { WhatsAutoTrigger } from '../../nodes/WhatsAutoTrigger/WhatsAutoTrigger.node';
import type { ContentKeys } from '../../nodes/shared/store/contentByReference';
import { PrivacyDesk } from '../../nodes/shared/privacy/desk';
import { canTransition, type RequestState } from '../../nodes/shared/privacy/lifecycle';
import { openStore, type AuditEntry, type WhatsAutoStore } from '../../nodes/shared/store';
import { toContentKeys, toStoreConfig } from '../../nodes/shared/store/access';
import { signWebhook, webhookBytes } from '../../devkit/fakes/meta-json';
import { callWebhook, PassThrough, postRequest, runExecution, StaticNodeTypes } from './harness';

export const PRIVACY_TYPE = 'n8n-nodes-whatsauto.whatsAutoPrivacy';
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
	readonly nodeTypes = new StaticNodeTypes({
		[TRIGGER_TYPE]: new WhatsAutoTrigger(),
		[REPLY_TYPE]: new WhatsAutoReply(),
		[PASS_TYPE]: new PassThrough(),
		[PRIVACY_TYPE]: new WhatsAutoPrivacy(),
	});

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
		const ids = { whatsAutoMetaApi: 'meta-1', whatsAutoStoreApi: options.store.id, ...options.credentials };
		const credentials: INode['credentials'] = {};
		for (const [type, id] of Object.entries(ids)) if (id) credentials[type] = { id, name: `${type} (${id})` };
		return {
			id: randomUUID(),
			name,
			type: PRIVACY_TYPE,
			typeVersion: 1,
			position,
			parameters,
			credentials,
			...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
		};
	}

	/** `Input` (pass-through start node fed with `items`) → Privacy node with `parameters`. */
	async runPrivacy(items: INodeExecutionData[], parameters: INodeParameters, options: PrivacyRunOptions): Promise<PrivacyRun> {
		const input = this.inputNode();
		const workflow = this.workflow([input, this.privacyNode(PRIVACY_NODE, parameters, options)], {
			[INPUT_NODE]: { main: [[{ node: PRIVACY_NODE, type: NodeConnectionTypes.Main, index: 0 }]] },
		});
		const result = await runExecution(workflow, workflow.getNode(INPUT_NODE)!, [items], this.base.credentials, {
			timeoutMs: options.timeoutMs ?? 25_000,
		});
		const run = this.collect(result.run, result.order);
		const outputs = result.run.data.resultData.runData[PRIVACY_NODE]?.[0]?.data?.main?.map((items) => items ?? []) ?? [];
		return { ...run, outputs, out: (outputs[0] ?? []).map((item) => item.json) };
	}

	/** `Input` → any chain of nodes (connected in order, each on output 0), for ad-hoc wiring. */
	async runNodes(items: INodeExecutionData[], nodes: INode[], connections: IConnections, timeoutMs = 25_000): Promise<EngineRun> {
		const input = this.inputNode();
		const workflow = this.workflow([input, ...nodes], connections);
		const result = await runExecution(workflow, workflow.getNode(INPUT_NODE)!, [items], this.base.credentials, { timeoutMs });
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
					main: [[{ node: EXECUTE_NODE, type: NodeConnectionTypes.Main, index: 0 }], [{ node: REPLY_NODE, type: NodeConnectionTypes.Main, index: 0 }]],
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
			{ ...connections, [INPUT_NODE]: { main: [[{ node: DETECT_NODE, type: NodeConnectionTypes.Main, index: 0 }]] } },
			options.timeoutMs,
		);
	}

	/**
	 * WhatsAuto Trigger (signed webhook call; Messages and Other Events outputs) → Detect → [privacy] Execute,
	 * [not privacy] Auto-Reply. `status` is the trigger's HTTP answer; no run when the trigger started none.
	 */
	async runFlow(payload: unknown, options: FlowOptions): Promise<EngineRun & { status: number; started: boolean }> {
		const trigger: INode = {
			id: randomUUID(),
			name: TRIGGER_NODE,
			type: TRIGGER_TYPE,
			typeVersion: 2,
			position: [0, 0],
			webhookId: randomUUID(),
			parameters: { events: ['user_preferences'], ...options.trigger },
			credentials: { whatsAutoMetaApi: { id: 'meta-1', name: 'WhatsApp (test)' }, whatsAutoStoreApi: { id: options.store.id, name: 'Store (test)' } },
		};
		const { nodes, connections } = this.detectAndRoute(options);
		const toDetect = [{ node: DETECT_NODE, type: NodeConnectionTypes.Main, index: 0 }];
		const workflow = this.workflow([trigger, ...nodes], { ...connections, [TRIGGER_NODE]: { main: [toDetect, [], toDetect] } });
		const start = workflow.getNode(TRIGGER_NODE)!;
		const raw = webhookBytes(payload);
		const request = postRequest(`${start.webhookId}/webhook`, raw, { 'X-Hub-Signature-256': signWebhook(APP_SECRET, raw) });
		const call = await callWebhook(workflow, start, this.base.credentials, request);
		if (!call.result.workflowData) {
			const none = { run: undefined as unknown as IRun, order: [], output: () => [], runs: () => 0 };
			return { ...none, status: call.response.statusCode, started: false };
		}
		const result = await runExecution(workflow, start, call.result.workflowData, this.base.credentials, { timeoutMs: options.timeoutMs ?? 25_000 });
		return { ...this.collect(result.run, result.order), status: call.response.statusCode, started: true };
	}

	private inputNode(): INode {
		return { id: randomUUID(), name: INPUT_NODE, type: PASS_TYPE, typeVersion: 1, position: [0, 0], parameters: {} };
	}

	private workflow(nodes: INode[], connections: IConnections): Workflow {
		return new Workflow({
			id: `wf-${randomUUID().slice(0, 8)}`,
			name: 'WhatsAuto privacy engine test',
			nodes,
			connections,
			active: true,
			nodeTypes: this.nodeTypes,
			settings: { executionOrder: 'v1' },
		});
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

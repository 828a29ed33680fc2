/**
 * Workflows of WhatsAuto nodes for n8n-core's engine, shared by the reply and privacy harnesses: the node types,
 * the nodes every flow starts with (a pass-through fed with items, or the WhatsAuto Trigger called by a signed
 * webhook), and the two ways to run a flow (harness.ts's `runExecution` and `callWebhook`).
 *
 *   const workflow = engineWorkflow('…', nodeTypes, [passThroughNode('Input'), node], { Input: { main: [to(node.name)] } });
 *   const { run, order } = await runFrom(workflow, 'Input', items, credentials);
 *   const { status, result } = await deliverToTrigger(workflow, credentials, payload, appSecret);
 */
import { randomUUID } from 'node:crypto';

import {
	NodeConnectionTypes,
	Workflow,
	type ICredentialsHelper,
	type IConnection,
	type IConnections,
	type INode,
	type INodeExecutionData,
	type INodeParameters,
	type INodeTypes,
} from 'n8n-workflow';

import { WhatsAutoPrivacy } from '../../nodes/WhatsAutoPrivacy/WhatsAutoPrivacy.node';
import { WhatsAutoReply } from '../../nodes/WhatsAutoReply/WhatsAutoReply.node';
import { WhatsAutoTrigger } from '../../nodes/WhatsAutoTrigger/WhatsAutoTrigger.node';
import { signWebhook, webhookBytes } from '../../devkit/fakes/meta-json';
import { callWebhook, PassThrough, postRequest, runExecution, StaticNodeTypes, type ExecutionResult } from './harness';

export const TRIGGER_TYPE = 'n8n-nodes-whatsauto.whatsAutoTrigger';
export const REPLY_TYPE = 'n8n-nodes-whatsauto.whatsAutoReply';
export const PRIVACY_TYPE = 'n8n-nodes-whatsauto.whatsAutoPrivacy';
export const PASS_TYPE = 'whatsauto-test.passThrough';
export const TRIGGER_NODE = 'WhatsAuto Trigger';

/** How long a flow may run unless a test says otherwise. */
const RUN_TIMEOUT_MS = 25_000;

/** The three WhatsAuto nodes and the pass-through, as new instances (a rig keeps its own). */
export function whatsAutoNodeTypes(): StaticNodeTypes {
	return new StaticNodeTypes({
		[TRIGGER_TYPE]: new WhatsAutoTrigger(),
		[REPLY_TYPE]: new WhatsAutoReply(),
		[PASS_TYPE]: new PassThrough(),
		[PRIVACY_TYPE]: new WhatsAutoPrivacy(),
	});
}

/** An active workflow of `nodes`, as n8n hands it to the engine. */
export function engineWorkflow(name: string, nodeTypes: INodeTypes, nodes: INode[], connections: IConnections): Workflow {
	return new Workflow({
		id: `wf-${randomUUID().slice(0, 8)}`,
		name,
		nodes,
		connections,
		active: true,
		nodeTypes,
		settings: { executionOrder: 'v1' },
	});
}

/** Connections from one output to the main input of each node named. */
export const to = (...nodes: string[]): IConnection[] => nodes.map((node) => ({ node, type: NodeConnectionTypes.Main, index: 0 }));

export interface ActionNodeSpec {
	name: string;
	type: string;
	position: [number, number];
	parameters: INodeParameters;
	/** Credential ids by credential type (null or undefined: none of that type). */
	credentials: Record<string, string | null | undefined>;
	/** n8n's "On Error: Continue (using regular output)". */
	continueOnFail?: boolean;
}

/** A WhatsAuto node that runs on items (Auto-Reply, Privacy), version 1, its credentials named after their ids. */
export function actionNode(spec: ActionNodeSpec): INode {
	const credentials: INode['credentials'] = {};
	for (const [type, id] of Object.entries(spec.credentials)) if (id) credentials[type] = { id, name: `${type} (${id})` };
	return {
		id: randomUUID(),
		name: spec.name,
		type: spec.type,
		typeVersion: 1,
		position: spec.position,
		parameters: spec.parameters,
		credentials,
		...(spec.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
	};
}

/** A pass-through node: the start node a test feeds with items. */
export function passThroughNode(name: string): INode {
	return { id: randomUUID(), name, type: PASS_TYPE, typeVersion: 1, position: [0, 0], parameters: {} };
}

/** The WhatsAuto Trigger ({@link TRIGGER_NODE}) with a webhook id of its own: WhatsApp credential `meta-1`, store `storeId`. */
export function triggerNode(parameters: INodeParameters, storeId: string): INode {
	return {
		id: randomUUID(),
		name: TRIGGER_NODE,
		type: TRIGGER_TYPE,
		typeVersion: 2,
		position: [0, 0],
		webhookId: randomUUID(),
		parameters,
		credentials: { whatsAutoMetaApi: { id: 'meta-1', name: 'WhatsApp (test)' }, whatsAutoStoreApi: { id: storeId, name: 'Store (test)' } },
	};
}

/** Runs the workflow from its start node `start`, fed with `items`. */
export async function runFrom(
	workflow: Workflow,
	start: string,
	items: INodeExecutionData[],
	credentials: ICredentialsHelper,
	timeoutMs = RUN_TIMEOUT_MS,
): Promise<ExecutionResult> {
	return await runExecution(workflow, workflow.getNode(start)!, [items], credentials, { timeoutMs });
}

/** `payload` POSTed to the trigger's webhook, signed with `appSecret`: the trigger's answer and what it handed on. */
export async function postToTrigger(workflow: Workflow, credentials: ICredentialsHelper, payload: unknown, appSecret: string) {
	const start = workflow.getNode(TRIGGER_NODE)!;
	const raw = webhookBytes(payload);
	const request = postRequest(`${start.webhookId}/webhook`, raw, { 'X-Hub-Signature-256': signWebhook(appSecret, raw) });
	return await callWebhook(workflow, start, credentials, request);
}

/**
 * `payload` POSTed to the trigger's webhook, signed with `appSecret`, then the execution the trigger started:
 * `status` is the trigger's HTTP answer, `result` undefined when it started none.
 */
export async function deliverToTrigger(
	workflow: Workflow,
	credentials: ICredentialsHelper,
	payload: unknown,
	appSecret: string,
	timeoutMs = RUN_TIMEOUT_MS,
): Promise<{ status: number; result?: ExecutionResult }> {
	const start = workflow.getNode(TRIGGER_NODE)!;
	const call = await postToTrigger(workflow, credentials, payload, appSecret);
	const status = call.response.statusCode;
	if (!call.result.workflowData) return { status };
	return { status, result: await runExecution(workflow, start, call.result.workflowData, credentials, { timeoutMs }) };
}

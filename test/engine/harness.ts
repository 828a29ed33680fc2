/**
 * Drives a workflow through n8n-core's real engine in-process, the way n8n's webhook server does:
 *
 *   1. `callWebhook`: like `WebhookService.runWebhook` — builds n8n-core's `WebhookContext` for the start node
 *      (with an additionalData carrying the HTTP request/response, as `prepareWebhookAdditionalData` does) and
 *      calls the node type's `webhook()` with it.
 *   2. `runExecution`: like `prepareExecutionData` + `WorkflowRunner` — puts the start node with the returned
 *      `workflowData` as its `main` data on the node execution stack and runs `WorkflowExecute
 *      .processRunExecutionData`, which passes a webhook node's data through and executes its children.
 *
 * Everything n8n's server would supply from its database (decrypted credentials, URLs, lifecycle hooks) is a
 * small in-memory stand-in here.
 */
import { randomUUID } from 'node:crypto';

import { ExecutionLifecycleHooks, WebhookContext, WorkflowExecute } from 'n8n-core';
import {
	createRunExecutionData,
	ICredentialsHelper,
	NodeConnectionTypes,
	NodeHelpers,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentials,
	type IConnections,
	type IExecuteFunctions,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type INode,
	type INodeCredentialsDetails,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypeDescription,
	type INodeTypes,
	type IRun,
	type IVersionedNodeType,
	type IWebhookData,
	type IWebhookResponseData,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

// ---------------------------------------------------------------- node types

/** A minimal downstream node: outputs exactly the items it receives (what NoOp does). */
export class PassThrough implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Pass Through (test)',
		name: 'passThrough',
		group: ['transform'],
		version: 1,
		description: 'Outputs its input unchanged',
		defaults: { name: 'Pass Through' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

/** `INodeTypes` over a fixed map of type name → node type, resolving versions like n8n's NodeTypes. */
export class StaticNodeTypes implements INodeTypes {
	constructor(private readonly types: Record<string, INodeType | IVersionedNodeType>) {}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		const type = this.types[nodeType];
		if (!type) throw new Error(`Unknown node type ${nodeType}`);
		return type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
	}

	getKnownTypes() {
		return {};
	}
}

// ---------------------------------------------------------------- credentials

/**
 * n8n's credentials helper reduced to what a webhook call needs: `getDecrypted` returns the test data stored
 * under the credential id the node references, and counts the reads (the node caches them).
 */
export class TestCredentialsHelper extends ICredentialsHelper {
	readonly reads: Array<{ id: string | null; type: string }> = [];

	constructor(private readonly byId: Map<string, ICredentialDataDecryptedObject>) {
		super();
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		this.reads.push({ id: nodeCredentials.id, type });
		const data = nodeCredentials.id ? this.byId.get(nodeCredentials.id) : undefined;
		if (!data) throw new Error(`Credential with ID "${nodeCredentials.id}" does not exist for type "${type}".`);
		return structuredClone(data);
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(_credentials: ICredentialDataDecryptedObject, _type: string, options: IHttpRequestOptions) {
		return options;
	}

	async preAuthentication() {
		return undefined;
	}

	async runPreAuthentication() {
		return undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used by webhook calls');
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties(): INodeProperties[] {
		return [];
	}
}

// ---------------------------------------------------------------- additionalData

const BASE_URL = 'http://localhost:5678';

/** The fields `WorkflowExecuteAdditionalData.getBase` fills; nothing here reaches a database. */
export function additionalData(
	credentialsHelper: ICredentialsHelper,
	extra: Partial<IWorkflowExecuteAdditionalData> = {},
): IWorkflowExecuteAdditionalData {
	const unavailable = (what: string) => async (): Promise<never> => {
		throw new Error(`${what} is not available in the engine test`);
	};
	return {
		credentialsHelper,
		executeWorkflow: unavailable('executeWorkflow'),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		startRunnerTask: unavailable('startRunnerTask'),
		currentNodeExecutionIndex: 0,
		restApiUrl: `${BASE_URL}/rest`,
		instanceBaseUrl: `${BASE_URL}/`,
		formBaseUrl: `${BASE_URL}/form`,
		formWaitingBaseUrl: `${BASE_URL}/form-waiting`,
		formTestBaseUrl: `${BASE_URL}/form-test`,
		webhookBaseUrl: `${BASE_URL}/webhook`,
		webhookWaitingBaseUrl: `${BASE_URL}/webhook-waiting`,
		webhookTestBaseUrl: `${BASE_URL}/webhook-test`,
		mcpBaseUrl: `${BASE_URL}/mcp`,
		mcpTestBaseUrl: `${BASE_URL}/mcp-test`,
		variables: {},
		logAiEvent: () => {},
		...extra,
	} as IWorkflowExecuteAdditionalData;
}

// ---------------------------------------------------------------- HTTP request / response

export interface FakeRequest {
	method: IHttpRequestMethods;
	url: string;
	path: string;
	headers: Record<string, string>;
	query: Record<string, string>;
	params: Record<string, string>;
	body: unknown;
	rawBody?: Buffer;
	readRawBody?: () => Promise<void>;
	contentType?: string;
}

/** Requests as n8n's body parser leaves them: JSON parsed into `body`, the exact bytes in `rawBody`. */
export function postRequest(path: string, raw: Buffer, headers: Record<string, string> = {}): FakeRequest {
	let body: unknown = {};
	try {
		body = JSON.parse(raw.toString('utf8'));
	} catch {
		// n8n would answer 422 itself; tests only send JSON
	}
	return {
		method: 'POST',
		url: `/webhook/${path}`,
		path: `/webhook/${path}`,
		headers: { 'content-type': 'application/json', 'content-length': String(raw.length), ...lowerKeys(headers) },
		query: {},
		params: {},
		body,
		rawBody: raw,
		contentType: 'application/json',
	};
}

export function getRequest(path: string, query: Record<string, string>): FakeRequest {
	return { method: 'GET', url: `/webhook/${path}`, path: `/webhook/${path}`, headers: {}, query, params: {}, body: {} };
}

const lowerKeys = (headers: Record<string, string>) =>
	Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));

/** An express-like response that records what the node wrote. */
export class ResponseRecorder {
	statusCode = 200;

	headers: Record<string, string> = {};

	body: unknown = undefined;

	/** How many times the response was finished (send/json/end); more than 1 would throw in express. */
	finished = 0;

	get headersSent(): boolean {
		return this.finished > 0;
	}

	status(code: number): this {
		this.assertOpen();
		this.statusCode = code;
		return this;
	}

	type(contentType: string): this {
		this.assertOpen();
		this.headers['content-type'] = contentType;
		return this;
	}

	setHeader(name: string, value: string): this {
		this.assertOpen();
		this.headers[name.toLowerCase()] = value;
		return this;
	}

	header(name: string, value: string): this {
		return this.setHeader(name, value);
	}

	set(name: string, value: string): this {
		return this.setHeader(name, value);
	}

	send(body?: unknown): this {
		this.assertOpen();
		this.body = body;
		this.finished++;
		return this;
	}

	json(body: unknown): this {
		this.headers['content-type'] ??= 'application/json';
		return this.send(body);
	}

	end(body?: unknown): this {
		return this.send(body);
	}

	private assertOpen() {
		if (this.finished) throw new Error('Cannot set headers after they are sent to the client');
	}
}

// ---------------------------------------------------------------- webhooks

/** The node's webhooks as `WebhookService.getNodeWebhooks` derives them from its description. */
export function nodeWebhooks(workflow: Workflow, node: INode, data: IWorkflowExecuteAdditionalData): IWebhookData[] {
	const nodeType = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
	const workflowId = workflow.id || '__UNSAVED__';
	return (nodeType.description.webhooks ?? []).map((description) => {
		let nodePath = String(workflow.expression.getSimpleParameterValue(node, description.path, 'internal', {}));
		nodePath = nodePath.replace(/^\/|\/$/g, '');
		const isFullPath = workflow.expression.getSimpleParameterValue(node, description.isFullPath, 'internal', {}, undefined, false) as boolean;
		const method = workflow.expression.getSimpleParameterValue(node, description.httpMethod, 'internal', {}, undefined, 'GET');
		return {
			httpMethod: String(method) as IHttpRequestMethods,
			node: node.name,
			path: NodeHelpers.getNodeWebhookPath(workflowId, node, nodePath, isFullPath, false),
			webhookDescription: description,
			workflowId,
			workflowExecuteAdditionalData: data,
		};
	});
}

export interface WebhookCall {
	result: IWebhookResponseData;
	response: ResponseRecorder;
	webhook: IWebhookData;
}

/**
 * One HTTP request to the start node's webhook for `request.method`, the way n8n's `WebhookService.runWebhook`
 * makes it: a real `WebhookContext`, and the node type's `webhook` called with it as `this`.
 */
export async function callWebhook(
	workflow: Workflow,
	startNode: INode,
	credentialsHelper: ICredentialsHelper,
	request: FakeRequest,
	mode: WorkflowExecuteMode = 'webhook',
): Promise<WebhookCall> {
	const response = new ResponseRecorder();
	const data = additionalData(credentialsHelper, {
		httpRequest: request as unknown as IWorkflowExecuteAdditionalData['httpRequest'],
		httpResponse: response as unknown as IWorkflowExecuteAdditionalData['httpResponse'],
	});
	const webhook = nodeWebhooks(workflow, startNode, data).find((candidate) => candidate.httpMethod === request.method);
	if (!webhook) throw new Error(`${startNode.name} has no ${request.method} webhook`);
	const expectedPath = `/webhook/${webhook.path}`;
	if (request.path !== expectedPath) throw new Error(`request path ${request.path} is not the node's ${expectedPath}`);

	const nodeType = workflow.nodeTypes.getByNameAndVersion(startNode.type, startNode.typeVersion);
	if (!nodeType.webhook) throw new Error('Node does not have any webhooks defined');
	const context = new WebhookContext(workflow, startNode, data, mode, webhook, [], null);
	const result = (await nodeType.webhook.call(context)) as IWebhookResponseData;
	return { result, response, webhook };
}

export interface ExecutionResult {
	run: IRun;
	/** Node names in the order the engine finished them. */
	order: string[];
}

/**
 * Runs the execution a webhook call starts (`prepareExecutionData` + `WorkflowRunner` in n8n): the start node
 * with the webhook's `workflowData` on the execution stack, then `WorkflowExecute.processRunExecutionData`.
 */
export async function runExecution(
	workflow: Workflow,
	startNode: INode,
	workflowData: INodeExecutionData[][],
	credentialsHelper: ICredentialsHelper,
	{ mode = 'webhook' as WorkflowExecuteMode, timeoutMs = 10_000 } = {},
): Promise<ExecutionResult> {
	const executionId = randomUUID();
	const base: IWorkflowBase = {
		id: workflow.id,
		name: workflow.name ?? 'engine test',
		active: true,
		isArchived: false,
		activeVersionId: null,
		createdAt: new Date(),
		updatedAt: new Date(),
		nodes: Object.values(workflow.nodes),
		connections: workflow.connectionsBySourceNode,
	} as IWorkflowBase;
	const hooks = new ExecutionLifecycleHooks(mode, executionId, base);
	const order: string[] = [];
	hooks.addHandler('nodeExecuteAfter', async (nodeName: string) => {
		order.push(nodeName);
	});
	const data = additionalData(credentialsHelper, { hooks, executionId, workflowId: workflow.id });

	const runExecutionData = createRunExecutionData({
		executionData: { nodeExecutionStack: [{ node: startNode, data: { main: workflowData }, source: null }] },
	});
	const execution = new WorkflowExecute(data, mode, runExecutionData).processRunExecutionData(workflow);
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => {
			execution.cancel();
			reject(new Error(`execution did not finish within ${timeoutMs} ms`));
		}, timeoutMs);
	});
	try {
		return { run: await Promise.race([execution, timeout]), order };
	} finally {
		clearTimeout(timer);
	}
}

// ---------------------------------------------------------------- workflow

export interface BuiltWorkflow {
	workflow: Workflow;
	trigger: INode;
}

export function buildWorkflow(options: {
	nodeTypes: INodeTypes;
	triggerType: string;
	trigger: Omit<INode, 'id' | 'type' | 'typeVersion' | 'position' | 'name'> & { name?: string };
	/** Output index → name of a pass-through node connected to it. */
	branches: string[];
	passThroughType: string;
}): BuiltWorkflow {
	const triggerName = options.trigger.name ?? 'WhatsAuto Trigger';
	const trigger: INode = {
		id: randomUUID(),
		name: triggerName,
		type: options.triggerType,
		typeVersion: 2,
		position: [0, 0],
		...options.trigger,
	};
	const downstream: INode[] = options.branches.map((name, index) => ({
		id: randomUUID(),
		name,
		type: options.passThroughType,
		typeVersion: 1,
		position: [300, index * 200],
		parameters: {},
	}));
	const connections: IConnections = {
		[triggerName]: {
			main: options.branches.map((name) => [{ node: name, type: NodeConnectionTypes.Main, index: 0 }]),
		},
	};
	const workflow = new Workflow({
		id: `wf-${randomUUID().slice(0, 8)}`,
		name: 'WhatsAuto engine test',
		nodes: [trigger, ...downstream],
		connections,
		active: true,
		nodeTypes: options.nodeTypes,
		settings: { executionOrder: 'v1' },
	});
	// The Workflow constructor fills in parameter defaults; hand out the node object it now holds.
	return { workflow, trigger: workflow.getNode(triggerName)! };
}

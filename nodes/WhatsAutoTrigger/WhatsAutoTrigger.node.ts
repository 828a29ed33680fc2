import {
	NodeConnectionTypes,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type ITriggerFunctions,
	type ITriggerResponse,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { activate } from './activation';
import { triggerProperties } from './description';
import { credentialTest, loadOptions } from './methods';
import { receive } from './webhook/receive';
import { startGate } from './gate/start';
import { leaveForManualRun } from './gate/manual';

export class WhatsAutoTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsAuto Trigger',
		name: 'whatsAutoTrigger',
		icon: 'file:whatsAutoTrigger.svg',
		group: ['trigger'],
		// Starts at 2: n8n evaluates an extra expression while parsing the body of any version-1 webhook node.
		version: 2,
		subtitle: '={{"WhatsApp messages"}}',
		description: 'Starts the workflow on WhatsApp messages: verified, deduplicated, one item per message',
		defaults: { name: 'WhatsAuto Trigger' },
		inputs: [],
		// Three fixed outputs so statuses and events never reach a Messages branch (README: lint exceptions).
		// eslint-disable-next-line n8n-nodes-base/node-class-description-outputs-wrong
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Messages', 'Statuses', 'Events'],
		credentials: [
			{ name: 'whatsAutoMetaApi', required: true, testedBy: 'whatsAutoMetaApiTest' },
			{ name: 'whatsAutoStoreApi', required: false, testedBy: 'whatsAutoStoreApiTest' },
		],
		webhooks: [
			{ name: 'setup', httpMethod: 'GET', responseMode: 'onReceived', path: 'webhook' },
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' },
		],
		properties: triggerProperties,
	};

	methods = { credentialTest, loadOptions };

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return false;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return await activate(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	/** The conversation gate's hand-off loop (gate/handoff.ts); nothing when the gate is off. */
	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		return startGate(this);
	}

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const result = await receive(this);
		if (this.getMode() === 'manual' && result.workflowData) leaveForManualRun(this, result.workflowData);
		return result;
	}
}

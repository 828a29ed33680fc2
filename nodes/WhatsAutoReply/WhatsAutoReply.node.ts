import {
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { router } from './actions/router';
import { replyProperties } from './description';
import { credentialTest, loadOptions } from './methods';

export class WhatsAutoReply implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsAuto GPT-4 Auto-Reply',
		name: 'whatsAutoReply',
		icon: 'file:whatsAutoReply.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] === "reply" || !$parameter["operation"] ? $parameter["model"] : $parameter["operation"]}}',
		description: 'Answers any WhatsApp message — text, photo, voice note, video, document — with GPT-4, exactly once',
		defaults: { name: 'WhatsAuto Auto-Reply' },
		inputs: ['main'],
		// Replies, customers who asked for a person (a workflow tells the team), and messages a keyword rule routed.
		// eslint-disable-next-line n8n-nodes-base/node-class-description-outputs-wrong
		outputs: ['main', 'main', 'main', 'main'],
		outputNames: ['Replies', 'Handoff', 'Rule', 'Flagged'],
		credentials: [
			{ name: 'whatsAutoMetaApi', required: true, testedBy: 'whatsAutoMetaApiTest' },
			{ name: 'whatsAutoOpenAiApi', required: true },
			{ name: 'whatsAutoStoreApi', required: false, testedBy: 'whatsAutoStoreApiTest' },
		],
		properties: replyProperties,
	};

	methods = { credentialTest, loadOptions };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router(this);
	}
}

import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { router } from './actions/router';
import { privacyProperties } from './description';

export class WhatsAutoPrivacy implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsAuto Privacy Request',
		name: 'whatsAutoPrivacy',
		icon: 'file:whatsAutoPrivacy.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description: 'Access, correction, erasure and objection from inside WhatsApp or a web form, with deadlines and an audit trail',
		defaults: { name: 'WhatsAuto Privacy' },
		inputs: ['main'],
		// Detect routes to two outputs; the other operations use the first.
		outputs: `={{ $parameter.operation === "detect" ? [{ type: "main", displayName: "Privacy" }, { type: "main", displayName: "Not Privacy" }] : ["main"] }}`,
		credentials: [
			{ name: 'whatsAutoStoreApi', required: true },
			{ name: 'whatsAutoMetaApi', required: true },
		],
		properties: privacyProperties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router(this);
	}
}

import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { detect } from './actions/detect';
import { executeRequest, extendDeadline, getStatus, listOpen, verifyRequest } from './actions/requests';
import { privacyServices } from './actions/services';
import { privacyProperties } from './description';

const PER_ITEM = { execute: executeRequest, verify: verifyRequest, getStatus, extend: extendDeadline } as const;

export class WhatsAutoPrivacy implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsAuto Privacy Request',
		name: 'whatsAutoPrivacy',
		icon: 'file:whatsauto.svg',
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
		const operation = this.getNodeParameter('operation', 0) as string;
		if (operation === 'detect') return await detect(this);
		const svc = await privacyServices(this);
		if (operation === 'listOpen') return [await listOpen(this, svc)];
		const run = PER_ITEM[operation as keyof typeof PER_ITEM];
		const results: INodeExecutionData[] = [];
		const items = this.getInputData();
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				results.push(await run(this, svc, itemIndex));
			} catch (error) {
				if (!this.continueOnFail()) throw error;
				results.push({ json: { error: (error as Error).message }, pairedItem: { item: itemIndex } });
			}
		}
		return [results];
	}
}

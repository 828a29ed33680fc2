import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';

import type { PrivacyServices } from '../../../shared/privacy/fulfil';
import { extend, type PrivacyRequest } from '../../../shared/privacy/lifecycle';
import { forOperation, param, requestIdField, requestIdParameter } from '../fields';
import { requestOf, requestOutput } from '../output';

export const description: INodeProperties[] = forOperation('extend', [
	requestIdField,
	{
		displayName: 'Extension (Months)',
		name: 'extensionMonths',
		type: 'options',
		options: [
			{ name: 'One Month', value: 1 },
			{ name: 'Two Months', value: 2 },
		],
		default: 2,
	},
	{
		displayName: 'Reason for the Extension',
		name: 'extensionReason',
		type: 'string',
		default: '',
		description: 'GDPR Art. 12(3): the person must be told why, within the first month.',
	},
]);

/** Extend Deadline: one extension per request, with the reason the person is told. */
export async function execute(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number): Promise<INodeExecutionData> {
	const request = await requestOf(ctx, svc, requestIdParameter(ctx, itemIndex), itemIndex);
	const months = Number(ctx.getNodeParameter('extensionMonths', itemIndex, 2)) === 1 ? 1 : 2;
	let extended: PrivacyRequest;
	try {
		extended = extend(request, months, param(ctx, 'extensionReason', itemIndex));
	} catch (error) {
		throw new NodeOperationError(ctx.getNode(), (error as Error).message, { itemIndex });
	}
	await svc.desk.save(extended);
	await svc.desk.note(extended, 'operator', 'deadline_extended', { dueAt: extended.dueAt, reason: extended.extension!.reason });
	return { json: requestOutput(extended), pairedItem: { item: itemIndex } };
}

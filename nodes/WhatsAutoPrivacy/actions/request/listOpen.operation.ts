import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { PrivacyServices } from '../../../shared/privacy/fulfil';
import { forOperation } from '../fields';
import { requestOutput } from '../output';

export const description: INodeProperties[] = forOperation('listOpen', [
	{
		displayName: 'Due Within (Days)',
		name: 'withinDays',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 7,
		description: 'Only requests due within this many days; 0 lists every open request',
	},
]);

/**
 * List Open: once for all input items, every open request, due soonest first — read from the store's index of
 * request states and due dates, LIST_OPEN_PAGE_SIZE (500) at a time, so none is missed however many closed
 * requests the store keeps. Requests left waiting for their code past its lifetime and a day are denied first.
 */
export async function execute(ctx: IExecuteFunctions, svc: PrivacyServices): Promise<INodeExecutionData[]> {
	const withinDays = ctx.getNodeParameter('withinDays', 0, 7) as number;
	const open = await svc.desk.listOpen(withinDays > 0 ? withinDays : undefined);
	const now = Date.now();
	return open.map((request) => ({
		json: requestOutput(request, { daysLeft: Math.floor((Date.parse(request.dueAt) - now) / 86_400_000), overdue: Date.parse(request.dueAt) < now }),
		pairedItem: { item: 0 },
	}));
}

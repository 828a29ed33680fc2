import { NodeOperationError, type IBinaryData, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { fulfil, type FulfilOptions, type PrivacyServices } from '../../shared/privacy/fulfil';
import type { PrivacyRequest } from '../../shared/privacy/lifecycle';

/** A request as the node outputs it: everything but the person's pseudonym. */
export function requestOutput(request: PrivacyRequest, extra: IDataObject = {}): IDataObject {
	const { subject: _subject, ...visible } = request;
	return { ...(visible as unknown as IDataObject), ...extra };
}

/** The request named by the Request ID field; an error on the item when there is none. */
export async function requestOf(ctx: IExecuteFunctions, svc: PrivacyServices, requestId: string, itemIndex: number): Promise<PrivacyRequest> {
	const request = await svc.desk.get(requestId);
	if (!request) throw new NodeOperationError(ctx.getNode(), `No privacy request ${requestId}.`, { itemIndex });
	return request;
}

/**
 * Runs the request to its end (nodes/shared/privacy/fulfil.ts); the node's one part is the export as n8n
 * binary data, for delivery 'binary' or 'both'. The item carries the request, `extra` and the confirmations.
 */
export async function fulfilledItem(
	ctx: IExecuteFunctions,
	svc: PrivacyServices,
	request: PrivacyRequest,
	options: Omit<FulfilOptions<IBinaryData>, 'handOver'>,
	extra: IDataObject,
	itemIndex: number,
	/** How the output shows Meta's message ids (keyed references for an item with pseudonymous ids). */
	showId: (messageId: string) => string = (messageId) => messageId,
): Promise<INodeExecutionData> {
	const done = await fulfil(svc, request, {
		...options,
		handOver: async (exported, finished) => await ctx.helpers.prepareBinaryData(exported, `${finished.id}-personal-data.json`, 'application/json'),
	});
	return {
		json: requestOutput(done.request, { ...extra, confirmationIds: done.confirmationIds.map(showId) }),
		...(done.handedOver ? { binary: { data: done.handedOver } } : {}),
		pairedItem: { item: itemIndex },
	};
}

import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';

import type { PrivacyServices } from '../../../shared/privacy/fulfil';
import { forOperation, requestIdField, requestIdParameter } from '../fields';
import { requestOutput } from '../output';

export const description: INodeProperties[] = forOperation('getStatus', [requestIdField]);

/**
 * Get Status: the request as it stands (one left waiting for its code past the code's lifetime and a day of
 * grace is denied first, as not verified), or, once it is gone from the store, its last state in the audit log.
 */
export async function execute(ctx: IExecuteFunctions, svc: PrivacyServices, itemIndex: number): Promise<INodeExecutionData> {
	const requestId = requestIdParameter(ctx, itemIndex);
	const request = await svc.desk.current(requestId);
	if (request) return { json: requestOutput(request), pairedItem: { item: itemIndex } };
	const trail = await svc.desk.store.listAudit({ requestId });
	if (trail.length === 0) throw new NodeOperationError(ctx.getNode(), `No privacy request ${requestId}.`, { itemIndex });
	const last = [...trail].reverse().find((entry) => entry.toState);
	return { json: { id: requestId, state: last?.toState ?? 'received', fromAuditLog: true, auditEntries: trail.length }, pairedItem: { item: itemIndex } };
}

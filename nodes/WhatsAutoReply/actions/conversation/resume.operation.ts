import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { resume } from '../../../shared/conversation/pause';
import type { StoreAccess } from '../../../shared/store/access';
import { contactField, contactParameter, forOperations } from './fields';
import { statusOutput } from './status.operation';

export const description: INodeProperties[] = forOperations(['resume'], [contactField]);

/** Resume: the AI answers this contact again from their next message. */
export async function execute(ctx: IExecuteFunctions, access: StoreAccess, itemIndex: number): Promise<INodeExecutionData> {
	const person = await contactParameter(ctx, access, itemIndex);
	const wasPaused = await resume(access.store, person.subject);
	return { json: { ...(await statusOutput(access, person.subject, 0)), resumed: wasPaused }, pairedItem: { item: itemIndex } };
}

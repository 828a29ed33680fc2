import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { pauseFor } from '../../../shared/conversation/pause';
import type { StoreAccess } from '../../../shared/store/access';
import { contactField, contactParameter, forOperations, silenceField, silenceMsParameter } from './fields';
import { statusOutput } from './status.operation';

export const description: INodeProperties[] = forOperations(['pause'], [contactField, silenceField]);

/** Pause: a person (a helpdesk, an operator) takes the conversation; the AI sends this contact nothing until resumed or silent long enough. */
export async function execute(ctx: IExecuteFunctions, access: StoreAccess, itemIndex: number): Promise<INodeExecutionData> {
	const person = await contactParameter(ctx, access, itemIndex);
	await pauseFor(access.store, person.subject, 'operator');
	return { json: await statusOutput(access, person.subject, silenceMsParameter(ctx, itemIndex)), pairedItem: { item: itemIndex } };
}

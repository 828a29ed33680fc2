import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { wasDisclosed } from '../../../shared/conversation/firstContact';
import { pauseOf, SILENCE_REASONS } from '../../../shared/conversation/pause';
import { contactRef } from '../../../shared/contact';
import type { StoreAccess } from '../../../shared/store/access';
import { contactField, contactParameter, forOperations, silenceField, silenceMsParameter } from './fields';

export const description: INodeProperties[] = forOperations(['status'], [contactField, silenceField]);

/** Whether the AI answers this person now; never their number, only their contact reference. */
export async function statusOutput(access: StoreAccess, subject: string, silenceMs: number): Promise<IDataObject> {
	const pause = silenceMs > 0 ? await pauseOf(access.store, subject, silenceMs) : undefined;
	return {
		contactKey: contactRef(subject),
		aiPaused: Boolean(pause),
		...(pause ? { reason: SILENCE_REASONS[pause.reason], pausedSince: pause.since, lastActivity: pause.lastActivity, pausedUntil: pause.until } : {}),
		aiDisclosed: await wasDisclosed(access.store, subject),
	};
}

/** Get Status: paused or not, why and until when. */
export async function execute(ctx: IExecuteFunctions, access: StoreAccess, itemIndex: number): Promise<INodeExecutionData> {
	const person = await contactParameter(ctx, access, itemIndex);
	return { json: await statusOutput(access, person.subject, silenceMsParameter(ctx, itemIndex)), pairedItem: { item: itemIndex } };
}

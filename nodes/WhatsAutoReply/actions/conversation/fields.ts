import { NodeOperationError, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import { CONVERSATION_DEFAULTS, pauseSilenceMsOf } from '../reply/options';
import { personOf, type Person } from '../../../shared/store/people';
import type { StoreAccess } from '../../../shared/store/access';

// Defaults come from CONVERSATION_DEFAULTS, the one table the option parser also falls back on; the lint rule only sees literals.
/* eslint-disable n8n-nodes-base/node-param-default-missing */

export type ReplyOperation = 'reply' | 'pause' | 'resume' | 'status' | 'usage' | 'waitlist' | 'notifyWaitlist';

/** `fields` shown only for `operations`. */
export function forOperations(operations: readonly ReplyOperation[], fields: INodeProperties[]): INodeProperties[] {
	return fields.map((field) => ({ ...field, displayOptions: { ...field.displayOptions, show: { ...field.displayOptions?.show, operation: [...operations] } } }));
}

export const contactField: INodeProperties = {
	displayName: 'Contact',
	name: 'contact',
	type: 'string',
	required: true,
	default: '={{ $json.contactKey }}',
	placeholder: 'e.g. wa:3f9c… or +44 7700 900123',
	description:
		'Who: the contact reference (wa:…) a WhatsAuto item carries, a phone number in international format, or a business-scoped user ID',
};

export const silenceField: INodeProperties = {
	displayName: 'Pause Ends After Silence (Hours)',
	name: 'pauseSilenceHours',
	type: 'number',
	typeOptions: { minValue: 0.1, maxValue: 168 },
	default: CONVERSATION_DEFAULTS.pauseSilenceHours,
	description: 'The same setting as in the Auto-Reply node that answers this contact: a pause ends this long after the last word from the people answering',
};

export const silenceMsParameter = (ctx: IExecuteFunctions, itemIndex: number): number =>
	pauseSilenceMsOf(ctx.getNodeParameter('pauseSilenceHours', itemIndex, CONVERSATION_DEFAULTS.pauseSilenceHours));

/** The person the Contact field names, as the store keys them (needs the store credential's key). */
export async function contactParameter(ctx: IExecuteFunctions, access: StoreAccess, itemIndex: number): Promise<Person> {
	if (!access.keys) {
		throw new NodeOperationError(ctx.getNode(), 'Pausing and resuming the AI needs a WhatsAuto: Store API credential (the same as the trigger’s).', { itemIndex });
	}
	const input = ctx.getNodeParameter('contact', itemIndex, '') as unknown;
	if (typeof input !== 'string' || input.trim() === '') {
		throw new NodeOperationError(ctx.getNode(), 'Contact is empty: give the contact reference (wa:…) of a WhatsAuto item, a phone number or a business-scoped user ID.', { itemIndex });
	}
	const person = await personOf(access.store, access.keys, input);
	if (!person) {
		throw new NodeOperationError(ctx.getNode(), `Contact: "${input.slice(0, 3)}…" is not a contact reference (wa:…), a phone number in international format or a business-scoped user ID.`, {
			itemIndex,
		});
	}
	return person;
}

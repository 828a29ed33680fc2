/**
 * The fields several operations show, each defined once, and the readers of the node's parameters. An
 * operation lists the fields it shows through {@link forOperation}, which adds its display condition.
 */
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { Delivery } from '../../shared/privacy/fulfil';
import type { Correction } from '../../shared/privacy/rights';

/** The values of the Operation field. */
export type PrivacyOperation = 'detect' | 'execute' | 'verify' | 'getStatus' | 'listOpen' | 'extend';

/** The fields shown for `operation` only (on top of any condition of their own). */
export function forOperation(operation: PrivacyOperation, properties: INodeProperties[]): INodeProperties[] {
	return properties.map((property) => ({
		...property,
		displayOptions: { ...property.displayOptions, show: { operation: [operation], ...property.displayOptions?.show } },
	}));
}

export const contactField: INodeProperties = {
	displayName: 'Contact',
	name: 'contact',
	type: 'string',
	default: '={{ $json.from?.waId ?? $json.waId ?? $json.phone ?? "" }}',
	description: 'WhatsApp number of the person, digits with country code',
};

export const requestIdField: INodeProperties = {
	displayName: 'Request ID',
	name: 'requestId',
	type: 'string',
	default: '={{ $json.requestId ?? $json.id }}',
};

export const correctedNameField: INodeProperties = {
	displayName: 'Corrected Name',
	name: 'correctedName',
	type: 'string',
	default: '',
	description: 'For correction requests: the name to keep instead',
};

export const correctedLanguageField: INodeProperties = {
	displayName: 'Corrected Language',
	name: 'correctedLanguage',
	type: 'string',
	default: '',
	description: 'For correction requests: the preferred language',
};

export const deliveryField: INodeProperties = {
	displayName: 'Export Delivery',
	name: 'delivery',
	type: 'options',
	options: [
		{ name: 'WhatsApp Document', value: 'whatsapp' },
		{ name: 'Binary Data (E.g. for E-Mail)', value: 'binary' },
		{ name: 'Both', value: 'both' },
	],
	default: 'whatsapp',
	description: 'Where the JSON export of an access request goes',
};

export const sendConfirmationField: INodeProperties = {
	displayName: 'Send Confirmation',
	name: 'sendConfirmation',
	type: 'boolean',
	default: true,
	description: 'Whether to confirm the outcome to the person on WhatsApp, in their language',
};

/** A string parameter of the item. */
export const param = (ctx: IExecuteFunctions, name: string, itemIndex: number, fallback: unknown = '') =>
	ctx.getNodeParameter(name, itemIndex, fallback) as string;

/** The Contact field as digits only. */
export const contactParameter = (ctx: IExecuteFunctions, itemIndex: number) => param(ctx, 'contact', itemIndex).replace(/[^\d]/g, '');

export const requestIdParameter = (ctx: IExecuteFunctions, itemIndex: number) => param(ctx, 'requestId', itemIndex).trim();

/** The node's Corrected Name / Corrected Language fields, each read once; empty ones left out. */
export function correctionParameters(ctx: IExecuteFunctions, itemIndex: number): Correction {
	const name = param(ctx, 'correctedName', itemIndex);
	const language = param(ctx, 'correctedLanguage', itemIndex);
	return { ...(name ? { name } : {}), ...(language ? { language } : {}) };
}

export const deliveryParameter = (ctx: IExecuteFunctions, itemIndex: number, fallback: Delivery) => param(ctx, 'delivery', itemIndex, fallback) as Delivery;

export const sendConfirmationParameter = (ctx: IExecuteFunctions, itemIndex: number) => ctx.getNodeParameter('sendConfirmation', itemIndex, true) as boolean;

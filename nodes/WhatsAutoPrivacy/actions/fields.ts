/**
 * The fields several operations show, each defined once, and the readers of the node's parameters. An
 * operation lists the fields it shows through {@link forOperation}, which adds its display condition.
 */
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { Delivery } from '../../shared/privacy/fulfil';
import { DEFAULT_LIMITS, limitsOf, MAX_LIMIT, type CodeLimits } from '../../shared/privacy/limits';
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
	default: '={{ $json.contactKey ?? $json.from?.waId ?? $json.from?.userId ?? $json.waId ?? $json.userId ?? $json.phone ?? "" }}',
	description:
		'The person: their WhatsApp number with country code (+, spaces and dashes allowed), their business-scoped user ID (e.g. US.13491208655302741918, for people known by a username), or the contactKey of a WhatsAuto Trigger item (wa:…, content by reference)',
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

const LIMIT_RANGE = { minValue: 0, maxValue: MAX_LIMIT, numberPrecision: 0 };

const WRONG_CODES_OPTION: INodeProperties = {
	displayName: 'Wrong Codes per Number per Day',
	name: 'wrongCodesPerNumberPerDay',
	type: 'number',
	typeOptions: LIMIT_RANGE,
	default: 10, // DEFAULT_LIMITS.wrongCodesPerNumberPerDay (the linter wants a literal; a test checks they agree)
	description: 'Wrong codes accepted for one number, over all its requests, in any 24 hours; then no code is checked or sent for it. 0 turns this limit off.',
};

/**
 * The limits against spamming a number with codes or guessing one, counted in the store (every worker sees the
 * same counts). A limited submission sends nothing and says `rate_limited`, the same whatever the number.
 */
export const codeLimitsField: INodeProperties = {
	displayName: 'Limits',
	name: 'limits',
	type: 'collection',
	placeholder: 'Add limit',
	default: {},
	description: `Limits per number and per client, counted in the store across workers. Defaults: ${DEFAULT_LIMITS.codesPerNumberPerHour} codes per number per hour, ${DEFAULT_LIMITS.codesPerNumberPerDay} per day, ${DEFAULT_LIMITS.wrongCodesPerNumberPerDay} wrong codes per number per day, ${DEFAULT_LIMITS.codesPerClientPerHour} codes per client per hour.`,
	options: [
		{
			displayName: 'Codes per Client per Hour',
			name: 'codesPerClientPerHour',
			type: 'number',
			typeOptions: LIMIT_RANGE,
			default: 10, // DEFAULT_LIMITS.codesPerClientPerHour (the linter wants a literal; a test checks they agree)
			description: 'Codes sent at the request of one Client Key in any hour. 0 turns this limit off.',
		},
		{
			displayName: 'Codes per Number per Day',
			name: 'codesPerNumberPerDay',
			type: 'number',
			typeOptions: LIMIT_RANGE,
			default: 5, // DEFAULT_LIMITS.codesPerNumberPerDay (the linter wants a literal; a test checks they agree)
			description: 'Codes sent to one number in any 24 hours. 0 turns this limit off.',
		},
		{
			displayName: 'Codes per Number per Hour',
			name: 'codesPerNumberPerHour',
			type: 'number',
			typeOptions: LIMIT_RANGE,
			default: 3, // DEFAULT_LIMITS.codesPerNumberPerHour (the linter wants a literal; a test checks they agree)
			description: 'Codes sent to one number in any hour. 0 turns this limit off.',
		},
		WRONG_CODES_OPTION,
	],
};

/** Verify's part of the limits: the same field name, so one workflow can set both nodes alike. */
export const guessLimitsField: INodeProperties = {
	displayName: 'Limits',
	name: 'limits',
	type: 'collection',
	placeholder: 'Add limit',
	default: {},
	description: `Default: ${DEFAULT_LIMITS.wrongCodesPerNumberPerDay} wrong codes per number per day, counted in the store across workers`,
	options: [WRONG_CODES_OPTION],
};

export const clientKeyField: INodeProperties = {
	displayName: 'Client Key',
	name: 'clientKey',
	type: 'string',
	default: '',
	placeholder: "e.g. {{ $json.headers?.['x-real-ip'] }}",
	description:
		'Who submits the request (e.g. their IP address as your reverse proxy reports it), for the per-client limit. Stored only as a keyed hash. Empty: no per-client limit.',
};

/** A string parameter of the item. */
export const param = (ctx: IExecuteFunctions, name: string, itemIndex: number, fallback: unknown = '') =>
	ctx.getNodeParameter(name, itemIndex, fallback) as string;

/**
 * The Contact field as given (trimmed): a number, a business-scoped user id or a contact reference, normalised by
 * `personOf` (store/people.ts) like everywhere else — a user id is never turned into digits.
 */
export const contactParameter = (ctx: IExecuteFunctions, itemIndex: number) => String(param(ctx, 'contact', itemIndex) ?? '').trim();

export const requestIdParameter = (ctx: IExecuteFunctions, itemIndex: number) => param(ctx, 'requestId', itemIndex).trim();

/** The node's Corrected Name / Corrected Language fields, each read once; empty ones left out. */
export function correctionParameters(ctx: IExecuteFunctions, itemIndex: number): Correction {
	const name = param(ctx, 'correctedName', itemIndex);
	const language = param(ctx, 'correctedLanguage', itemIndex);
	return { ...(name ? { name } : {}), ...(language ? { language } : {}) };
}

export const deliveryParameter = (ctx: IExecuteFunctions, itemIndex: number, fallback: Delivery) => param(ctx, 'delivery', itemIndex, fallback) as Delivery;

export const sendConfirmationParameter = (ctx: IExecuteFunctions, itemIndex: number) => ctx.getNodeParameter('sendConfirmation', itemIndex, true) as boolean;

/** The node's Limits collection, each limit a whole number (0: off) or its default. */
export const limitsParameter = (ctx: IExecuteFunctions, itemIndex: number): CodeLimits =>
	limitsOf(ctx.getNodeParameter('limits', itemIndex, {}) as Partial<Record<keyof CodeLimits, unknown>>);

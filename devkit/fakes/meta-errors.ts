/**
 * Meta error catalogue: synchronous Graph error bodies and asynchronous webhook error objects (reference §3.5, §2.1, §2.2).
 *
 * Titles follow Meta's error-code table. `details` texts marked "crafted" below are plausible, not verified against
 * real traffic (the reference lists them as UNVERIFIED); code/type/status are what clients should key on anyway.
 */
import { randomBytes } from 'node:crypto';

export const ERROR_CODES_HREF = '/documentation/business-messaging/whatsapp/support/error-codes';

export interface MetaErrorInfo {
	title: string;
	/** HTTP status of the synchronous response. */
	http: number;
	details: string;
	subcode?: number;
}

/** Known WhatsApp codes. */
export const META_ERRORS: Record<number, MetaErrorInfo> = {
	4: { title: 'Application request limit reached', http: 400, details: 'Application request limit reached' },
	10: { title: 'Application does not have permission for this action', http: 403, details: 'Permission denied' },
	100: { title: 'Invalid parameter', http: 400, details: 'Invalid parameter' },
	368: { title: 'Temporarily blocked for policies violations', http: 403, details: 'Temporarily blocked for policies violations' },
	80007: { title: 'Rate limit issues', http: 400, details: 'The WhatsApp Business Account has reached its rate limit.' },
	130429: { title: 'Rate limit hit', http: 400, details: 'Cloud API message throughput has been reached.', subcode: 2494055 },
	131000: { title: 'Something went wrong', http: 500, details: 'Something went wrong' },
	131005: { title: 'Access denied', http: 403, details: 'Permission is either not granted or has been removed.' },
	131008: { title: 'Required parameter is missing', http: 400, details: 'Required parameter is missing' },
	131009: { title: 'Parameter value is not valid', http: 400, details: 'One or more parameter values are invalid.', subcode: 2494010 },
	131016: { title: 'Service unavailable', http: 500, details: 'A service is temporarily unavailable. Please check the status page.' }, // crafted
	131021: { title: 'Recipient cannot be sender', http: 400, details: 'Sender and recipient phone number is the same.' },
	131026: { title: 'Message undeliverable', http: 400, details: 'Message Undeliverable.' }, // crafted
	131030: {
		title: 'Recipient phone number not in allowed list',
		http: 400,
		details: 'Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again.',
	},
	131031: { title: 'Account has been locked', http: 403, details: 'Business Account is restricted from messaging users in this country.' }, // crafted
	131047: {
		title: 'Re-engagement message',
		http: 400,
		details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
	},
	131048: {
		title: 'Spam rate limit hit',
		http: 400,
		details: 'Message failed to send because there are restrictions on how many messages can be sent from this phone number.', // crafted
	},
	131049: {
		title: 'This message was not delivered to maintain healthy ecosystem engagement.',
		http: 400,
		details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
	},
	131050: {
		title: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
		http: 400,
		details: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
	},
	131051: { title: 'Message type unknown', http: 400, details: 'Message type is currently not supported.' },
	131052: { title: 'Media download error', http: 400, details: 'Unable to download the media sent by the user.' }, // crafted
	131053: { title: 'Media upload error', http: 400, details: 'Unable to upload the media used in the message.' }, // crafted
	131056: {
		title: '(Business Account, Consumer Account) pair rate limit hit',
		http: 400,
		details: 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.', // crafted
	},
	131057: { title: 'Account in maintenance mode', http: 500, details: 'Business Account is in maintenance mode' },
	// reference §1.4 (2026 BSUIDs): authentication templates (one-tap, zero-tap, copy code) still need a phone number
	131062: {
		title: 'Business-scoped User ID (BSUID) recipients are not supported for this message',
		http: 400,
		details: 'Business-scoped User ID (BSUID) recipients are not supported for this message.', // crafted
	},
	132000: { title: 'Number of parameters does not match the expected number of params', http: 400, details: 'Number of parameters does not match the expected number of params' },
	132001: { title: 'Template name does not exist in the translation', http: 404, details: 'Template name does not exist in the translation' },
	133010: { title: 'Account not registered', http: 400, details: 'Phone number not registered on the Whatsapp Business Platform.' },
};

/** Codes whose Graph body carries no `error_data` (generic Graph errors rather than WhatsApp ones). */
const PLAIN_GRAPH_CODES = new Set([4, 10, 368]);

/** A random `fbtrace_id` like `Az8or2yhqkZfEZ-_4Qn_Bam` (23 chars). */
export function fbtraceId(): string {
	return 'A' + randomBytes(17).toString('base64url').slice(0, 22);
}

export interface GraphErrorBody {
	error: {
		message: string;
		type: string;
		code: number;
		error_data?: { messaging_product: 'whatsapp'; details: string };
		error_subcode?: number;
		is_transient?: boolean;
		fbtrace_id: string;
	};
}

/**
 * Synchronous Graph error body in Meta's key order:
 * `{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"error_data":{…},"error_subcode":…,"fbtrace_id":"…"}}`.
 * `details: null` omits `error_data` (as for `(#100) The parameter messaging_product is required.`).
 */
export function graphError(
	code: number,
	o: { details?: string | null; message?: string; type?: string; subcode?: number | null } = {},
): GraphErrorBody {
	const info = META_ERRORS[code];
	const details = o.details === undefined ? (PLAIN_GRAPH_CODES.has(code) ? null : (info?.details ?? 'Unknown error')) : o.details;
	const subcode = o.subcode === undefined ? info?.subcode : (o.subcode ?? undefined);
	const error: GraphErrorBody['error'] = {
		message: o.message ?? `(#${code}) ${info?.title ?? 'Unknown error'}`,
		type: o.type ?? 'OAuthException',
		code,
		...(details !== null ? { error_data: { messaging_product: 'whatsapp' as const, details } } : {}),
		...(subcode !== undefined ? { error_subcode: subcode } : {}),
		...(code === 4 ? { is_transient: true } : {}),
		fbtrace_id: fbtraceId(),
	};
	return { error };
}

/** `(#100) …` parameter error without `error_data`, e.g. `(#100) Param text['body'] must be at most 4096 characters long.` */
export function paramError(message: string): GraphErrorBody {
	return graphError(100, { message: `(#100) ${message}`, details: null });
}

/** Real 190 bodies (reference §3.5). `expired` → subcode 463 "Session has expired"; otherwise "Cannot parse access token". */
export function tokenError(expired: boolean, now = new Date()): GraphErrorBody {
	if (!expired) return graphError(190, { message: 'Invalid OAuth access token - Cannot parse access token', details: null });
	const fmt = (d: Date) => d.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1, $2-$3-$4 $5 UTC');
	const message = `Error validating access token: Session has expired on ${fmt(new Date(now.getTime() - 3_600_000))}. The current time is ${fmt(now)}.`;
	return graphError(190, { message, details: null, subcode: 463 });
}

/** Real GraphMethodException for unknown ids / unsupported operations (reference §3.5). */
export function unknownObjectError(method: string, id: string): GraphErrorBody {
	return graphError(100, {
		message:
			`Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, ` +
			'or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api',
		type: 'GraphMethodException',
		details: null,
		subcode: 33,
	});
}

/** The two real mark-as-read errors (reference §3.3). */
export function markReadError(kind: 'outgoing' | 'unknown', messageId: string): GraphErrorBody {
	return graphError(100, {
		subcode: null,
		details:
			kind === 'outgoing'
				? `Message supplied to mark message as read API with message ID: ${messageId} is outgoing. Please use an incoming message ID.`
				: 'Please check the message ID you have provided.',
	});
}

/** A webhook-style error object `{code,title,message,error_data:{details},href}` (statuses[].errors, value.errors, messages[].errors). */
export type WebhookError = {
	code: number;
	title: string;
	message: string;
	error_data: { details: string };
	href?: string;
};

export function webhookError(code: number, o: { details?: string; title?: string; href?: boolean } = {}): WebhookError {
	const info = META_ERRORS[code];
	const title = o.title ?? info?.title ?? 'Unknown error';
	return {
		code,
		title,
		message: title,
		error_data: { details: o.details ?? info?.details ?? title },
		...(o.href === false ? {} : { href: ERROR_CODES_HREF }),
	};
}

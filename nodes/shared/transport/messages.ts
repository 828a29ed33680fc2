import type { IDataObject } from 'n8n-workflow';

import { graphRequest, GraphApiError, type HttpRequester, type RetryPolicy, DEFAULT_RETRY } from './graphApi';
import type { MetaCredentials } from './metaCredentials';
import { backoffDelay, sleep } from './retry';

/** Meta's pair rate limit: about one message every 6 s to the same person (error 131056). */
export const PAIR_RATE_INTERVAL_MS = 6_000;
const PAIR_RATE_ATTEMPTS = 3;

export interface Recipient {
	/** Phone-number WhatsApp id, preferred when known. */
	waId?: string;
	/** Business-scoped user id, for people Meta only identifies by username. */
	userId?: string;
}

interface SendResponse {
	messages?: Array<{ id?: string }>;
}

function addressOf(recipient: Recipient): IDataObject {
	if (recipient.waId) return { to: recipient.waId };
	if (recipient.userId) return { recipient: recipient.userId };
	throw new Error('The message has no sender id to answer (neither wa_id nor user id).');
}

export interface SendOptions {
	policy?: RetryPolicy;
	/** Injected in tests; real waits otherwise. */
	wait?: (ms: number) => Promise<void>;
}

/**
 * One message to one person: `POST /{phone-number-id}/messages`, returning its wamid. Meta's pair rate
 * limit (131056) is waited out a few times; everything else is the transport's retry policy.
 */
async function send(
	http: HttpRequester,
	creds: MetaCredentials,
	recipient: Recipient,
	message: IDataObject,
	options: SendOptions,
): Promise<string> {
	const body = { messaging_product: 'whatsapp', recipient_type: 'individual', ...addressOf(recipient), ...message };
	const wait = options.wait ?? sleep;
	for (let attempt = 1; ; attempt++) {
		try {
			const { body: response } = await graphRequest<SendResponse>(
				http,
				creds,
				{ method: 'POST', path: `/${encodeURIComponent(creds.phoneNumberId)}/messages`, body },
				options.policy ?? DEFAULT_RETRY,
			);
			const id = response?.messages?.[0]?.id;
			if (!id) throw new GraphApiError(200, { message: 'Meta accepted the message but returned no message id.' });
			return id;
		} catch (error) {
			const pairLimited = error instanceof GraphApiError && error.code === 131056;
			if (!pairLimited || attempt >= PAIR_RATE_ATTEMPTS) throw error;
			await wait(backoffDelay(attempt, PAIR_RATE_INTERVAL_MS));
		}
	}
}

/** A sender of one kind of message: `build` turns what is to be sent into the message object. Returns the wamid. */
function sender<T>(build: (what: T) => IDataObject) {
	return async (http: HttpRequester, creds: MetaCredentials, recipient: Recipient, what: T, options: SendOptions = {}): Promise<string> =>
		await send(http, creds, recipient, build(what), options);
}

/** Sends one text message; `replyTo` shows the customer's message quoted above it. Returns the wamid. */
export async function sendText(
	http: HttpRequester,
	creds: MetaCredentials,
	recipient: Recipient,
	text: string,
	replyTo?: string,
	options: SendOptions = {},
): Promise<string> {
	const context = replyTo ? { context: { message_id: replyTo } } : {};
	return await send(http, creds, recipient, { ...context, type: 'text', text: { preview_url: false, body: text } }, options);
}

export interface ReplyButton {
	/** Comes back as `interactive.button_reply.id` when the person taps it: at most 256 characters. */
	id: string;
	/** 1 to 20 characters, unique within the message. */
	title: string;
}

/**
 * An interactive message with up to three reply buttons (`type: interactive`, `interactive.type: button`):
 * the body (≤ 1,024 characters) and the buttons as given, never shortened. A tap arrives as an inbound
 * `interactive` message whose `button_reply` carries the button's id and title. Returns the wamid.
 */
export const sendButtons = sender((message: { body: string; buttons: ReplyButton[]; footer?: string }) => ({
	type: 'interactive',
	interactive: {
		type: 'button',
		body: { text: message.body },
		...(message.footer ? { footer: { text: message.footer } } : {}),
		action: { buttons: message.buttons.map(({ id, title }) => ({ type: 'reply', reply: { id, title } })) },
	},
}));

export interface TemplateMessage {
	name: string;
	language: string;
	/** Positional body parameters ({{1}}, {{2}}, …). */
	bodyParameters: string[];
	/** Authentication templates' copy-code / one-tap button takes the code again as its URL parameter. */
	copyCode?: string;
}

/** Sends an approved template: the only kind of message allowed outside the 24-hour window. */
export const sendTemplate = sender((template: TemplateMessage) => {
	const components = [
		...(template.bodyParameters.length ? [{ type: 'body', parameters: template.bodyParameters.map((text) => ({ type: 'text', text })) }] : []),
		...(template.copyCode ? [{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: template.copyCode }] }] : []),
	];
	return { type: 'template', template: { name: template.name, language: { code: template.language }, ...(components.length ? { components } : {}) } };
});

/** Marks the customer's message (and all before it) as read, optionally showing "typing…" for up to 25 s. */
export async function markAsRead(
	http: HttpRequester,
	creds: MetaCredentials,
	messageId: string,
	typing: boolean,
	policy: RetryPolicy = DEFAULT_RETRY,
): Promise<void> {
	await graphRequest(
		http,
		creds,
		{
			method: 'POST',
			path: `/${encodeURIComponent(creds.phoneNumberId)}/messages`,
			body: {
				messaging_product: 'whatsapp',
				status: 'read',
				message_id: messageId,
				...(typing ? { typing_indicator: { type: 'text' } } : {}),
			},
		},
		policy,
	);
}

/** `POST /{phone-number-id}/media` (multipart): returns the media id to send, valid 30 days. */
export async function uploadMedia(
	http: HttpRequester,
	creds: MetaCredentials,
	data: Buffer,
	mimeType: string,
	fileName: string,
	policy: RetryPolicy = DEFAULT_RETRY,
): Promise<string> {
	const form = new FormData();
	form.append('messaging_product', 'whatsapp');
	form.append('type', mimeType);
	form.append('file', new Blob([new Uint8Array(data)], { type: mimeType }), fileName);
	const { body } = await graphRequest<{ id?: string }>(
		http,
		creds,
		{ method: 'POST', path: `/${encodeURIComponent(creds.phoneNumberId)}/media`, body: form as unknown as IDataObject },
		policy,
	);
	if (!body?.id) throw new GraphApiError(200, { message: 'Meta accepted the upload but returned no media id.' });
	return body.id;
}

/** Sends an uploaded document with a caption (≤ 1,024 characters). */
export const sendDocument = sender((document: { mediaId: string; fileName: string; caption?: string }) => ({
	type: 'document',
	document: { id: document.mediaId, filename: document.fileName, ...(document.caption ? { caption: document.caption.slice(0, 1024) } : {}) },
}));

/**
 * Builders for WhatsApp Cloud API webhook payloads (reference §1.4, §2, §2.1–§2.3).
 *
 *   const m = msg.text('16505551234', 'Olá');                          // one messages[] object
 *   const img = msg.image('16505551234', graph.addMedia({...}), { caption: 'Taj' });
 *   envelope(account, [messagesChange(account, [m, img], { names: { '16505551234': 'José' } })]);
 *
 * Objects use Meta's key order (context, from, id, timestamp, type, <type>, referral); serialise them with
 * `webhookBytes()` from `./meta-json` to get Meta's exact bytes. All timestamps are strings of Unix seconds.
 */
import { randomBytes } from 'node:crypto';

import { webhookError, type WebhookError } from './meta-errors';

export type { WebhookError } from './meta-errors';

/** The business side of a payload (`entry[].id` and `value.metadata`). */
export interface Account {
	phoneNumberId: string;
	displayPhoneNumber: string;
	businessAccountId: string;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json | undefined };
export type JsonObject = { [k: string]: Json | undefined };

export interface WebhookMessage extends JsonObject {
	from?: string;
	id: string;
	timestamp: string;
	type: string;
}
export interface WebhookStatus extends JsonObject {
	id: string;
	status: 'sent' | 'delivered' | 'read' | 'played' | 'failed';
	timestamp: string;
	recipient_id?: string;
}
export interface WebhookContact extends JsonObject {
	profile?: { name?: string; username?: string };
	wa_id?: string;
	user_id?: string;
}
export interface WebhookChange {
	value: JsonObject & { messaging_product: 'whatsapp'; metadata: { display_phone_number: string; phone_number_id: string } };
	field: string;
}
export interface WebhookEntry {
	id: string;
	changes: WebhookChange[];
}
export interface WebhookEnvelope {
	object: 'whatsapp_business_account';
	entry: WebhookEntry[];
}

/** Media a customer sent; `addMedia()` on the fake returns one so ids/sha256 match what the fake serves. */
export interface MediaRef {
	id: string;
	mimeType: string;
	/** base64 sha256, as in webhooks (GET /{media-id} returns hex). */
	sha256Base64: string;
	/** Optional direct download URL (present in webhooks since late 2025). */
	url?: string;
}

export type Timestamp = number | string | Date;

export interface MessageOpts {
	id?: string;
	/** Date, Unix seconds (number or string); default: now. */
	timestamp?: Timestamp;
	context?: JsonObject;
	referral?: JsonObject;
	/** 2026 business-scoped user id → `from_user_id`. */
	fromUserId?: string;
	/** Omit `from` (username users without recent contact, 2026). */
	omitFrom?: boolean;
	/** Extra/override properties merged last. */
	extra?: JsonObject;
}

// ---------------------------------------------------------------- ids & time

/** Unix seconds as a string. */
export function unixSeconds(t: Timestamp = new Date()): string {
	if (t instanceof Date) return String(Math.floor(t.getTime() / 1000));
	return String(Math.floor(Number(t)));
}

/**
 * A realistic wamid: `wamid.` + base64 of Meta's framing (`HBgL` + base64(waId) + …), e.g.
 * `wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=`. Inbound and outbound ids differ like the real ones.
 */
export function wamid(waId = '16505551234', direction: 'in' | 'out' = 'in'): string {
	const digits = Buffer.from(waId.replace(/\D/g, '').slice(0, 20) || '0');
	const tail = randomBytes(10).toString('hex').toUpperCase().slice(0, direction === 'in' ? 20 : 18);
	const frame = Buffer.concat([
		Buffer.from([0x1c, 0x18, digits.length]),
		digits,
		Buffer.from([0x15, 0x02, 0x00, direction === 'in' ? 0x12 : 0x11, 0x18, tail.length]),
		Buffer.from(tail),
		Buffer.from([0x00]),
	]);
	return 'wamid.' + frame.toString('base64');
}

/** A numeric Graph-style id (media ids, catalog ids…). */
export function numericId(digits = 16): string {
	let s = String(1 + (randomBytes(1)[0] % 9));
	while (s.length < digits) s += String(randomBytes(1)[0] % 10);
	return s;
}

// ---------------------------------------------------------------- messages[] builders

function base(from: string, type: string, o: MessageOpts = {}): WebhookMessage {
	const m: Record<string, Json | undefined> = {};
	if (o.context) m.context = o.context;
	if (!o.omitFrom) m.from = from;
	if (o.fromUserId) m.from_user_id = o.fromUserId;
	m.id = o.id ?? wamid(from);
	m.timestamp = unixSeconds(o.timestamp);
	m.type = type;
	return m as WebhookMessage;
}
function finish(m: WebhookMessage, o: MessageOpts = {}): WebhookMessage {
	if (o.referral) m.referral = o.referral;
	return o.extra ? { ...m, ...o.extra } : m;
}
function mediaObject(media: MediaRef, o: { url?: string | false }, extra: JsonObject): JsonObject {
	const url = o.url === false ? undefined : (o.url ?? media.url);
	return { ...extra, mime_type: media.mimeType, sha256: media.sha256Base64, id: media.id, ...(url ? { url } : {}) };
}
const drop = (o: JsonObject): JsonObject => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export interface MediaMessageOpts extends MessageOpts {
	/** Override or (false) omit the `url` field. */
	url?: string | false;
}

/** Inbound message builders, one per type in reference §2. */
export const msg = {
	text: (from: string, body: string, o?: MessageOpts) => finish({ ...base(from, 'text', o), text: { body } }, o),

	image: (from: string, media: MediaRef, o: MediaMessageOpts & { caption?: string } = {}) =>
		finish({ ...base(from, 'image', o), image: mediaObject(media, o, drop({ caption: o.caption })) }, o),

	video: (from: string, media: MediaRef, o: MediaMessageOpts & { caption?: string } = {}) =>
		finish({ ...base(from, 'video', o), video: mediaObject(media, o, drop({ caption: o.caption })) }, o),

	/** `voice` defaults to true (a voice note); forwarded audio files have `voice:false`. */
	audio: (from: string, media: MediaRef, o: MediaMessageOpts & { voice?: boolean } = {}) =>
		finish({ ...base(from, 'audio', o), audio: { ...mediaObject(media, o, {}), voice: o.voice ?? true } }, o),

	document: (from: string, media: MediaRef, o: MediaMessageOpts & { caption?: string; filename?: string } = {}) =>
		finish({ ...base(from, 'document', o), document: mediaObject(media, o, drop({ caption: o.caption, filename: o.filename })) }, o),

	sticker: (from: string, media: MediaRef, o: MediaMessageOpts & { animated?: boolean } = {}) =>
		finish({ ...base(from, 'sticker', o), sticker: { ...mediaObject(media, o, {}), animated: o.animated ?? false } }, o),

	/** A chosen place has name/address/url; a live pin only lat/long. */
	location: (
		from: string,
		loc: { latitude: number; longitude: number; name?: string; address?: string; url?: string },
		o?: MessageOpts,
	) =>
		finish(
			{ ...base(from, 'location', o), location: drop({ address: loc.address, latitude: loc.latitude, longitude: loc.longitude, name: loc.name, url: loc.url }) },
			o,
		),

	/** Shared vCards; every sub-field is optional. */
	contacts: (from: string, cards: JsonObject[], o?: MessageOpts) => finish({ ...base(from, 'contacts', o), contacts: cards }, o),

	buttonReply: (from: string, reply: { id: string; title: string }, o?: MessageOpts) =>
		finish({ ...base(from, 'interactive', o), interactive: { type: 'button_reply', button_reply: reply } }, o),

	listReply: (from: string, reply: { id: string; title: string; description?: string }, o?: MessageOpts) =>
		finish({ ...base(from, 'interactive', o), interactive: { type: 'list_reply', list_reply: drop(reply) } }, o),

	/** Flow / address reply; `response_json` is a JSON *string* on the wire. */
	nfmReply: (from: string, r: { response: JsonObject | string; name?: string; body?: string }, o?: MessageOpts) =>
		finish(
			{
				...base(from, 'interactive', o),
				interactive: {
					type: 'nfm_reply',
					nfm_reply: {
						name: r.name ?? 'flow',
						body: r.body ?? 'Sent',
						response_json: typeof r.response === 'string' ? r.response : JSON.stringify(r.response),
					},
				},
			},
			o,
		),

	/** The answer to a call permission request (Calling API). */
	callPermissionReply: (
		from: string,
		r: { response: 'accept' | 'reject'; expiresAt?: Timestamp; source?: 'user_action' | 'automatic'; permanent?: boolean },
		o?: MessageOpts,
	) =>
		finish(
			{
				...base(from, 'interactive', o),
				interactive: {
					type: 'call_permission_reply',
					call_permission_reply: drop({
						response: r.response,
						is_permanent: r.permanent,
						expiration_timestamp: r.expiresAt === undefined ? undefined : unixSeconds(r.expiresAt),
						response_source: r.source ?? 'user_action',
					}),
				},
			},
			o,
		),

	/** Quick-reply tap on a template. */
	button: (from: string, b: { payload: string; text: string }, o?: MessageOpts) => finish({ ...base(from, 'button', o), button: b }, o),

	/** `emoji: undefined` = reaction removed (no emoji key, as Meta sends); `''` = pywa-style removal. */
	reaction: (from: string, messageId: string, emoji: string | undefined, o?: MessageOpts) =>
		finish({ ...base(from, 'reaction', o), reaction: drop({ message_id: messageId, emoji }) }, o),

	order: (
		from: string,
		order: { catalog_id: string; text?: string; product_items: { product_retailer_id: string; quantity: number; item_price: number; currency: string }[] },
		o?: MessageOpts,
	) => finish({ ...base(from, 'order', o), order: { catalog_id: order.catalog_id, text: order.text ?? '', product_items: order.product_items } }, o),

	/** System message (number change). `messagesChange` sends no `contacts` for it. */
	system: (from: string, s: { newWaId: string; body?: string; type?: 'user_changed_number' | 'customer_identity_changed' }, o?: MessageOpts) =>
		finish(
			{
				...base(from, 'system', o),
				system: { body: s.body ?? `User changed from ${from} to ${s.newWaId}`, wa_id: s.newWaId, type: s.type ?? 'user_changed_number' },
			},
			o,
		),

	/**
	 * System message for a changed business-scoped user id (Meta changelog, Aug 2026): `system.user_id` is the new
	 * BSUID, `system.previous_user_id` the old one; no phone number, no `from` unless one is given.
	 */
	userIdChanged: (previousUserId: string, userId: string, o: MessageOpts & { from?: string; body?: string } = {}) =>
		finish(
			{
				...base(o.from ?? '', 'system', { ...o, omitFrom: o.from === undefined }),
				system: {
					body: o.body ?? 'User changed their business-scoped user ID',
					type: 'user_changed_user_id',
					previous_user_id: previousUserId,
					user_id: userId,
				},
			},
			o,
		),

	requestWelcome: (from: string, o?: MessageOpts) => finish(base(from, 'request_welcome', o), o),

	/** `unsupported.type` e.g. 'edit', 'poll_creation', 'gif'; `legacy` omits the `unsupported` object. */
	unsupported: (from: string, kind = 'edit', o: MessageOpts & { legacy?: boolean } = {}) => {
		const m = base(from, 'unsupported', o);
		const { type, ...head } = m;
		const out: WebhookMessage = { ...head, errors: [webhookError(131051, { href: false })], type } as WebhookMessage;
		if (!o.legacy) out.unsupported = { type: kind };
		return finish(out, o);
	},

	/** Coexistence only. */
	edit: (from: string, originalId: string, message: JsonObject, o?: MessageOpts) =>
		finish({ ...base(from, 'edit', o), edit: { original_message_id: originalId, message } }, o),
	revoke: (from: string, originalId: string, o?: MessageOpts) =>
		finish({ ...base(from, 'revoke', o), revoke: { original_message_id: originalId } }, o),
};

// ---------------------------------------------------------------- context & referral

export const context = {
	/** The user quoted/replied to one of our messages (`from` = business display number). */
	reply: (businessDisplayNumber: string, quotedId: string): JsonObject => ({ from: businessDisplayNumber, id: quotedId }),
	forwarded: (frequently = false): JsonObject => (frequently ? { frequently_forwarded: true } : { forwarded: true }),
	referredProduct: (businessDisplayNumber: string, quotedId: string, catalogId: string, productRetailerId: string): JsonObject => ({
		from: businessDisplayNumber,
		id: quotedId,
		referred_product: { catalog_id: catalogId, product_retailer_id: productRetailerId },
	}),
};

/** Click-to-WhatsApp ad referral (reference §2). */
export function ctwaReferral(over: JsonObject = {}): JsonObject {
	return {
		source_url: 'https://fb.me/3cr4Wqqkv',
		source_id: '120226305854810726',
		source_type: 'ad',
		body: 'Summer Succulents are here!',
		headline: 'Chat with us',
		media_type: 'image',
		image_url: 'https://scontent.xx.fbcdn.net/v/t45.1/ad-image.jpg',
		ctwa_clid: 'Aff-n8ZTODiE79d22KtAwQKj9e_mIEOOj27vDVwFjN80dp4_0NiNhEgpGo0AHemvuSoifXaytfTzcchptiErTKCqTrJ5nW1h7IHYeYymGb5K5J5iJuCTzPmUz6U',
		welcome_message: { text: 'Hi there! Let us know how we can help!' },
		...over,
	};
}

// ---------------------------------------------------------------- statuses (§2.1)

export interface StatusOpts {
	timestamp?: Timestamp;
	pricing?: JsonObject | false;
	/** v<24 webhooks carry a conversation object; pass one to include it. */
	conversation?: JsonObject;
	errors?: WebhookError[];
	bizOpaqueCallbackData?: string;
	extra?: JsonObject;
}

/** Free reply inside the customer-service window. */
export const SERVICE_PRICING: JsonObject = { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' };
export const templatePricing = (category = 'utility'): JsonObject => ({ billable: true, pricing_model: 'PMP', type: 'regular', category });

export function conversationObject(origin = 'service', expiresAt: Timestamp = Date.now() / 1000 + 86_400): JsonObject {
	return { id: randomBytes(16).toString('hex'), expiration_timestamp: unixSeconds(expiresAt), origin: { type: origin } };
}

export function status(id: string, recipientId: string, state: WebhookStatus['status'], o: StatusOpts = {}): WebhookStatus {
	const s: WebhookStatus = { id, status: state, timestamp: unixSeconds(o.timestamp), recipient_id: recipientId };
	if (o.bizOpaqueCallbackData) s.biz_opaque_callback_data = o.bizOpaqueCallbackData;
	if (o.conversation) s.conversation = o.conversation;
	if (o.pricing) s.pricing = o.pricing;
	if (o.errors) s.errors = o.errors;
	return o.extra ? { ...s, ...o.extra } : s;
}

/** `failed` status carrying one webhook error, e.g. `failedStatus(id, wa, 131047)`. */
export function failedStatus(id: string, recipientId: string, code: number | WebhookError, o: StatusOpts = {}): WebhookStatus {
	return status(id, recipientId, 'failed', { ...o, errors: [typeof code === 'number' ? webhookError(code) : code] });
}

// ---------------------------------------------------------------- changes & envelope

function value(account: Account): WebhookChange['value'] {
	return {
		messaging_product: 'whatsapp',
		metadata: { display_phone_number: account.displayPhoneNumber, phone_number_id: account.phoneNumberId },
	};
}

export const DEFAULT_PROFILE_NAME = 'Test User';

/**
 * `contacts[]` for the senders of these messages (system messages excluded, as Meta does). `usernames` (keyed by the
 * sender's `from`, else `from_user_id`) adds `profile.username` (2026).
 */
export function contactsFor(
	messages: WebhookMessage[],
	names: Record<string, string> | string = {},
	usernames: Record<string, string> = {},
): WebhookContact[] {
	const seen = new Map<string, WebhookContact>();
	for (const m of messages) {
		if (m.type === 'system') continue;
		const key = m.from ?? (m.from_user_id as string | undefined);
		if (!key || seen.has(key)) continue;
		const name = typeof names === 'string' ? names : (names[key] ?? DEFAULT_PROFILE_NAME);
		const c: WebhookContact = { profile: { name, ...(usernames[key] ? { username: usernames[key] } : {}) } };
		if (m.from) c.wa_id = m.from;
		if (m.from_user_id) c.user_id = m.from_user_id as string;
		seen.set(key, c);
	}
	return [...seen.values()];
}

/** `field:"messages"` change with inbound messages; contacts derived unless given. */
export function messagesChange(
	account: Account,
	messages: WebhookMessage[],
	o: { contacts?: WebhookContact[]; names?: Record<string, string> | string; usernames?: Record<string, string> } = {},
): WebhookChange {
	const contacts = o.contacts ?? contactsFor(messages, o.names, o.usernames);
	return { value: { ...value(account), ...(contacts.length ? { contacts } : {}), messages }, field: 'messages' };
}

/**
 * `field:"standby"`: Meta's Business Agent holds the conversation, so the messages (and its replies and their
 * receipts) arrive here instead of on `messages`. The value is shaped like a messages value.
 */
export function standbyChange(
	account: Account,
	messages: WebhookMessage[],
	o: { contacts?: WebhookContact[]; names?: Record<string, string> | string; echoes?: WebhookMessage[]; statuses?: WebhookStatus[] } = {},
): WebhookChange {
	const contacts = o.contacts ?? contactsFor(messages, o.names);
	return {
		value: {
			...value(account),
			...(contacts.length ? { contacts } : {}),
			...(messages.length ? { messages } : {}),
			...(o.echoes ? { message_echoes: o.echoes } : {}),
			...(o.statuses ? { statuses: o.statuses } : {}),
		},
		field: 'standby',
	};
}

export function statusesChange(account: Account, statuses: WebhookStatus[]): WebhookChange {
	return { value: { ...value(account), statuses }, field: 'messages' };
}

/** Value-level errors (§2.2). Default: the 130429 example from the reference. */
export function valueErrorsChange(account: Account, errors?: WebhookError[]): WebhookChange {
	const errs = errors ?? [
		webhookError(130429, {
			details: 'Message failed to send because there were too many messages sent from this phone number in a short period of time',
		}),
	];
	return { value: { ...value(account), errors: errs }, field: 'messages' };
}

/**
 * `field:"user_preferences"` (§2.3): marketing stop/resume made inside WhatsApp. `userId` adds the person's
 * business-scoped user id (2026); with `waId` '' the person is known by it alone (no `wa_id`).
 */
export function userPreferencesChange(
	account: Account,
	waId: string,
	pref: 'stop' | 'resume',
	o: { timestamp?: Timestamp; detail?: string; userId?: string } = {},
): WebhookChange {
	const ids = { ...(waId ? { wa_id: waId } : {}), ...(o.userId ? { user_id: o.userId } : {}) };
	return {
		field: 'user_preferences',
		value: {
			...value(account),
			contacts: [ids],
			user_preferences: [
				{
					...ids,
					category: 'marketing_messages',
					value: pref,
					detail: o.detail ?? (pref === 'stop' ? 'User requested to stop marketing messages' : 'User requested to resume marketing messages'),
					timestamp: Number(unixSeconds(o.timestamp)),
				},
			],
		},
	};
}

/** An echo of a message the business sent from the WhatsApp Business app (coexistence). */
export function echo(account: Account, to: string, body: string, o: MessageOpts = {}): WebhookMessage {
	const m: WebhookMessage = {
		from: account.displayPhoneNumber,
		to,
		id: o.id ?? wamid(to, 'out'),
		timestamp: unixSeconds(o.timestamp),
		type: 'text',
		text: { body },
	};
	return finish(m, o);
}

/** `field:"smb_message_echoes"` (§2.3). */
export function echoesChange(account: Account, echoes: WebhookMessage[]): WebhookChange {
	return { field: 'smb_message_echoes', value: { ...value(account), message_echoes: echoes } };
}

/**
 * The top-level envelope. Pass changes (one entry for `account`'s WABA) or whole entries (batching across entries).
 */
export function envelope(account: Account, changesOrEntries: WebhookChange[] | WebhookEntry[]): WebhookEnvelope {
	const isEntries = changesOrEntries.length > 0 && 'changes' in changesOrEntries[0];
	const entry = isEntries
		? (changesOrEntries as WebhookEntry[])
		: [{ id: account.businessAccountId, changes: changesOrEntries as WebhookChange[] }];
	return { object: 'whatsapp_business_account', entry };
}

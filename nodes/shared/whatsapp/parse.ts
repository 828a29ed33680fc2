import { createHash } from 'node:crypto';

import type {
	InboundMessage,
	MediaDetails,
	MediaType,
	MessageContent,
	MessageContext,
	MessageEchoUpdate,
	OrderDetails,
	Referral,
	Sender,
	SharedContact,
	StatusUpdate,
	TextContent,
	UnknownFieldUpdate,
	UpdateBase,
	UserPreferencesUpdate,
	ValueErrorUpdate,
	WebhookUpdate,
	WhatsAppError,
} from './types';

/** The delivery is not a WhatsApp Business webhook at all; answer 400. `reason` never quotes the body. */
export class DeliveryRejectedError extends Error {
	readonly status = 400;

	constructor(readonly reason: string) {
		super(`Webhook delivery rejected: ${reason}`);
		this.name = 'DeliveryRejectedError';
	}
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asObject = (v: unknown): Json => (isObject(v) ? v : {});
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

function str(v: unknown): string | undefined {
	if (typeof v === 'string') return v;
	if (typeof v === 'number' && Number.isFinite(v)) return String(v);
	return undefined;
}

function num(v: unknown): number | undefined {
	const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
	return Number.isFinite(n) ? n : undefined;
}

function time(v: unknown): { timestamp: string; timestampUnix: number } | undefined {
	const seconds = num(v);
	if (seconds === undefined) return undefined;
	const date = new Date(seconds * 1000);
	return Number.isNaN(date.getTime()) ? undefined : { timestamp: date.toISOString(), timestampUnix: seconds };
}

function compact<T extends object>(o: T): T {
	for (const key of Object.keys(o) as Array<keyof T>) if (o[key] === undefined) delete o[key];
	return o;
}

function errorsOf(v: unknown): WhatsAppError[] | undefined {
	const errors = objects(v).map(
		(e): WhatsAppError =>
			compact({
				code: num(e.code) ?? 0,
				title: str(e.title) ?? '',
				message: str(e.message),
				details: str(asObject(e.error_data).details),
				href: str(e.href),
			}),
	);
	return errors.length > 0 ? errors : undefined;
}

function media(v: unknown): MediaDetails | undefined {
	const mediaId = isObject(v) ? str(v.id) : undefined;
	if (!isObject(v) || !mediaId) return undefined;
	return compact({
		mediaId,
		mimeType: str(v.mime_type) ?? '',
		sha256: str(v.sha256) ?? '',
		caption: str(v.caption),
		url: str(v.url),
		fileSize: num(v.file_size),
	});
}

const coordinate = (n: number): string => String(Number(n.toFixed(5)));

function sharedContact(c: Json): SharedContact {
	const name = asObject(c.name);
	return compact({
		name: compact({
			formattedName: str(name.formatted_name),
			firstName: str(name.first_name),
			lastName: str(name.last_name),
			middleName: str(name.middle_name),
			suffix: str(name.suffix),
			prefix: str(name.prefix),
		}),
		phones: objects(c.phones).map((p) => compact({ phone: str(p.phone), waId: str(p.wa_id), type: str(p.type) })),
		emails: objects(c.emails).map((e) => compact({ email: str(e.email), type: str(e.type) })),
		addresses: objects(c.addresses).map((a) =>
			compact({
				street: str(a.street),
				city: str(a.city),
				state: str(a.state),
				zip: str(a.zip),
				country: str(a.country),
				countryCode: str(a.country_code),
				type: str(a.type),
			}),
		),
		urls: objects(c.urls).map((u) => compact({ url: str(u.url), type: str(u.type) })),
		org: isObject(c.org)
			? compact({ company: str(c.org.company), department: str(c.org.department), title: str(c.org.title) })
			: undefined,
		birthday: str(c.birthday),
	});
}

function contactLabel(c: SharedContact): string {
	const { formattedName, firstName, middleName, lastName } = c.name;
	const parts = [firstName, middleName, lastName].filter(Boolean).join(' ');
	return formattedName || parts || c.phones[0]?.phone || '';
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
	try {
		const parsed: unknown = JSON.parse(text);
		return isObject(parsed) ? parsed : undefined;
	} catch {
		return undefined;
	}
}

function orderText(order: OrderDetails): string {
	const items = order.productItems
		.map((i) => `${i.quantity} × ${i.productRetailerId} (${`${i.itemPrice} ${i.currency}`.trim()})`)
		.join(', ');
	return [`Order: ${items || 'no items'}`, order.text].filter(Boolean).join('\n');
}

function context(v: unknown): MessageContext | undefined {
	if (!isObject(v)) return undefined;
	const product = isObject(v.referred_product) ? v.referred_product : undefined;
	return compact({
		from: str(v.from),
		messageId: str(v.id),
		forwarded: v.forwarded === true,
		frequentlyForwarded: v.frequently_forwarded === true,
		referredProduct: product && {
			catalogId: str(product.catalog_id) ?? '',
			productRetailerId: str(product.product_retailer_id) ?? '',
		},
	});
}

function referral(v: unknown): Referral | undefined {
	if (!isObject(v)) return undefined;
	return compact({
		sourceUrl: str(v.source_url) ?? '',
		sourceId: str(v.source_id) ?? '',
		sourceType: str(v.source_type) ?? '',
		body: str(v.body),
		headline: str(v.headline),
		mediaType: str(v.media_type),
		imageUrl: str(v.image_url),
		videoUrl: str(v.video_url),
		thumbnailUrl: str(v.thumbnail_url),
		ctwaClid: str(v.ctwa_clid),
		welcomeMessage: str(asObject(v.welcome_message).text),
	});
}

type Common = Omit<TextContent, 'type' | 'text'>;

/** The type-specific part, or undefined when `type` is unknown or its payload is missing/malformed. */
function typedContent(type: string | undefined, m: Json, c: Common): MessageContent | undefined {
	const d = type === undefined ? undefined : m[type];
	switch (type) {
		case 'text':
			return isObject(d) ? { ...c, type, text: str(d.body) ?? '' } : undefined;
		case 'image':
		case 'video': {
			const details = media(d);
			if (!details) return undefined;
			const text = details.caption ?? '';
			return type === 'image' ? { ...c, type, text, image: details } : { ...c, type, text, video: details };
		}
		case 'audio': {
			const details = media(d);
			return details && { ...c, type, text: '', audio: { ...details, voice: asObject(d).voice === true } };
		}
		case 'document': {
			const details = media(d);
			const document = details && compact({ ...details, filename: str(asObject(d).filename) });
			return document && { ...c, type, text: document.caption ?? '', document };
		}
		case 'sticker': {
			const details = media(d);
			return details && { ...c, type, text: '', sticker: { ...details, animated: asObject(d).animated === true } };
		}
		case 'location': {
			if (!isObject(d)) return undefined;
			const latitude = num(d.latitude);
			const longitude = num(d.longitude);
			if (latitude === undefined || longitude === undefined) return undefined;
			const location = compact({ latitude, longitude, name: str(d.name), address: str(d.address), url: str(d.url) });
			const coords = `${coordinate(latitude)}, ${coordinate(longitude)}`;
			const place = [location.name, location.address].filter(Boolean).join(', ');
			return { ...c, type, text: place ? `${place} (${coords})` : coords, location };
		}
		case 'contacts': {
			if (!Array.isArray(d)) return undefined;
			const contacts = objects(d).map(sharedContact);
			return { ...c, type, text: contacts.map(contactLabel).filter(Boolean).join(', '), contacts };
		}
		case 'interactive': {
			if (!isObject(d)) return undefined;
			const button = isObject(d.button_reply) ? d.button_reply : undefined;
			const list = isObject(d.list_reply) ? d.list_reply : undefined;
			const nfm = isObject(d.nfm_reply) ? d.nfm_reply : undefined;
			const raw = nfm?.response_json;
			const responseJson = isObject(raw) ? JSON.stringify(raw) : (str(raw) ?? '');
			const interactive = compact({
				type: str(d.type) ?? '',
				buttonReply: button && { id: str(button.id) ?? '', title: str(button.title) ?? '' },
				listReply:
					list && compact({ id: str(list.id) ?? '', title: str(list.title) ?? '', description: str(list.description) }),
				nfmReply:
					nfm &&
					compact({
						name: str(nfm.name) ?? '',
						body: str(nfm.body) ?? '',
						response: parseJsonObject(responseJson),
						responseJson,
					}),
			});
			const text =
				interactive.buttonReply?.title ?? interactive.listReply?.title ?? interactive.nfmReply?.body ?? '';
			return { ...c, type, text, interactive };
		}
		case 'button': {
			if (!isObject(d)) return undefined;
			const button = { payload: str(d.payload) ?? '', text: str(d.text) ?? '' };
			return { ...c, type, text: button.text, button };
		}
		case 'reaction': {
			if (!isObject(d)) return undefined;
			const emoji = str(d.emoji) ?? '';
			return { ...c, type, text: emoji, reaction: { messageId: str(d.message_id) ?? '', emoji, removed: emoji === '' } };
		}
		case 'order': {
			if (!isObject(d)) return undefined;
			const order: OrderDetails = {
				catalogId: str(d.catalog_id) ?? '',
				text: str(d.text) ?? '',
				productItems: objects(d.product_items).flatMap((i) => {
					const productRetailerId = str(i.product_retailer_id);
					const quantity = num(i.quantity);
					const itemPrice = num(i.item_price);
					return productRetailerId === undefined || quantity === undefined || itemPrice === undefined
						? []
						: [{ productRetailerId, quantity, itemPrice, currency: str(i.currency) ?? '' }];
				}),
			};
			return { ...c, type, text: orderText(order), order };
		}
		case 'system': {
			if (!isObject(d)) return undefined;
			const system = compact({
				type: str(d.type) ?? '',
				body: str(d.body) ?? '',
				waId: str(d.wa_id) ?? str(d.new_wa_id),
				identity: str(d.identity),
				customer: str(d.customer),
			});
			return { ...c, type, text: system.body, system };
		}
		case 'request_welcome':
			return { ...c, type, text: '' };
		case 'unsupported':
			return { ...c, type, text: '', unsupported: compact({ type: str(asObject(d).type) }) };
		default:
			return undefined;
	}
}

/** Everything about a message except who sent it. Shared by inbound messages and echoes. */
function content(m: Json): MessageContent | undefined {
	const messageId = str(m.id);
	const when = time(m.timestamp);
	if (!messageId || !when) return undefined;
	const common: Common = compact({
		messageId,
		...when,
		context: context(m.context),
		referral: referral(m.referral),
		errors: errorsOf(m.errors),
	});
	const type = str(m.type);
	return typedContent(type, m, common) ?? { ...common, type: 'unsupported', text: '', unsupported: compact({ type }) };
}

/** The `contacts[]` entry for this sender; contacts[0] only if it does not name someone else. */
function senderContact(contacts: Json[], from?: string, fromUserId?: string): Json | undefined {
	const matched = contacts.find(
		(c) => (from !== undefined && str(c.wa_id) === from) || (fromUserId !== undefined && str(c.user_id) === fromUserId),
	);
	if (matched) return matched;
	const first = contacts[0];
	if (!first) return undefined;
	const waId = str(first.wa_id);
	const userId = str(first.user_id);
	const other = (from !== undefined && waId !== undefined) || (fromUserId !== undefined && userId !== undefined);
	return other ? undefined : first;
}

function inbound(base: UpdateBase, m: Json, contacts: Json[]): InboundMessage | undefined {
	const parsed = content(m);
	if (!parsed) return undefined;
	const fromWaId = str(m.from);
	const fromUserId = str(m.from_user_id);
	const contact = asObject(senderContact(contacts, fromWaId, fromUserId));
	const profile = asObject(contact.profile);
	const from: Sender = compact({
		waId: fromWaId ?? str(contact.wa_id),
		userId: fromUserId ?? str(contact.user_id),
		username: str(profile.username),
		name: str(profile.name),
		parentUserId: str(contact.parent_user_id),
	});
	const contactKey = fromWaId ?? fromUserId ?? str(contact.user_id) ?? '';
	return { ...base, kind: 'message', from, contactKey, ...parsed };
}

function echo(base: UpdateBase, m: Json): MessageEchoUpdate | undefined {
	const parsed = content(m);
	if (!parsed) return undefined;
	return compact({
		...base,
		kind: 'message_echo' as const,
		from: str(m.from) ?? '',
		to: str(m.to) ?? '',
		toUserId: str(m.to_user_id),
		...parsed,
	});
}

function status(base: UpdateBase, s: Json): StatusUpdate | undefined {
	const messageId = str(s.id);
	const value = str(s.status);
	const when = time(s.timestamp);
	if (!messageId || !value || !when) return undefined;
	const conversation = isObject(s.conversation) ? s.conversation : undefined;
	const pricing = isObject(s.pricing) ? s.pricing : undefined;
	return compact({
		...base,
		kind: 'status' as const,
		messageId,
		status: value,
		recipientId: str(s.recipient_id),
		recipientUserId: str(s.recipient_user_id),
		...when,
		conversation:
			conversation &&
			compact({
				id: str(conversation.id) ?? '',
				expirationTimestamp: str(conversation.expiration_timestamp),
				originType: str(asObject(conversation.origin).type),
			}),
		pricing:
			pricing &&
			compact({
				billable: pricing.billable === true,
				pricingModel: str(pricing.pricing_model) ?? '',
				category: str(pricing.category) ?? '',
				type: str(pricing.type),
			}),
		errors: errorsOf(s.errors),
		bizOpaqueCallbackData: str(s.biz_opaque_callback_data),
	});
}

function preference(base: UpdateBase, p: Json): UserPreferencesUpdate | undefined {
	const waId = str(p.wa_id);
	const category = str(p.category);
	const value = str(p.value);
	const when = time(p.timestamp);
	if (!waId || !category || !value || !when) return undefined;
	return compact({ ...base, kind: 'user_preferences' as const, waId, category, value, detail: str(p.detail), ...when });
}

const KNOWN_FIELDS = new Set(['messages', 'user_preferences', 'smb_message_echoes']);

export interface ParseOptions {
	/** Adds each element exactly as Meta sent it under `raw` (off by default: content minimisation). */
	includeRaw?: boolean;
}

function changeUpdates(businessAccountId: string, change: Json, options: ParseOptions): WebhookUpdate[] {
	const field = str(change.field);
	const value = change.value;
	if (field === undefined || !isObject(value)) return [];
	const metadata = asObject(value.metadata);
	const base: UpdateBase = {
		businessAccountId,
		phoneNumberId: str(metadata.phone_number_id) ?? '',
		displayPhoneNumber: str(metadata.display_phone_number) ?? '',
		field,
	};
	if (!KNOWN_FIELDS.has(field)) return [{ ...base, kind: 'unknown_field', value } satisfies UnknownFieldUpdate];
	const contacts = objects(value.contacts);
	const withRaw = <T extends WebhookUpdate>(update: T | undefined, raw: Json): T | undefined =>
		update && options.includeRaw ? { ...update, raw } : update;
	const updates: Array<WebhookUpdate | undefined> = [
		...objects(value.messages).map((m) => withRaw(inbound(base, m, contacts), m)),
		...objects(value.statuses).map((s) => withRaw(status(base, s), s)),
		...objects(value.message_echoes).map((m) => withRaw(echo(base, m), m)),
		...objects(value.user_preferences).map((p) => withRaw(preference(base, p), p)),
		...(errorsOf(value.errors) ?? []).map((error): ValueErrorUpdate => ({ ...base, kind: 'error', error })),
	];
	return updates.filter((u): u is WebhookUpdate => u !== undefined);
}

/**
 * Parses a verified webhook body (already `JSON.parse`d) into normalised updates, in delivery order
 * (entry × change × messages, statuses, echoes, preferences, errors).
 *
 * Throws `DeliveryRejectedError` only when the body is not a WhatsApp Business webhook at all. Anything
 * else is accepted: unknown fields become `unknown_field`, unknown or malformed message types become
 * `unsupported`, and individual elements that cannot be identified (a message or status without id or
 * valid timestamp, a status without status, a preference without wa_id/category/value/timestamp, a
 * change without field or object value, non-object array items) are skipped silently.
 */
export function parseDelivery(body: unknown, options: ParseOptions = {}): WebhookUpdate[] {
	if (!isObject(body)) throw new DeliveryRejectedError('body is not a JSON object');
	if (body.object !== 'whatsapp_business_account') {
		throw new DeliveryRejectedError('object is not whatsapp_business_account');
	}
	if (!Array.isArray(body.entry)) throw new DeliveryRejectedError('entry is missing or not an array');
	return objects(body.entry).flatMap((entry) =>
		objects(entry.changes).flatMap((change) => changeUpdates(str(entry.id) ?? '', change, options)),
	);
}

function stableJson(v: unknown): string {
	if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
	if (isObject(v)) {
		const keys = Object.keys(v)
			.filter((k) => v[k] !== undefined)
			.sort();
		return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`).join(',')}}`;
	}
	return JSON.stringify(v) ?? 'null';
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * A stable key for at-least-once dedupe: equal for redeliveries of the same update, distinct otherwise.
 * Value-level errors carry neither id nor timestamp, so identical errors for the same number share a key.
 */
export function dedupeKey(update: WebhookUpdate): string {
	switch (update.kind) {
		case 'message':
			return `message:${update.phoneNumberId}:${update.messageId}`;
		case 'status': {
			const codes = update.status === 'failed' ? `:${(update.errors ?? []).map((e) => e.code).join(',')}` : '';
			return `status:${update.messageId}:${update.status}${codes}`;
		}
		case 'user_preferences':
			return `user_preferences:${update.phoneNumberId}:${update.waId}:${update.category}:${update.value}:${update.timestampUnix}`;
		case 'message_echo':
			return `message_echo:${update.messageId}`;
		case 'error':
			return `error:${update.phoneNumberId}:${sha256(stableJson(update.error))}`;
		case 'unknown_field':
			return `unknown_field:${update.field}:${sha256(stableJson(update.value))}`;
	}
}

const MEDIA_TYPES: ReadonlySet<string> = new Set<MediaType>(['image', 'video', 'audio', 'document', 'sticker']);

/** The media details of an image, video, audio, document or sticker message (inbound or echo). */
export function mediaOf(message: MessageContent): MediaDetails | undefined {
	switch (message.type) {
		case 'image':
			return message.image;
		case 'video':
			return message.video;
		case 'audio':
			return message.audio;
		case 'document':
			return message.document;
		case 'sticker':
			return message.sticker;
		default:
			return undefined;
	}
}

export const isInboundMessage = (u: WebhookUpdate): u is InboundMessage => u.kind === 'message';
export const isStatusUpdate = (u: WebhookUpdate): u is StatusUpdate => u.kind === 'status';
export const isUserPreferencesUpdate = (u: WebhookUpdate): u is UserPreferencesUpdate => u.kind === 'user_preferences';
export const isMessageEcho = (u: WebhookUpdate): u is MessageEchoUpdate => u.kind === 'message_echo';
export const isValueError = (u: WebhookUpdate): u is ValueErrorUpdate => u.kind === 'error';
export const isUnknownField = (u: WebhookUpdate): u is UnknownFieldUpdate => u.kind === 'unknown_field';
/** True for image, video, audio, document and sticker messages. */
export const isMediaMessage = <T extends MessageContent>(m: T): m is Extract<T, { type: MediaType }> =>
	MEDIA_TYPES.has(m.type);

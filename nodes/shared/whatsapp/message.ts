/* One inbound message (`messages[]`, or the content of an echo) → a typed message. */

import { num, str } from '../coerce';

import type {
	CallPermissionReply,
	IdentityChange,
	InboundMessage,
	MediaDetails,
	MediaType,
	MessageContent,
	MessageContext,
	MessageIdentity,
	OrderDetails,
	Referral,
	Sender,
	SharedContact,
	SystemDetails,
	TextContent,
	UpdateBase,
	WebhookUpdate,
} from './types';
import { asObject, compact, errorsOf, isObject, nestedDeeperThan, objects, time, type Json } from './read';

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
		return isObject(parsed) && !nestedDeeperThan(parsed) ? parsed : undefined;
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

function callPermissionReply(v: Json): CallPermissionReply {
	const expiry = time(v.expiration_timestamp);
	return compact({
		response: str(v.response) ?? '',
		expirationTimestamp: expiry?.timestampUnix,
		expiresAt: expiry?.timestamp,
		responseSource: str(v.response_source),
		isPermanent: typeof v.is_permanent === 'boolean' ? v.is_permanent : undefined,
	});
}

const CALL_PERMISSION_ANSWERS: Record<string, string> = { accept: 'accepted', reject: 'rejected' };

/** e.g. "Call permission: accepted (expires 2026-12-04T10:15:00.000Z, source user_action)". */
function callPermissionText(reply: CallPermissionReply): string {
	const answer = CALL_PERMISSION_ANSWERS[reply.response] ?? (reply.response || 'unknown');
	const details = [
		reply.expiresAt && `expires ${reply.expiresAt}`,
		reply.isPermanent && 'permanent',
		reply.responseSource && `source ${reply.responseSource}`,
	].filter(Boolean);
	return `Call permission: ${answer}${details.length ? ` (${details.join(', ')})` : ''}`;
}

const PHONE_CHANGES = new Set(['user_changed_number', 'customer_changed_number']);

/**
 * Who the person was and is now, for a number or business-scoped user id change. The previous phone number
 * is the sender (`from`, legacy `customer`); the previous user id is `previous_user_id`, else the sender's
 * `from_user_id`. Meta documents `user_id`/`previous_user_id`; `new_user_id` is read too, defensively.
 */
function identityChangeOf(system: SystemDetails, m: Json): IdentityChange | undefined {
	const change = (kind: IdentityChange['kind'], previous?: string, current?: string): IdentityChange | undefined =>
		previous && current && previous !== current ? { previous, current, kind } : undefined;
	if (PHONE_CHANGES.has(system.type)) return change('phone', system.customer ?? str(m.from), system.waId);
	if (system.type === 'user_changed_user_id') return change('user_id', system.previousUserId ?? str(m.from_user_id), system.userId);
	return undefined;
}

function identity(v: unknown): MessageIdentity | undefined {
	if (!isObject(v)) return undefined;
	return compact({ acknowledged: v.acknowledged === true, createdTimestamp: num(v.created_timestamp), hash: str(v.hash) });
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
			const call = isObject(d.call_permission_reply) ? d.call_permission_reply : undefined;
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
				callPermissionReply: call && callPermissionReply(call),
			});
			const text =
				interactive.buttonReply?.title ??
				interactive.listReply?.title ??
				interactive.nfmReply?.body ??
				(interactive.callPermissionReply ? callPermissionText(interactive.callPermissionReply) : '');
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
			const system: SystemDetails = compact({
				type: str(d.type) ?? '',
				body: str(d.body) ?? '',
				waId: str(d.wa_id) ?? str(d.new_wa_id),
				identity: str(d.identity),
				customer: str(d.customer),
				userId: str(d.user_id) ?? str(d.new_user_id),
				parentUserId: str(d.parent_user_id) ?? str(d.new_parent_user_id),
				previousUserId: str(d.previous_user_id),
				previousParentUserId: str(d.previous_parent_user_id),
			});
			return compact({ ...c, type, text: system.body, system, identityChange: identityChangeOf(system, m) });
		}
		case 'request_welcome':
			return { ...c, type, text: '' };
		case 'revoke': {
			const originalMessageId = isObject(d) ? str(d.original_message_id) : undefined;
			return originalMessageId ? { ...c, type, text: '', revoke: { originalMessageId }, revokedMessageId: originalMessageId } : undefined;
		}
		case 'unsupported':
			return { ...c, type, text: '', unsupported: compact({ type: str(asObject(d).type) }) };
		default:
			return undefined;
	}
}

/**
 * A coexistence `edit`: the corrected message (without id or timestamp) under `edit.message`. Undefined for
 * anything else; `message` undefined when the edit carries no readable message.
 */
function editOf(m: Json, type: string | undefined): { originalMessageId?: string; message?: Json } | undefined {
	if (type === 'unsupported' && str(asObject(m.unsupported).type) === 'edit') return {}; // Meta's interim shape
	if (type !== 'edit') return undefined;
	const edit = asObject(m.edit);
	const message = isObject(edit.message) && !['edit', 'revoke'].includes(str(edit.message.type) ?? '') ? edit.message : undefined;
	return { originalMessageId: str(edit.original_message_id), message };
}

/**
 * Everything about a message except who sent it. Shared by inbound messages and echoes. An edit becomes the
 * corrected message it carries, under the edit's own id and time, flagged `edited` with `editedMessageId`.
 */
export function parseContent(m: Json): MessageContent | undefined {
	const messageId = str(m.id);
	const when = time(m.timestamp);
	if (!messageId || !when) return undefined;
	const type = str(m.type);
	const edit = editOf(m, type);
	const source = edit?.message ?? m;
	const common: Common = compact({
		messageId,
		...when,
		context: context(source.context ?? m.context),
		referral: referral(m.referral),
		errors: errorsOf(m.errors),
		identity: identity(m.identity),
		edited: edit && (true as const),
		editedMessageId: edit?.originalMessageId,
	});
	const content = edit?.message ? typedContent(str(source.type), source, common) : typedContent(type, m, common);
	return content ?? { ...common, type: 'unsupported', text: '', unsupported: compact({ type }) };
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

/** One `messages[]` element with its sender from `contacts[]`; undefined without id or valid timestamp. */
export function parseMessage(base: UpdateBase, m: Json, contacts: Json[]): InboundMessage | undefined {
	const parsed = parseContent(m);
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
		parentUserId: str(contact.parent_user_id) ?? str(m.from_parent_user_id),
	});
	const previous = parsed.type === 'system' ? parsed.identityChange?.previous : undefined;
	const contactKey = fromWaId ?? fromUserId ?? str(contact.user_id) ?? previous ?? '';
	return { ...base, kind: 'message', from, contactKey, ...parsed };
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
/** True for image, video, audio, document and sticker messages. */
export const isMediaMessage = <T extends MessageContent>(m: T): m is Extract<T, { type: MediaType }> =>
	MEDIA_TYPES.has(m.type);

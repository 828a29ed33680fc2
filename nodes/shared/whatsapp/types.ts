/**
 * Normalised shapes of a WhatsApp Cloud API webhook delivery, as produced by `parseDelivery`.
 * All are plain `type` aliases (not interfaces) so they stay assignable to n8n's `IDataObject`.
 * Optional properties are omitted, never set to `undefined`.
 */

/** What an update is about; the discriminant of `WebhookUpdate`. */
export type UpdateKind = 'message' | 'status' | 'user_preferences' | 'message_echo' | 'error' | 'unknown_field';

/** Routing fields every update carries. */
export type UpdateBase = {
	/** WhatsApp Business Account id (`entry[].id`); '' if absent. */
	businessAccountId: string;
	/** `value.metadata.phone_number_id`; '' if absent. Route on this. */
	phoneNumberId: string;
	/** `value.metadata.display_phone_number`, digits without `+`; '' if absent. */
	displayPhoneNumber: string;
	/** `changes[].field`, e.g. `messages`, `user_preferences`, `smb_message_echoes`. */
	field: string;
};

/** An error object as Meta sends it (on messages, statuses or at value level). */
export type WhatsAppError = {
	/** Numeric error code, e.g. 131047; 0 if Meta sent none. */
	code: number;
	title: string;
	message?: string;
	/** `error_data.details`. */
	details?: string;
	href?: string;
};

/** Normalised message types. Anything else (including coexistence `edit`/`revoke`) becomes `unsupported`. */
export type MessageType =
	| 'text'
	| 'image'
	| 'video'
	| 'audio'
	| 'document'
	| 'sticker'
	| 'location'
	| 'contacts'
	| 'interactive'
	| 'button'
	| 'reaction'
	| 'order'
	| 'system'
	| 'request_welcome'
	| 'unsupported';

/** Message types that carry a downloadable media file. */
export type MediaType = 'image' | 'video' | 'audio' | 'document' | 'sticker';

/** A media attachment. Download it with `GET /{mediaId}` (or `url` with the access token). */
export type MediaDetails = {
	mediaId: string;
	mimeType: string;
	/** SHA-256 of the file, base64 exactly as sent in the webhook (the media endpoint returns hex). */
	sha256: string;
	caption?: string;
	url?: string;
	fileSize?: number;
};

export type AudioDetails = MediaDetails & {
	/** True when recorded with the voice-note button; false for forwarded or attached audio files. */
	voice: boolean;
};

export type DocumentDetails = MediaDetails & { filename?: string };

export type StickerDetails = MediaDetails & { animated: boolean };

export type LocationDetails = {
	latitude: number;
	longitude: number;
	/** Present only when a place (not a live/current pin) was shared, as are `address` and `url`. */
	name?: string;
	address?: string;
	url?: string;
};

/** One shared vCard. Every field is optional on the wire; lists default to []. */
export type SharedContact = {
	name: {
		formattedName?: string;
		firstName?: string;
		lastName?: string;
		middleName?: string;
		suffix?: string;
		prefix?: string;
	};
	phones: Array<{ phone?: string; waId?: string; type?: string }>;
	emails: Array<{ email?: string; type?: string }>;
	addresses: Array<{
		street?: string;
		city?: string;
		state?: string;
		zip?: string;
		country?: string;
		countryCode?: string;
		type?: string;
	}>;
	urls: Array<{ url?: string; type?: string }>;
	org?: { company?: string; department?: string; title?: string };
	/** `YYYY-MM-DD`. */
	birthday?: string;
};

/** A reply to an interactive message the business sent. */
export type InteractiveDetails = {
	/** `button_reply`, `list_reply`, `nfm_reply` (Flows, address messages) or any newer type. */
	type: string;
	buttonReply?: { id: string; title: string };
	listReply?: { id: string; title: string; description?: string };
	nfmReply?: {
		/** `flow`, `address_message`, … */
		name: string;
		body: string;
		/** `response_json` parsed; undefined when it is not a JSON object. */
		response?: Record<string, unknown>;
		/** `response_json` exactly as sent. */
		responseJson: string;
	};
};

/** Quick-reply button tapped on a template. */
export type ButtonDetails = { payload: string; text: string };

export type ReactionDetails = {
	/** The (business) message reacted to. */
	messageId: string;
	/** '' when the reaction was removed. */
	emoji: string;
	removed: boolean;
};

export type OrderItem = { productRetailerId: string; quantity: number; itemPrice: number; currency: string };

export type OrderDetails = { catalogId: string; text: string; productItems: OrderItem[] };

/** A system notice, e.g. `user_changed_number` or `customer_identity_changed`. */
export type SystemDetails = {
	type: string;
	body: string;
	/** The new WhatsApp id after a number change (`wa_id`, or legacy `new_wa_id`). */
	waId?: string;
	identity?: string;
	customer?: string;
};

export type UnsupportedDetails = {
	/** The original type: Meta's `unsupported.type` (e.g. `edit`, `poll_creation`) or an unrecognised/malformed `type`. */
	type?: string;
};

/** Set when the message quotes, forwards or refers to something. */
export type MessageContext = {
	/** Sender of the quoted message (usually the business display number). */
	from?: string;
	/** Id of the quoted message. */
	messageId?: string;
	forwarded: boolean;
	/** Forwarded more than five times. */
	frequentlyForwarded: boolean;
	/** Sent from a product's "Message business" button. */
	referredProduct?: { catalogId: string; productRetailerId: string };
};

/** Click-to-WhatsApp ad (or post) the conversation started from. */
export type Referral = {
	sourceUrl: string;
	sourceId: string;
	/** `ad` or `post`. */
	sourceType: string;
	body?: string;
	headline?: string;
	mediaType?: string;
	imageUrl?: string;
	videoUrl?: string;
	thumbnailUrl?: string;
	/** Absent for WhatsApp Status ads. */
	ctwaClid?: string;
	/** `welcome_message.text`. */
	welcomeMessage?: string;
};

type ContentBase<T extends MessageType> = {
	type: T;
	/** The wamid. */
	messageId: string;
	/**
	 * Human-readable content, always a string: text body, media caption, reply title, button text,
	 * reaction emoji, location/contacts/order summary, system body; '' when there is none.
	 */
	text: string;
	/** ISO 8601 (UTC). */
	timestamp: string;
	/** Unix seconds. */
	timestampUnix: number;
	context?: MessageContext;
	referral?: Referral;
	errors?: WhatsAppError[];
};

/** For `text` messages the body is `text` itself. */
export type TextContent = ContentBase<'text'>;
export type ImageContent = ContentBase<'image'> & { image: MediaDetails };
export type VideoContent = ContentBase<'video'> & { video: MediaDetails };
export type AudioContent = ContentBase<'audio'> & { audio: AudioDetails };
export type DocumentContent = ContentBase<'document'> & { document: DocumentDetails };
export type StickerContent = ContentBase<'sticker'> & { sticker: StickerDetails };
export type LocationContent = ContentBase<'location'> & { location: LocationDetails };
export type ContactsContent = ContentBase<'contacts'> & { contacts: SharedContact[] };
export type InteractiveContent = ContentBase<'interactive'> & { interactive: InteractiveDetails };
export type ButtonContent = ContentBase<'button'> & { button: ButtonDetails };
export type ReactionContent = ContentBase<'reaction'> & { reaction: ReactionDetails };
export type OrderContent = ContentBase<'order'> & { order: OrderDetails };
export type SystemContent = ContentBase<'system'> & { system: SystemDetails };
export type RequestWelcomeContent = ContentBase<'request_welcome'>;
export type UnsupportedContent = ContentBase<'unsupported'> & { unsupported: UnsupportedDetails };

/** The type-specific part shared by inbound messages and echoes, discriminated by `type`. */
export type MessageContent =
	| TextContent
	| ImageContent
	| VideoContent
	| AudioContent
	| DocumentContent
	| StickerContent
	| LocationContent
	| ContactsContent
	| InteractiveContent
	| ButtonContent
	| ReactionContent
	| OrderContent
	| SystemContent
	| RequestWelcomeContent
	| UnsupportedContent;

/** Who sent an inbound message: `messages[].from`/`from_user_id` plus the matching `contacts[]` entry. */
export type Sender = {
	/** Phone-number WhatsApp id; may be absent for username users (2026). */
	waId?: string;
	/** Business-scoped user id (BSUID), e.g. `US.13491208655302741918`. */
	userId?: string;
	username?: string;
	/** Profile name. */
	name?: string;
	parentUserId?: string;
};

type InboundBase = UpdateBase & {
	kind: 'message';
	from: Sender;
	/** `from ?? from_user_id ?? contacts user_id ?? ''`: the key everything about this person is stored under. */
	contactKey: string;
};

export type TextMessage = InboundBase & TextContent;
export type ImageMessage = InboundBase & ImageContent;
export type VideoMessage = InboundBase & VideoContent;
export type AudioMessage = InboundBase & AudioContent;
export type DocumentMessage = InboundBase & DocumentContent;
export type StickerMessage = InboundBase & StickerContent;
export type LocationMessage = InboundBase & LocationContent;
export type ContactsMessage = InboundBase & ContactsContent;
export type InteractiveMessage = InboundBase & InteractiveContent;
export type ButtonMessage = InboundBase & ButtonContent;
export type ReactionMessage = InboundBase & ReactionContent;
export type OrderMessage = InboundBase & OrderContent;
export type SystemMessage = InboundBase & SystemContent;
export type RequestWelcomeMessage = InboundBase & RequestWelcomeContent;
export type UnsupportedMessage = InboundBase & UnsupportedContent;

/** A message a user sent to the business (`messages[]`), discriminated by `type`. */
export type InboundMessage =
	| TextMessage
	| ImageMessage
	| VideoMessage
	| AudioMessage
	| DocumentMessage
	| StickerMessage
	| LocationMessage
	| ContactsMessage
	| InteractiveMessage
	| ButtonMessage
	| ReactionMessage
	| OrderMessage
	| SystemMessage
	| RequestWelcomeMessage
	| UnsupportedMessage;

/** Delivery status of a message the business sent (`statuses[]`). Order of arrival is not guaranteed. */
export type StatusUpdate = UpdateBase & {
	kind: 'status';
	/** The wamid of the business's message. */
	messageId: string;
	/** `sent`, `delivered`, `read`, `played` (voice note) or `failed`; `read` may arrive without `delivered`. */
	status: string;
	recipientId?: string;
	recipientUserId?: string;
	timestamp: string;
	timestampUnix: number;
	conversation?: { id: string; expirationTimestamp?: string; originType?: string };
	pricing?: { billable: boolean; pricingModel: string; category: string; type?: string };
	errors?: WhatsAppError[];
	bizOpaqueCallbackData?: string;
};

/** A user stopped or resumed marketing messages from inside WhatsApp (one per `user_preferences[]` entry). */
export type UserPreferencesUpdate = UpdateBase & {
	kind: 'user_preferences';
	waId: string;
	/** e.g. `marketing_messages`. */
	category: string;
	/** `stop` or `resume`. */
	value: string;
	detail?: string;
	timestamp: string;
	timestampUnix: number;
};

/**
 * A message the business sent from the WhatsApp Business app (coexistence, `smb_message_echoes`),
 * i.e. a human answering. Same content shape as an inbound message.
 */
export type MessageEchoUpdate = UpdateBase & {
	kind: 'message_echo';
	/** The business number. */
	from: string;
	/** The customer's WhatsApp id; '' if only `toUserId` was sent. */
	to: string;
	toUserId?: string;
} & MessageContent;

/** A system, app or account error reported at value level (one per `value.errors[]` entry). */
export type ValueErrorUpdate = UpdateBase & { kind: 'error'; error: WhatsAppError };

/** A change of any other field (account_update, message_template_status_update, …), passed through raw. */
export type UnknownFieldUpdate = UpdateBase & { kind: 'unknown_field'; value: Record<string, unknown> };

/** One normalised update from a webhook delivery, discriminated by `kind`. */
export type WebhookUpdate =
	| InboundMessage
	| StatusUpdate
	| UserPreferencesUpdate
	| MessageEchoUpdate
	| ValueErrorUpdate
	| UnknownFieldUpdate;

/**
 * Normalised shapes of a WhatsApp Cloud API webhook delivery, as produced by `parseDelivery`.
 * All are plain `type` aliases (not interfaces) so they stay assignable to n8n's `IDataObject`.
 * Optional properties are omitted, never set to `undefined`.
 */

/** What an update is about; the discriminant of `WebhookUpdate`. */
export type UpdateKind = 'message' | 'status' | 'user_preferences' | 'message_echo' | 'standby' | 'error' | 'unknown_field';

/** Routing fields every update carries. */
export type UpdateBase = {
	/** WhatsApp Business Account id (`entry[].id`); '' if absent. */
	businessAccountId: string;
	/** `value.metadata.phone_number_id`; '' if absent. Route on this. */
	phoneNumberId: string;
	/** `value.metadata.display_phone_number`, digits without `+`; '' if absent. */
	displayPhoneNumber: string;
	/** `changes[].field`, e.g. `messages`, `user_preferences`, `smb_message_echoes`, `standby`. */
	field: string;
};

/** An error object as Meta sends it (on messages, statuses or at value level). */
export type WhatsAppError = {
	/** Numeric error code, e.g. 131047; 0 if Meta sent none. */
	code: number;
	title: string;
	message?: string;
	/** `error_data.details`, or a top-level `details` (Meta has used both shapes). */
	details?: string;
	href?: string;
};

/**
 * Normalised message types. A coexistence `edit` takes the type of the corrected message it carries (flagged
 * `edited`); anything unknown or malformed becomes `unsupported`.
 */
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
	| 'revoke'
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

/** The customer's answer to a call permission request (Calling API, `interactive.call_permission_reply`). */
export type CallPermissionReply = {
	/** `accept` or `reject` ('' if Meta sent none). */
	response: string;
	/** Unix seconds the permission ends; absent for permanent permissions and rejections. */
	expirationTimestamp?: number;
	/** `expirationTimestamp` as ISO 8601 (UTC). */
	expiresAt?: string;
	/** `user_action` (the customer tapped) or `automatic` (e.g. granted by calling the business). */
	responseSource?: string;
	isPermanent?: boolean;
};

/** A reply to an interactive message the business sent. */
export type InteractiveDetails = {
	/** `button_reply`, `list_reply`, `nfm_reply` (Flows, address messages), `call_permission_reply` or any newer type. */
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
	callPermissionReply?: CallPermissionReply;
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

/**
 * A system notice: `user_changed_number` (legacy `customer_changed_number`), `user_changed_user_id` (the
 * business-scoped user id changed, no phone number shared) or `customer_identity_changed` (security code).
 */
export type SystemDetails = {
	type: string;
	body: string;
	/** The new WhatsApp id after a number change (`wa_id`, or legacy `new_wa_id`). */
	waId?: string;
	/** `customer_identity_changed`: the identity hash. */
	identity?: string;
	/** Legacy: the WhatsApp id before the change. */
	customer?: string;
	/** The new business-scoped user id (`user_id`, or `new_user_id`). */
	userId?: string;
	parentUserId?: string;
	/** The business-scoped user id before the change (`previous_user_id`). */
	previousUserId?: string;
	previousParentUserId?: string;
};

/**
 * A person's key changed (`user_changed_number`: `phone`; `user_changed_user_id`: `user_id`): everything stored
 * under `previous` now belongs to `current`. Present only when both are known.
 */
export type IdentityChange = { previous: string; current: string; kind: 'phone' | 'user_id' };

/** The coexistence `revoke`: the customer deleted one of their messages. */
export type RevokeDetails = { originalMessageId: string };

/** Set on messages of a customer whose identity (security code) changed, with the identity-change check on. */
export type MessageIdentity = {
	acknowledged: boolean;
	/** Unix seconds. */
	createdTimestamp?: number;
	hash?: string;
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
	/** The customer edited an earlier message; this is its corrected content (or an `unsupported` edit). */
	edited?: true;
	/** The message the edit corrects (`edit.original_message_id`). */
	editedMessageId?: string;
	identity?: MessageIdentity;
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
export type SystemContent = ContentBase<'system'> & { system: SystemDetails; identityChange?: IdentityChange };
export type RequestWelcomeContent = ContentBase<'request_welcome'>;
/** Text is ''. */
export type RevokeContent = ContentBase<'revoke'> & { revoke: RevokeDetails; revokedMessageId: string };
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
	| RevokeContent
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
	/**
	 * `from ?? from_user_id ?? contacts user_id ?? identityChange.previous ?? ''`: the key everything about this
	 * person is stored under.
	 */
	contactKey: string;
	/** Delivered inside a `standby` update: Meta's Business Agent holds the conversation; never answer it. */
	standby?: true;
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
export type RevokeMessage = InboundBase & RevokeContent;
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
	| RevokeMessage
	| UnsupportedMessage;

/** Delivery status of a message the business sent (`statuses[]`). Order of arrival is not guaranteed. */
export type StatusUpdate = UpdateBase & {
	kind: 'status';
	/** The wamid of the business's message. */
	messageId: string;
	/** `sent`, `delivered`, `read`, `played` (voice note) or `failed`; `read` may arrive without `delivered`. */
	status: string;
	/** May be a group id when `recipientType` is `group`. */
	recipientId?: string;
	recipientUserId?: string;
	recipientParentUserId?: string;
	/** `individual` or `group` (Groups API). */
	recipientType?: string;
	/** The group member this status is about (`recipient_participant_id`). */
	recipientParticipantId?: string;
	recipientIdentityKeyHash?: string;
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
	/** '' when the person is known only by `userId`. */
	waId: string;
	userId?: string;
	signupId?: string;
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
	toParentUserId?: string;
} & MessageContent;

/**
 * A `standby` change: Meta's Business Agent (or another sender) holds the conversation, so what happens in it
 * arrives here instead of on `messages`, for passive listening: the customer's messages (each flagged
 * `standby: true`), the agent's replies as echoes, and their receipts. Never answer it: sending takes the
 * conversation over.
 */
export type StandbyUpdate = UpdateBase & {
	kind: 'standby';
	/** The conversation's person: the first message's `contactKey`, else an echo's or status's recipient; ''. */
	contactKey: string;
	messages: InboundMessage[];
	echoes: MessageEchoUpdate[];
	statuses: StatusUpdate[];
	errors?: WhatsAppError[];
	/** Of the newest message, echo or status in it (ISO 8601, UTC); absent when it carries none. */
	timestamp?: string;
	timestampUnix?: number;
};

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
	| StandbyUpdate
	| ValueErrorUpdate
	| UnknownFieldUpdate;

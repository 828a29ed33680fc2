import { contactRef, messageRef } from '../contact';
import { decrypt, encrypt, randomRef } from '../crypto';
import type { WhatsAutoStore } from './types';

/**
 * Content by reference: a message's content (text, captions, locations, contacts, replies…) and media
 * go into the store encrypted with a short time-to-live; the n8n item keeps only metadata and `contentRef`,
 * so n8n's execution data never holds what the customer wrote. Nor who wrote it: by default the item's ids are
 * pseudonymous too (`contactKey: "wa:…"`, `messageId: "m:…"`), the number, name and Meta's ids stay with the content.
 */
const METADATA_KEYS = new Set([
	'kind',
	'businessAccountId',
	'phoneNumberId',
	'displayPhoneNumber',
	'field',
	'type',
	'messageId',
	'timestamp',
	'timestampUnix',
	'from',
	'to',
	'toUserId',
	'contactKey',
	'context',
	'errors',
	'stale',
]);

const MEDIA_KEYS = ['image', 'video', 'audio', 'document', 'sticker'] as const;

export type Message = Record<string, unknown>;

export interface StoredMedia {
	data: Buffer;
	mimeType: string;
	fileName?: string;
}

export interface ContentKeys {
	contentKey: Buffer;
	pseudonymise: (value: string) => string;
	/** Keys the audit log's hash chain (appendAudit, verifyAuditChain). */
	auditKey: Buffer;
}

/** The part of a message that may stay in n8n: ids, sender, timestamps, type, and a media summary. */
export function splitContent(message: Message): { metadata: Message; content: Message } {
	const metadata: Message = {};
	const content: Message = {};
	for (const [key, value] of Object.entries(message)) {
		(METADATA_KEYS.has(key) ? metadata : content)[key] = value;
	}
	for (const key of MEDIA_KEYS) {
		const media = message[key] as Record<string, unknown> | undefined;
		if (!media) continue;
		metadata.media = Object.fromEntries(
			Object.entries(media).filter(([field]) => ['mimeType', 'fileSize', 'voice', 'animated'].includes(field)),
		);
	}
	return { metadata, content };
}

const mediaRefOf = (ref: string) => `${ref}.media`;

/** What an item keeps of `context` when it carries pseudonymous ids: whether it was forwarded (Detect needs that). */
const CONTEXT_FLAGS = ['forwarded', 'frequentlyForwarded'] as const;

/** Metadata that names the person or a Meta message (a wamid encodes the number): kept with the content instead. */
const IDENTIFYING_KEYS = ['messageId', 'contactKey', 'from', 'to', 'toUserId', 'context'] as const;

export interface KeepOptions {
	/**
	 * The person's canonical pseudonym (store/people.ts): the content's contact key, and the item's contact
	 * reference. Default: the pseudonym of the message's `contactKey` (or `to`) as it is.
	 */
	subject?: string;
	/**
	 * The item carries pseudonymous ids: `contactKey: "wa:<pseudonym>"`, `messageId: "m:<keyed hash>"`, no sender
	 * (number, user id, name) and no quoted message; all of those stay in the store with the content. Default true.
	 */
	pseudonymous?: boolean;
	/** With pseudonymous ids, the clear ids to show anyway (the trigger's Show Contact Number): merged into the item. */
	show?: Message;
}

/**
 * The identifying metadata of an item replaced by pseudonymous ids (see {@link KeepOptions.pseudonymous}); what it
 * held is returned as `kept`, for the content. `show` is merged in last.
 */
export function pseudonymousIds(keys: ContentKeys, metadata: Message, subject: string, show: Message = {}): { item: Message; kept: Message } {
	const item: Message = {};
	const kept: Message = {};
	for (const [key, value] of Object.entries(metadata)) {
		if ((IDENTIFYING_KEYS as readonly string[]).includes(key)) kept[key] = value;
		else item[key] = value;
	}
	if (typeof metadata.messageId === 'string') item.messageId = messageRef(keys.pseudonymise, metadata.messageId);
	if (subject) item.contactKey = contactRef(subject);
	const context = metadata.context as Record<string, unknown> | undefined;
	const flags = context ? Object.fromEntries(CONTEXT_FLAGS.filter((flag) => context[flag] !== undefined).map((flag) => [flag, context[flag]])) : {};
	if (Object.keys(flags).length) item.context = flags;
	return { item: { ...item, ...show }, kept };
}

export async function keepByReference(
	store: WhatsAutoStore,
	keys: ContentKeys,
	message: Message,
	ttlMs: number,
	media?: StoredMedia,
	options: KeepOptions = {},
): Promise<Message> {
	const split = splitContent(message);
	const contactKey = options.subject || keys.pseudonymise(String(message.contactKey ?? message.to ?? ''));
	const pseudonymous = options.pseudonymous !== false;
	const { item: metadata, kept } = pseudonymous ? pseudonymousIds(keys, split.metadata, contactKey, options.show) : { item: split.metadata, kept: {} };
	const content = { ...kept, ...split.content };
	const ref = randomRef();
	const expiresAt = new Date(Date.now() + ttlMs);
	const payload = { content, media: media ? { mimeType: media.mimeType, fileName: media.fileName } : undefined };
	await store.putContent({
		ref,
		contactKey,
		data: encrypt(keys.contentKey, Buffer.from(JSON.stringify(payload)), ref),
		expiresAt,
	});
	if (media) {
		const mediaRef = mediaRefOf(ref);
		await store.putContent({ ref: mediaRef, contactKey, data: encrypt(keys.contentKey, media.data, mediaRef), expiresAt });
	}
	return { ...metadata, contentRef: ref, contentExpiresAt: expiresAt.toISOString() };
}

export interface ResolvedContent {
	message: Message;
	media?: StoredMedia;
}

/** The message as the trigger saw it, or undefined once the content has expired or been deleted. */
export async function resolveContent(
	store: WhatsAutoStore,
	keys: ContentKeys,
	item: Message,
): Promise<ResolvedContent | undefined> {
	const ref = item.contentRef;
	if (typeof ref !== 'string') return { message: item };
	const entry = await store.getContent(ref);
	if (!entry) return undefined;
	const payload = JSON.parse(decrypt(keys.contentKey, entry.data, ref).toString('utf8')) as {
		content: Message;
		media?: { mimeType: string; fileName?: string };
	};
	const { contentRef: _ref, contentExpiresAt: _expires, media: _summary, ...metadata } = item;
	const message = { ...metadata, ...payload.content };
	if (!payload.media) return { message };
	const mediaEntry = await store.getContent(mediaRefOf(ref));
	if (!mediaEntry) return { message };
	const data = decrypt(keys.contentKey, mediaEntry.data, mediaRefOf(ref));
	return { message, media: { data, ...payload.media } };
}

/** Deletes content kept by reference (once answered); true when something was deleted. */
export async function forgetContent(store: WhatsAutoStore, ref: string): Promise<boolean> {
	const [content, media] = await Promise.all([store.deleteContent(ref), store.deleteContent(mediaRefOf(ref))]);
	return content || media;
}

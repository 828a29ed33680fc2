import { decrypt, encrypt, randomRef } from '../crypto';
import type { WhatsAutoStore } from './types';

/**
 * Content by reference: a message's content (text, captions, locations, contacts, replies…) and media
 * go into the store encrypted with a short time-to-live; the n8n item keeps only metadata and `contentRef`,
 * so n8n's execution data never holds what the customer wrote.
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

export async function keepByReference(
	store: WhatsAutoStore,
	keys: ContentKeys,
	message: Message,
	ttlMs: number,
	media?: StoredMedia,
): Promise<Message> {
	const { metadata, content } = splitContent(message);
	const ref = randomRef();
	const expiresAt = new Date(Date.now() + ttlMs);
	const contactKey = keys.pseudonymise(String(message.contactKey ?? message.to ?? ''));
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

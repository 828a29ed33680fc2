import type { IDataObject, INodeExecutionData, ITriggerFunctions, IWebhookFunctions } from 'n8n-workflow';

import { contactRef, isBusinessScopedUserId, messageRef } from '../../shared/contact';
import { keepByReference, type ContentKeys, type Message, type StoredMedia } from '../../shared/store/contentByReference';
import { storeFor } from '../../shared/store/access';
import { canonicalOf, rememberContact, type Sender } from '../../shared/store/people';
import type { WhatsAutoStore } from '../../shared/store/types';
import type { HttpRequester } from '../../shared/transport/graphApi';
import { downloadMedia, MediaDownloadError } from '../../shared/transport/media';
import type { MetaCredentials } from '../../shared/transport/metaCredentials';
import { mediaOf, type InboundMessage, type MessageEchoUpdate, type StandbyUpdate, type WebhookUpdate } from '../../shared/whatsapp';
import { extensionFor } from '../../shared/whatsapp/mime';
import { mediaLimit, type TriggerConfig } from './config';
import type { RoutedUpdate } from './route';

/** The webhook (messages without the gate, statuses, events) or the gate's hand-off loop (turns). */
export type ItemContext = IWebhookFunctions | ITriggerFunctions;

export interface OutputItem {
	output: number;
	item: INodeExecutionData;
}

function fileNameFor(message: InboundMessage | MessageEchoUpdate, mimeType: string, sent?: string): string {
	const documentName = message.type === 'document' ? message.document.filename : undefined;
	const name = documentName || sent;
	if (name) return name;
	const extension = extensionFor(mimeType) ?? 'bin';
	return `${message.type}.${extension}`;
}

async function fetchMedia(
	ctx: ItemContext,
	config: TriggerConfig,
	creds: MetaCredentials,
	message: InboundMessage,
): Promise<StoredMedia | { error: IDataObject } | undefined> {
	const media = mediaOf(message);
	if (!media) return undefined;
	const http: HttpRequester = async (options) => await ctx.helpers.httpRequest(options);
	try {
		const downloaded = await downloadMedia(http, creds, media.mediaId, {
			maxBytes: mediaLimit(config, message.type),
			expectedSha256Base64: media.sha256 || undefined,
		});
		return {
			data: downloaded.data,
			mimeType: downloaded.mimeType,
			fileName: fileNameFor(message, downloaded.mimeType, downloaded.fileName),
		};
	} catch (error) {
		const failure =
			error instanceof MediaDownloadError
				? { reason: error.reason, message: error.message, code: error.graphCode }
				: { reason: 'api_error', message: 'The media download failed.' };
		ctx.logger.warn(`WhatsAuto Trigger could not download ${message.type} media: ${failure.reason}`);
		return { error: failure as IDataObject };
	}
}

/** The ids an update names its person by (none for errors and other fields). */
function personIdsOf(update: WebhookUpdate): Sender {
	const ids = (waId?: string, userId?: string): Sender => ({ ...(waId ? { waId } : {}), ...(userId ? { userId } : {}) });
	switch (update.kind) {
		case 'message':
			return ids(update.from.waId, update.from.userId);
		case 'status':
			return update.recipientType === 'group' ? {} : ids(update.recipientId, update.recipientUserId);
		case 'user_preferences':
			return ids(update.waId, update.userId);
		case 'message_echo':
			return ids(update.to, update.toUserId);
		case 'standby':
			return isBusinessScopedUserId(update.contactKey) ? ids(undefined, update.contactKey) : ids(update.contactKey);
		default:
			return {};
	}
}

/**
 * The person an update is about, as the store keys them: the canonical pseudonym (people.ts), and the ids to
 * remember for answering them. An identity change is about the person as they are now (their data moved there
 * before Meta was answered: receive.ts).
 */
async function personOfUpdate(store: WhatsAutoStore, keys: ContentKeys, update: WebhookUpdate): Promise<{ subject: string; ids: Sender }> {
	if (update.kind === 'message' && update.type === 'system' && update.identityChange) {
		const { kind, current } = update.identityChange;
		const ids: Sender = kind === 'phone' ? { waId: current } : { userId: current };
		return { subject: (await canonicalOf(store, keys, ids)) ?? '', ids };
	}
	const ids = personIdsOf(update);
	return { subject: (await canonicalOf(store, keys, ids)) ?? '', ids };
}

/** What Show Contact Number puts back on a pseudonymous item: the ids it removed, never a name. */
function shownIds(update: WebhookUpdate, config: TriggerConfig): Message | undefined {
	if (!config.showContactNumber) return undefined;
	const ids = personIdsOf(update);
	switch (update.kind) {
		case 'message':
			return { from: ids };
		case 'message_echo':
			return { ...(ids.waId ? { to: ids.waId } : {}), ...(ids.userId ? { toUserId: ids.userId } : {}) };
		case 'status':
			return { ...(update.recipientId ? { recipientId: update.recipientId } : {}), ...(update.recipientUserId ? { recipientUserId: update.recipientUserId } : {}) };
		case 'user_preferences':
			return { waId: update.waId, ...(update.userId ? { userId: update.userId } : {}) };
		default:
			return undefined;
	}
}

async function keyedStore(ctx: ItemContext): Promise<{ store: WhatsAutoStore; keys: ContentKeys }> {
	const { store, keys } = await storeFor(ctx);
	if (!keys) throw new Error('Content by reference needs a WhatsAuto: Store API credential with a secret key.');
	return { store, keys };
}

/**
 * The item with its content (and media) moved into the store, encrypted; metadata and `contentRef` stay, with
 * pseudonymous ids: `contactKey: "wa:…"`, `messageId: "m:…"`. A message's sender is remembered (encrypted, for the
 * customer-service window) so WhatsAuto nodes can answer the item.
 */
async function byReference(ctx: ItemContext, config: TriggerConfig, update: WebhookUpdate, message: Message, media?: StoredMedia): Promise<INodeExecutionData> {
	const { store, keys } = await keyedStore(ctx);
	const person = await personOfUpdate(store, keys, update);
	if (update.kind === 'message' && person.subject) await rememberContact(store, keys, person.subject, person.ids);
	const json = await keepByReference(store, keys, message, config.contentTtlMs, media, { subject: person.subject, show: shownIds(update, config) });
	return { json: json as IDataObject };
}

/**
 * Ids of a status or preference event that name the person or a Meta message (their content is nothing else), and
 * its raw payload (which holds them too; such events keep nothing in the store to put it in).
 */
const EVENT_IDS = ['messageId', 'recipientId', 'recipientUserId', 'recipientParentUserId', 'recipientParticipantId', 'recipientIdentityKeyHash', 'waId', 'userId', 'raw'];

/** A status or preference event with pseudonymous ids (content by reference): nothing of it goes to the store. */
async function pseudonymousEvent(ctx: ItemContext, config: TriggerConfig, update: WebhookUpdate): Promise<INodeExecutionData> {
	const { store, keys } = await keyedStore(ctx);
	const { subject } = await personOfUpdate(store, keys, update);
	const json: Message = {};
	for (const [key, value] of Object.entries(update)) if (!EVENT_IDS.includes(key)) json[key] = value;
	if ('messageId' in update && typeof update.messageId === 'string') json.messageId = messageRef(keys.pseudonymise, update.messageId);
	if (subject) json.contactKey = contactRef(subject);
	return { json: { ...json, ...shownIds(update, config) } as IDataObject };
}

async function messageItem(
	ctx: ItemContext,
	config: TriggerConfig,
	creds: MetaCredentials,
	entry: RoutedUpdate,
): Promise<INodeExecutionData> {
	const message = entry.update as InboundMessage;
	const json: Message = { ...message };
	if (entry.stale) json.stale = true;
	const fetched = config.downloadMedia ? await fetchMedia(ctx, config, creds, message) : undefined;
	const media = fetched && 'data' in fetched ? fetched : undefined;
	if (fetched && 'error' in fetched) json.mediaError = fetched.error;

	if (config.contentByReference) return await byReference(ctx, config, message, json, media);
	if (!media) return { json: json as IDataObject };
	const binary = await ctx.helpers.prepareBinaryData(media.data, media.fileName, media.mimeType);
	return { json: json as IDataObject, binary: { data: binary } };
}

/** Echoes and standby updates carry what people wrote: kept by reference like messages when asked. */
async function echoItem(ctx: ItemContext, config: TriggerConfig, echo: MessageEchoUpdate | StandbyUpdate): Promise<INodeExecutionData> {
	if (!config.contentByReference) return { json: echo as unknown as IDataObject };
	return await byReference(ctx, config, echo, echo as unknown as Message);
}

/** Items for the execution; a message whose media or content step fails still goes out, with an error field. */
export async function toItems(
	ctx: ItemContext,
	config: TriggerConfig,
	creds: MetaCredentials,
	routed: RoutedUpdate[],
): Promise<OutputItem[]> {
	return await Promise.all(
		routed.map(async (entry): Promise<OutputItem> => {
			const { update } = entry;
			try {
				if (update.kind === 'message') return { output: entry.output, item: await messageItem(ctx, config, creds, entry) };
				if (update.kind === 'message_echo' || update.kind === 'standby') return { output: entry.output, item: await echoItem(ctx, config, update) };
				if (config.contentByReference && (update.kind === 'status' || update.kind === 'user_preferences')) {
					return { output: entry.output, item: await pseudonymousEvent(ctx, config, update) };
				}
				return { output: entry.output, item: { json: update as unknown as IDataObject } };
			} catch (error) {
				ctx.logger.error(`WhatsAuto Trigger could not prepare a ${update.kind}: ${(error as Error).message}`);
				// Not even an error item shows Meta's message id when ids are pseudonymous.
				const id = 'messageId' in update && !config.contentByReference ? { messageId: update.messageId } : {};
				const json = { kind: update.kind, phoneNumberId: update.phoneNumberId, ...id, error: (error as Error).message };
				return { output: entry.output, item: { json } };
			}
		}),
	);
}

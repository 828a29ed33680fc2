import type { IDataObject, INodeExecutionData, IWebhookFunctions } from 'n8n-workflow';

import { keepByReference, type Message, type StoredMedia } from '../../shared/store/contentByReference';
import { storeFor } from '../../shared/store/access';
import type { HttpRequester } from '../../shared/transport/graphApi';
import { downloadMedia, MediaDownloadError } from '../../shared/transport/media';
import type { MetaCredentials } from '../../shared/transport/metaCredentials';
import { mediaOf, type InboundMessage, type MessageEchoUpdate, type StandbyUpdate } from '../../shared/whatsapp';
import { extensionFor } from '../../shared/whatsapp/mime';
import { mediaLimit, type TriggerConfig } from './config';
import type { RoutedUpdate } from './route';

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
	ctx: IWebhookFunctions,
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

/** The item with its content (and media) moved into the store, encrypted; metadata and `contentRef` stay. */
async function byReference(ctx: IWebhookFunctions, config: TriggerConfig, message: Message, media?: StoredMedia): Promise<INodeExecutionData> {
	const { store, keys } = await storeFor(ctx);
	if (!keys) throw new Error('Content by reference needs a WhatsAuto: Store API credential with a secret key.');
	return { json: (await keepByReference(store, keys, message, config.contentTtlMs, media)) as IDataObject };
}

async function messageItem(
	ctx: IWebhookFunctions,
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

	if (config.contentByReference) return await byReference(ctx, config, json, media);
	if (!media) return { json: json as IDataObject };
	const binary = await ctx.helpers.prepareBinaryData(media.data, media.fileName, media.mimeType);
	return { json: json as IDataObject, binary: { data: binary } };
}

/** Echoes and standby updates carry what people wrote: kept by reference like messages when asked. */
async function echoItem(ctx: IWebhookFunctions, config: TriggerConfig, echo: MessageEchoUpdate | StandbyUpdate): Promise<INodeExecutionData> {
	if (!config.contentByReference) return { json: echo as unknown as IDataObject };
	return await byReference(ctx, config, echo as unknown as Message);
}

/** Items for the execution; a message whose media or content step fails still goes out, with an error field. */
export async function toItems(
	ctx: IWebhookFunctions,
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
				return { output: entry.output, item: { json: update as unknown as IDataObject } };
			} catch (error) {
				ctx.logger.error(`WhatsAuto Trigger could not prepare a ${update.kind}: ${(error as Error).message}`);
				const id = 'messageId' in update ? { messageId: update.messageId } : {};
				const json = { kind: update.kind, phoneNumberId: update.phoneNumberId, ...id, error: (error as Error).message };
				return { output: entry.output, item: { json } };
			}
		}),
	);
}

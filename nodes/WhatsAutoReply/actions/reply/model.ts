/** The model's side of a reply: media fetched for it, voice transcribed, the chat completion with its token usage. */
import { toFile } from 'openai';
import { type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';
import { downloadMedia, MediaDownloadError } from '../../../shared/transport/media';
import { describeOpenAiError, withinBudget } from '../../../shared/transport/openAi';
import { mediaOf, type InboundMessage } from '../../../shared/whatsapp';
import { baseMimeType, transcriptionExtensionFor } from '../../../shared/whatsapp/mime';
import { prepareReply } from './deliver';
import { type ReplyOptions } from './options';
import { chatMessages } from './prompt';
import { type MemoryTurn } from '../../../shared/conversation/memory';
import { type Media, type MediaResult, type Understanding } from './understand';
import type { Services } from './services';

export interface Usage {
	promptTokens: number;
	completionTokens: number;
	cachedTokens: number;
	totalTokens: number;
}


export interface Answer {
	text: string;
	usage?: Usage;
	fallback: boolean;
	error?: string;
	configurationError?: boolean;
}

export async function mediaFor(
	ctx: IExecuteFunctions,
	itemIndex: number,
	item: INodeExecutionData,
	message: InboundMessage,
	stored: Media | undefined,
	svc: Services,
	maxBytes: number,
	binaryKey = 'data',
): Promise<MediaResult> {
	const sized = (media: Media): MediaResult => (media.data.length > maxBytes ? { tooLarge: true } : media);
	if (stored) return sized(stored);
	const binary = item.binary?.[binaryKey];
	if (binary) {
		const data = await ctx.helpers.getBinaryDataBuffer(itemIndex, binaryKey);
		return sized({ data, mimeType: binary.mimeType, fileName: binary.fileName });
	}
	const details = mediaOf(message);
	if (!details) return { failed: 'no media in the message' };
	try {
		const downloaded = await downloadMedia(svc.http, svc.meta, details.mediaId, {
			maxBytes,
			expectedSha256Base64: details.sha256 || undefined,
		});
		return { data: downloaded.data, mimeType: downloaded.mimeType, fileName: downloaded.fileName };
	} catch (error) {
		if (error instanceof MediaDownloadError && error.reason === 'too_large') return { tooLarge: true };
		return { failed: error instanceof Error ? error.message : 'download failed' };
	}
}

/** Undefined when OpenAI cannot take the format (e.g. AMR from older phones). */
export async function transcribe(svc: Services, options: ReplyOptions, media: Media, signal: AbortSignal): Promise<string | undefined> {
	const extension = transcriptionExtensionFor(media.mimeType);
	if (!extension) return undefined;
	const file = await toFile(media.data, `media.${extension}`, { type: baseMimeType(media.mimeType) });
	const result = await withinBudget(svc.openai.audio.transcriptions.create({ file, model: options.transcriptionModel }, { signal }), signal);
	return result.text ?? '';
}

/** Room for the reply in any script (non-Latin text takes more tokens per character), within model limits. */
export const completionTokenLimit = (maxReplyChars: number): number => Math.min(Math.ceil(maxReplyChars * 1.5) + 64, 16_000);

export async function answer(
	svc: Services,
	options: ReplyOptions,
	understanding: Understanding & { kind: 'model' },
	history: readonly MemoryTurn[],
	signal: AbortSignal,
): Promise<Answer> {
	try {
		const completion = await withinBudget(
			svc.openai.chat.completions.create(
				{
					model: options.model,
					messages: chatMessages(options, understanding.parts, history),
					temperature: options.temperature,
					max_completion_tokens: completionTokenLimit(options.maxReplyChars),
					store: false,
				},
				{ signal },
			),
			signal,
		);
		const text = completion.choices[0]?.message?.content?.trim() ?? '';
		const usage = completion.usage;
		const tokens: Usage | undefined = usage && {
			promptTokens: usage.prompt_tokens,
			completionTokens: usage.completion_tokens,
			cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
			totalTokens: usage.total_tokens,
		};
		if (!text) return { text: options.fallbackMessage, usage: tokens, fallback: true, error: 'The model returned no text.' };
		return { text: prepareReply(text, options.maxReplyChars), usage: tokens, fallback: false };
	} catch (error) {
		const failure = describeOpenAiError(error);
		return { text: options.fallbackMessage, fallback: true, error: failure.message, configurationError: failure.configuration };
	}
}

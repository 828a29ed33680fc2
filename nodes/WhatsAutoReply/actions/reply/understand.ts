import type { ChatCompletionContentPart } from 'openai/resources/chat/completions';

import type { InboundMessage, MediaType } from '../../../shared/whatsapp';
import { baseMimeType } from '../../../shared/whatsapp/mime';
import type { ReplyOptions } from './options';

/*
 * Messages are the trigger's `InboundMessage` (content resolved). An item may also be built by hand with
 * only `messageId` and `type`, so fields beyond those are read defensively (`?.`, `??`) even where the
 * type says they are always there.
 */

type MediaMessage = Extract<InboundMessage, { type: MediaType }>;

export interface Media {
	data: Buffer;
	mimeType: string;
	fileName?: string;
}

export type MediaResult = Media | { tooLarge: true } | { failed: string };

export interface UnderstandTools {
	/** The message's media bytes (from n8n binary data, the store, or Meta), checked against `maxBytes`. */
	media(maxBytes: number): Promise<MediaResult>;
	/** Undefined when the audio format cannot be transcribed. */
	transcribe(media: Media): Promise<string | undefined>;
	/** Masks personal data when the option is on; identity otherwise. */
	mask(text: string): string;
}

/** What the model gets, or a reply that needs no model, or nothing to answer. */
export type Understanding =
	| { kind: 'model'; parts: ChatCompletionContentPart[]; source: Source; extractedChars?: number; extracted?: string }
	| { kind: 'direct'; text: string; reason: DirectReason }
	| { kind: 'skip'; reason: SkipReason };

export type Source = 'turn' | 'text' | 'image' | 'sticker' | 'voice_note' | 'audio' | 'video' | 'pdf' | 'text_file' | 'structured';
export type DirectReason = 'welcome' | 'unsupported' | 'unreadable_document' | 'too_large' | 'media_unavailable';
/**
 * `revoked`: the customer deleted the message; `edit_unavailable`: an edit Meta delivered without its content;
 * `call_permission_automatic`: a call permission granted without the customer writing anything;
 * `held_by_meta_agent`: Meta's Business Agent holds the conversation (standby).
 */
export type SkipReason =
	| 'reaction'
	| 'system'
	| 'empty'
	| 'revoked'
	| 'edit_unavailable'
	| 'call_permission_automatic'
	| 'held_by_meta_agent';

const TEXT_FILE = /^(text\/(plain|csv|markdown|x-markdown)|application\/json)\b/i;
const TEXT_EXTENSION = /\.(txt|csv|md|markdown|json)$/i;
const MAX_INLINE_TEXT_CHARS = 20_000;

const dataUrl = (media: Media) => `data:${baseMimeType(media.mimeType)};base64,${media.data.toString('base64')}`;

/** Anything a model could read as one of the frame's tags: either tag, any case, spacing or attributes. */
const FRAME_TAG = /<\s*\/?\s*customer_content\b[^>]*>/gi;

/** Frames content from the customer so the model treats it as data, never as instructions. */
export function customerContent(label: string, body: string): string {
	let inner = body;
	// repeated, so that removing one tag cannot join the pieces around it into a new one
	for (let previous = ''; previous !== inner; ) [previous, inner] = [inner, inner.replace(FRAME_TAG, '')];
	return `${label}\n<customer_content>\n${inner}\n</customer_content>`;
}

function notes(message: InboundMessage): string[] {
	const lines: string[] = [];
	if (message.edited) lines.push('The customer edited an earlier message; this is its corrected version.');
	if (message.context?.frequentlyForwarded) lines.push('The customer forwarded this message (forwarded many times).');
	else if (message.context?.forwarded) lines.push('The customer forwarded this message.');
	const product = message.context?.referredProduct;
	if (product) lines.push(`The customer is asking about catalog product ${product.productRetailerId}.`);
	if (message.referral?.headline || message.referral?.body) {
		lines.push(`The customer came from an ad: ${[message.referral.headline, message.referral.body].filter(Boolean).join(' — ')}.`);
	}
	return lines;
}

function structuredText(message: InboundMessage): string {
	const text = message.text ?? '';
	switch (message.type) {
		case 'location':
			return `The customer shared a location: ${text}`;
		case 'contacts':
			return `The customer shared contact card(s): ${text}`;
		case 'interactive':
			return `The customer chose "${text}" from the options the business sent.`;
		case 'button':
			return `The customer tapped the button "${text}".`;
		case 'order':
			return `The customer sent an order from the catalog:\n${text}`;
		default:
			return text;
	}
}

function textPart(label: string, body: string, message: InboundMessage, mask: (text: string) => string): ChatCompletionContentPart {
	return { type: 'text', text: [...notes(message), customerContent(label, mask(body))].join('\n') };
}

/** Keys of a Flow response that are plumbing, not something the customer entered (media keys would reach OpenAI). */
const FORM_HIDDEN_KEYS = new Set(['flow_token', 'cdn_url', 'encryption_metadata', 'media_id']);
const MAX_FORM_DEPTH = 8;
const MAX_FORM_LINES = 200;

const formValue = (value: unknown): string => (typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value));

/** A Flow response as "field: value" lines: nested objects as `a.b`, lists of values joined, lists of objects as `a[0].b`. */
function formLines(value: unknown, path: string, lines: string[], depth = 0): string[] {
	if (lines.length >= MAX_FORM_LINES || depth > MAX_FORM_DEPTH || value === null || value === undefined || value === '') return lines;
	if (Array.isArray(value)) {
		if (value.some((item) => typeof item === 'object' && item !== null)) {
			value.forEach((item, index) => formLines(item, `${path}[${index}]`, lines, depth + 1));
		} else {
			const items = value.filter((item) => item !== null && item !== undefined && item !== '').map(formValue);
			if (items.length > 0) lines.push(`${path}: ${items.join(', ')}`);
		}
	} else if (typeof value === 'object') {
		for (const [key, item] of Object.entries(value)) {
			if (!FORM_HIDDEN_KEYS.has(key)) formLines(item, path ? `${path}.${key}` : key, lines, depth + 1);
		}
	} else {
		lines.push(`${path}: ${formValue(value)}`);
	}
	return lines;
}

/** What the customer entered in a WhatsApp Flow (or an address message), or its body text when the response is unreadable. */
function formPart(message: Extract<InboundMessage, { type: 'interactive' }>, mask: (text: string) => string): ChatCompletionContentPart {
	const nfm = message.interactive?.nfmReply;
	const lines = formLines(nfm?.response, '', []);
	const body = lines.length > 0 ? lines.join('\n') : nfm?.body || message.text || '';
	const label =
		nfm?.name === 'address_message'
			? 'The customer sent an address form; what they entered:'
			: 'The customer submitted a form (WhatsApp Flow); what they entered:';
	return textPart(label, body, message, mask);
}

/** PDFs and text-like files can be read; anything else gets a polite request for another format, unread. */
function isReadableDocument(mimeType: string, fileName: string): boolean {
	const mime = baseMimeType(mimeType);
	return mime === 'application/pdf' || TEXT_FILE.test(mime) || TEXT_EXTENSION.test(fileName) || /\.pdf$/i.test(fileName);
}

async function fromMedia(message: MediaMessage, options: ReplyOptions, tools: UnderstandTools): Promise<Understanding> {
	const kind = message.type;
	const document = message.type === 'document' ? message.document : undefined;
	if (kind === 'document' && !isReadableDocument(document?.mimeType ?? '', document?.filename ?? '')) {
		return { kind: 'direct', text: options.unreadableDocumentReply, reason: 'unreadable_document' };
	}
	const media = await tools.media(options.maxMediaBytes[kind]);
	if ('tooLarge' in media) return { kind: 'direct', text: options.tooLargeReply, reason: 'too_large' };
	if ('failed' in media) return { kind: 'direct', text: options.fallbackMessage, reason: 'media_unavailable' };
	const caption = message.text ?? '';
	const captionPart = (label: string) => textPart(label, caption, message, tools.mask);

	if (kind === 'image' || kind === 'sticker') {
		const label = kind === 'image' ? 'The customer sent a photo. Caption:' : 'The customer sent a sticker.';
		return {
			kind: 'model',
			source: kind,
			parts: [captionPart(label), { type: 'image_url', image_url: { url: dataUrl(media), detail: 'auto' } }],
		};
	}
	if (kind === 'audio' || kind === 'video') {
		const transcript = await tools.transcribe(media);
		if (transcript === undefined) return { kind: 'direct', text: options.unsupportedReply, reason: 'unsupported' };
		const voice = message.type === 'audio' && message.audio?.voice;
		const what = kind === 'video' ? 'a video; its sound track says' : voice ? 'a voice note; it says' : 'an audio file; it says';
		const parts: ChatCompletionContentPart[] = [textPart(`The customer sent ${what}:`, transcript, message, tools.mask)];
		if (kind === 'video' && caption) parts.push({ type: 'text', text: customerContent('Video caption:', tools.mask(caption)) });
		return {
			kind: 'model',
			source: kind === 'video' ? 'video' : voice ? 'voice_note' : 'audio',
			parts,
			extractedChars: transcript.length,
			extracted: transcript,
		};
	}
	const fileName = tools.mask(media.fileName ?? document?.filename ?? 'document');
	const mime = baseMimeType(media.mimeType);
	if (mime === 'application/pdf') {
		return {
			kind: 'model',
			source: 'pdf',
			parts: [
				captionPart(`The customer sent a PDF document (${fileName}). Caption:`),
				{ type: 'file', file: { filename: fileName, file_data: dataUrl(media) } },
			],
		};
	}
	if (TEXT_FILE.test(mime) || TEXT_EXTENSION.test(fileName)) {
		const content = media.data.toString('utf8').slice(0, MAX_INLINE_TEXT_CHARS);
		return {
			kind: 'model',
			source: 'text_file',
			parts: [
				captionPart(`The customer sent a text file (${fileName}). Caption:`),
				{ type: 'text', text: customerContent('File content:', tools.mask(content)) },
			],
			extractedChars: content.length,
			extracted: content,
		};
	}
	return { kind: 'direct', text: options.unreadableDocumentReply, reason: 'unreadable_document' };
}

/**
 * Why a message gets no answer at all, decided from the message alone: before anything reaches the customer
 * (read receipt, "typing…", a template outside the window) for a reply that will never come.
 */
export function skipReason(message: InboundMessage, options: ReplyOptions): SkipReason | undefined {
	if (message.standby) return 'held_by_meta_agent';
	if (message.type === 'revoke') return 'revoked';
	if (message.type === 'unsupported' && (message.edited || message.unsupported?.type === 'edit')) return 'edit_unavailable';
	if (message.type === 'unsupported' && message.unsupported?.type === 'revoke') return 'revoked';
	if (message.type === 'interactive' && message.interactive?.callPermissionReply?.responseSource === 'automatic') {
		return 'call_permission_automatic';
	}
	if (message.type === 'text' && !message.text?.trim()) return 'empty';
	if (message.type === 'reaction' && (options.reactions === 'ignore' || !message.text)) return 'reaction';
	if (message.type === 'system') return 'system';
	return undefined;
}

/**
 * Turns any WhatsApp message into model input — media is always understood before a reply: photos and
 * stickers as images, voice notes and videos as transcripts, PDFs as files — or decides no model is needed.
 */
export async function understand(message: InboundMessage, options: ReplyOptions, tools: UnderstandTools): Promise<Understanding> {
	const skip = skipReason(message, options);
	if (skip) return { kind: 'skip', reason: skip };
	switch (message.type) {
		case 'text': {
			return { kind: 'model', source: 'text', parts: [textPart('The customer wrote:', message.text ?? '', message, tools.mask)] };
		}
		case 'image':
		case 'sticker':
		case 'audio':
		case 'video':
		case 'document':
			if (message.type === 'sticker' && message.sticker?.animated) {
				return { kind: 'model', source: 'sticker', parts: [textPart('The customer sent an animated sticker.', '', message, tools.mask)] };
			}
			return await fromMedia(message, options, tools);
		case 'interactive':
			if (message.interactive?.type === 'nfm_reply') return { kind: 'model', source: 'structured', parts: [formPart(message, tools.mask)] };
			if (message.interactive?.type === 'call_permission_reply') {
				const label = 'The customer answered the business’s request for permission to call them:';
				return { kind: 'model', source: 'structured', parts: [textPart(label, message.text ?? '', message, tools.mask)] };
			}
			return { kind: 'model', source: 'structured', parts: [textPart('The customer’s message:', structuredText(message), message, tools.mask)] };
		case 'location':
		case 'contacts':
		case 'button':
		case 'order':
			return { kind: 'model', source: 'structured', parts: [textPart('The customer’s message:', structuredText(message), message, tools.mask)] };
		case 'reaction':
			return { kind: 'model', source: 'structured', parts: [textPart('The customer reacted to a message with:', message.text ?? '', message, tools.mask)] };
		case 'request_welcome':
			return { kind: 'direct', text: options.welcomeMessage, reason: 'welcome' };
		case 'system':
			return { kind: 'skip', reason: 'system' };
		case 'revoke':
			return { kind: 'skip', reason: 'revoked' };
		default:
			return { kind: 'direct', text: options.unsupportedReply, reason: 'unsupported' };
	}
}

/** One message of a turn, with the tools that fetch its own media. */
export interface TurnEntry {
	message: InboundMessage;
	tools: UnderstandTools;
}

/**
 * A turn (several messages of one contact): each message understood as it would be alone (its media under the
 * same caps), then all of it in one model input, in order, each message's parts after a label with its position.
 * A message that needs no model (too large, unreadable) is named by its label and reason; messages with nothing
 * to answer are left out. With nothing for the model at all, the last message's own understanding stands.
 */
export async function understandTurn(entries: readonly TurnEntry[], options: ReplyOptions): Promise<Understanding> {
	const understood: Understanding[] = [];
	for (const { message, tools } of entries) understood.push(await understand(message, options, tools));
	const models = understood.filter((u): u is Understanding & { kind: 'model' } => u.kind === 'model');
	if (models.length === 0) {
		return [...understood].reverse().find((u) => u.kind === 'direct') ?? understood[understood.length - 1] ?? { kind: 'skip', reason: 'empty' };
	}
	const parts: ChatCompletionContentPart[] = [];
	const extracted: string[] = [];
	let extractedChars = 0;
	understood.forEach((u, index) => {
		const label = `Message ${index + 1} of ${understood.length}:`;
		if (u.kind === 'model') {
			parts.push({ type: 'text', text: label }, ...u.parts);
			if (u.extractedChars !== undefined) extractedChars += u.extractedChars;
			if (u.extracted !== undefined) extracted.push(u.extracted);
		} else if (u.kind === 'direct' && u.reason !== 'welcome') {
			parts.push({ type: 'text', text: `${label} (the customer sent something that could not be looked at: ${u.reason.replace(/_/g, ' ')})` });
		}
	});
	const sources = new Set(models.map((u) => u.source));
	return {
		kind: 'model',
		source: sources.size === 1 ? models[0].source : 'turn',
		parts,
		...(extracted.length > 0 ? { extractedChars, extracted: extracted.join('\n') } : {}),
	};
}

import type { HttpRequester } from '../../../shared/transport/graphApi';
import { GraphApiError } from '../../../shared/transport/graphApi';
import { sendTemplate, sendText, type Recipient } from '../../../shared/transport/messages';
import type { MetaCredentials } from '../../../shared/transport/metaCredentials';
import { splitMessage } from '../../../shared/text/split';
import { toWhatsAppFormat } from '../../../shared/text/whatsappFormat';
import type { ReplyOptions } from './options';

export const RE_ENGAGEMENT = 131047;

/** The model's Markdown as WhatsApp text, cut to the configured length at a sentence or word end. */
export function prepareReply(modelText: string, maxChars: number): string {
	const text = toWhatsAppFormat(modelText).trim();
	if (text.length <= maxChars) return text;
	const cut = text.slice(0, maxChars);
	const sentenceEnd = Math.max(...['. ', '! ', '? ', '।', '。', '؟', '\n'].map((mark) => cut.lastIndexOf(mark)));
	if (sentenceEnd > maxChars * 0.5) return cut.slice(0, sentenceEnd + 1).trim();
	const space = cut.lastIndexOf(' ');
	return `${cut.slice(0, space > maxChars * 0.5 ? space : maxChars - 1).trim()}…`;
}

export interface Delivery {
	graphMessageIds: string[];
	/** The customer's 24-hour window was closed (131047 on send). */
	windowClosed: boolean;
}

/**
 * Sends the reply as few messages as possible (≤ 4,096 characters each), quoting the customer's message
 * on the first one when asked. A synchronous 131047 stops and reports the window closed.
 */
export async function deliverText(
	http: HttpRequester,
	creds: MetaCredentials,
	recipient: Recipient,
	text: string,
	replyTo: string | undefined,
): Promise<Delivery> {
	const graphMessageIds: string[] = [];
	for (const [index, part] of splitMessage(text).entries()) {
		try {
			graphMessageIds.push(await sendText(http, creds, recipient, part, index === 0 ? replyTo : undefined));
		} catch (error) {
			if (error instanceof GraphApiError && error.code === RE_ENGAGEMENT && graphMessageIds.length === 0) {
				return { graphMessageIds, windowClosed: true };
			}
			throw error;
		}
	}
	return { graphMessageIds, windowClosed: false };
}

export function canSendTemplate(options: ReplyOptions): boolean {
	return options.outsideWindow === 'template' && options.template.name !== '';
}

export async function deliverTemplate(
	http: HttpRequester,
	creds: MetaCredentials,
	recipient: Recipient,
	options: ReplyOptions,
): Promise<string> {
	return await sendTemplate(http, creds, recipient, options.template);
}

/**
 * The Auto-Reply's conversation steps around the model: who owns the conversation (pauses), the customer's
 * commands (a person, a fresh start), business hours and the first-contact disclosure. Each step only reads
 * and writes the store; the caller sends.
 */
import type { IDataObject } from 'n8n-workflow';

import { detectConversationCommand, type ConversationDetection } from '../../../shared/conversation/commands';
import { isOpen, closedSince, parseBusinessHours, type BusinessHours } from '../../../shared/conversation/hours';
import { conversationText } from '../../../shared/conversation/messages';
import { pauseOf, SILENCE_REASONS } from '../../../shared/conversation/pause';
import { languageNamed, languageOf, type Language } from '../../../shared/privacy/commandDetection';
import type { StoreAccess } from '../../../shared/store/access';
import { SCOPES } from '../../../shared/store/scopes';
import type { InboundMessage } from '../../../shared/whatsapp';
import type { BusinessHoursOptions, ReplyOptions } from './options';
import { turnMessages } from './turn';
import type { ContentReader } from './incoming';

/** Why the AI must stay quiet for this person now, as the output's reason; undefined when it may answer. */
export async function silenceReason(access: StoreAccess, subject: string, options: ReplyOptions): Promise<string | undefined> {
	const pause = await pauseOf(access.store, subject, options.conversation.pauseSilenceMs);
	return pause ? SILENCE_REASONS[pause.reason] : undefined;
}

/** The text of each message the customer sent in this item (a turn's, in order), contents resolved. */
export async function customerTexts(json: IDataObject, message: InboundMessage, content: ContentReader): Promise<string[]> {
	if (turnMessages(json).length === 0) return message.type === 'text' && message.text ? [message.text] : [];
	return await content.turnTexts(json, (m) => m.type === 'text');
}

export interface Commands {
	handoff?: ConversationDetection;
	reset?: ConversationDetection;
	/** Every message was a reset: the confirmation is the whole answer. */
	onlyReset: boolean;
}

export function commandsIn(texts: readonly string[]): Commands {
	const found = texts.map((text) => detectConversationCommand(text));
	const handoff = found.find((d) => d?.command === 'handoff');
	const reset = found.find((d) => d?.command === 'reset');
	return { handoff, reset, onlyReset: found.length > 0 && found.every((d) => d?.command === 'reset') };
}

/** The language to speak in our own texts: the node's Reply Language when set, else the customer's. */
export function languageFor(options: ReplyOptions, texts: readonly string[], detected?: ConversationDetection): Language | undefined {
	return (options.replyLanguage ? languageNamed(options.replyLanguage) : undefined) ?? detected?.language ?? languageOf(texts.join('\n'));
}

/** A Conversation setting the node cannot work with (the workflow's author must fix it). */
export class ConversationSettingsError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ConversationSettingsError';
	}
}

const parsedHours = new Map<string, BusinessHours>();

/** The schedule parsed, once per process and setting (parsing throws a readable error on bad input). */
export function businessHoursOf(options: BusinessHoursOptions): BusinessHours {
	const key = JSON.stringify([options.schedule, options.timezone, options.holidays]);
	let hours = parsedHours.get(key);
	if (!hours) {
		try {
			hours = parseBusinessHours({ schedule: options.schedule, timezone: options.timezone, holidays: options.holidays });
		} catch (error) {
			throw new ConversationSettingsError(`Conversation › Business Hours: ${(error as Error).message}`);
		}
		if (parsedHours.size > 100) parsedHours.clear();
		parsedHours.set(key, hours);
	}
	return hours;
}

export interface HoursVerdict {
	closed: boolean;
	/** The away message, when this person has not had it in this closed period yet. */
	away?: string;
	/**
	 * With `away`: gives the claim on it back, for when it did not reach the person after all (the send failed, or
	 * nothing was sent): their next message in this closed period, or the retried execution, gets it instead.
	 */
	release?: () => Promise<boolean>;
}

/**
 * Whether the business is closed now and, when it is, whether this person gets the away message: once per
 * closed period, claimed under an HMAC of who they are and when the period began.
 */
export async function outsideHours(
	access: StoreAccess,
	who: string,
	options: ReplyOptions,
	language: Language | undefined,
	opaque: (value: string) => string,
	now: Date = new Date(),
): Promise<HoursVerdict> {
	const settings = options.conversation.hours;
	if (!settings) return { closed: false };
	const hours = businessHoursOf(settings);
	if (isOpen(hours, now)) return { closed: false };
	const since = closedSince(hours, now)?.toISOString() ?? '';
	const key = opaque(`away:${who}:${since}`);
	const first = await access.store.claim(SCOPES.awayMessage.name, key, SCOPES.awayMessage.lifetimeMs);
	if (!first) return { closed: true };
	return {
		closed: true,
		away: settings.awayMessage || conversationText('away', language, { business: options.businessName }),
		release: async () => await access.store.releaseClaim(SCOPES.awayMessage.name, key),
	};
}

import { NodeOperationError, type IDataObject, type INode } from 'n8n-workflow';

import { booleanOr, numberOr, stringOr, trimmedOr } from '../../../shared/coerce';
import type { MemorySettings } from '../../../shared/conversation/memory';
import { DEFAULT_MEMORY_TTL_MS, DEFAULT_USAGE_RETENTION_MONTHS, HOUR_MS, MAX_MEMORY_TTL_MS, MAX_PAUSE_MS } from '../../../shared/store/scopes';
import { usageRetentionMs } from '../../../shared/usage/ledger';
import { normalizeText } from '../../../shared/privacy/commandDetection';
import type { CapSettings } from '../../../shared/usage/caps';
import { UnpricedModelError, type BudgetSettings } from '../../../shared/usage/budgets';
import type { LoopGuardSettings } from '../../../shared/conversation/loopGuard';
import type { CapacitySettings } from '../../../shared/conversation/capacity';
import { DEFAULT_PRICES, parsePriceTable, priceFor, PriceTableError } from '../../../shared/usage/aggregate';

export type TranscriptionModel = 'gpt-4o-mini-transcribe' | 'gpt-4o-transcribe' | 'whisper-1';

export interface ReplyOptions {
	model: string;
	businessName: string;
	instructions: string;
	knowledge: string;
	/** '' = the customer's own language. */
	replyLanguage: string;
	sendReply: boolean;
	maxReplyChars: number;
	temperature: number;
	quoteMessage: boolean;
	markAsRead: boolean;
	typingIndicator: boolean;
	transcriptionModel: TranscriptionModel;
	maskPersonalData: boolean;
	offTopicReply: string;
	fallbackMessage: string;
	outsideWindow: 'template' | 'skip';
	template: { name: string; language: string; bodyParameters: string[] };
	reactions: 'ignore' | 'reply';
	welcomeMessage: string;
	unsupportedReply: string;
	unreadableDocumentReply: string;
	tooLargeReply: string;
	includeUnderstanding: boolean;
	/** Off: the output gives the reply's length, not its text (it can echo what the customer wrote). */
	includeReplyText: boolean;
	maxMediaBytes: Record<'image' | 'sticker' | 'audio' | 'video' | 'document', number>;
	/** Total time the model may take, retries included, before the customer gets the fallback message. */
	modelBudgetMs: number;
	/** Usage Ledger: one metadata row per processed item (and the pricing of what was sent), in the store. */
	usageLedger: boolean;
	/** How long usage rows live (Usage Retention, in months of 31 days; 13 by default). */
	usageRetentionMs: number;
	conversation: ConversationOptions;
	/** Keyword Rules, in order: the first that matches one of the customer's texts wins (before the model). */
	keywordRules: KeywordRule[];
	/** Allowed Contacts: numbers as written ([] = everyone). */
	allowContacts: string[];
	/** Blocked Contacts: numbers as written. */
	denyContacts: string[];
	limits: LimitOptions;
}

/** The Limits settings: caps, loop guard, budgets, capacity; each off unless added (the template adds them). */
export interface LimitOptions {
	caps: CapSettings;
	/** undefined: no loop guard. */
	loop?: LoopGuardSettings;
	budgets: BudgetSettings;
	/** When a budget is used up: answer with the cheaper model, or send the fallback message once and stay silent. */
	whenBudgetReached: 'cheaperModel' | 'fallback';
	cheaperModel: string;
	capacity: CapacitySettings;
}

export const LIMIT_DEFAULTS = {
	repliesPerHour: 20,
	repliesPerDay: 100,
	loopStopAfter: 3,
	loopRepeats: 3,
	loopMaxMessagesPerMinute: 20,
	contactTokensPerDay: 50_000,
	accountTokensPerDay: 2_000_000,
	monthlySpendUsd: 100,
	cheaperModel: 'gpt-4o-mini',
	maxActiveConversations: 100,
	activeWindowMinutes: 30,
	waitlistDays: 7,
} as const;

export type KeywordMatch = 'exact' | 'contains' | 'regex';

export interface KeywordRule {
	match: KeywordMatch;
	/** Normalised (exact, contains) or the regex's source. */
	pattern: string;
	action: 'reply' | 'route';
	replyText: string;
	regex?: RegExp;
}

export const MAX_RULE_REGEX_CHARS = 200;
export const MAX_RULE_TEXT_CHARS = 1000;

/** Keyword Rules as typed rules; a bad (or too long) regex fails with the rule's number. */
export function toKeywordRules(value: unknown, node?: INode): KeywordRule[] {
	const rows = ((value ?? {}) as IDataObject).rule;
	const list = (Array.isArray(rows) ? rows : []) as IDataObject[];
	const fail = (message: string): never => {
		if (node) throw new NodeOperationError(node, message);
		throw new Error(message);
	};
	return list.map((row, index) => {
		const match: KeywordMatch = row.match === 'contains' || row.match === 'regex' ? row.match : 'exact';
		const raw = stringOr(row.pattern);
		const action = row.action === 'route' ? 'route' : 'reply';
		const replyText = stringOr(row.replyText).trim();
		if (match !== 'regex') return { match, pattern: normalizeText(raw.trim()), action, replyText };
		if (raw.length > MAX_RULE_REGEX_CHARS) fail(`Keyword rule ${index + 1}: the regex is longer than ${MAX_RULE_REGEX_CHARS} characters.`);
		let regex: RegExp | undefined;
		try {
			regex = new RegExp(raw, 'iu');
		} catch (error) {
			fail(`Keyword rule ${index + 1}: the regex is not valid (${(error as Error).message}).`);
		}
		return { match, pattern: raw, action, replyText, regex };
	});
}

/** The 0-based index of the first rule matching any of the texts (rules in order, each on every text), else -1. */
export function matchingRule(rules: readonly KeywordRule[], texts: readonly string[]): number {
	const prepared = texts.map((text) => ({ raw: text.slice(0, MAX_RULE_TEXT_CHARS), norm: normalizeText(text.slice(0, MAX_RULE_TEXT_CHARS).trim()) }));
	return rules.findIndex((rule) =>
		prepared.some(({ raw, norm }) => {
			if (rule.regex) return rule.regex.test(raw);
			if (!rule.pattern) return false;
			if (rule.match === 'exact') return norm === rule.pattern;
			return norm.includes(rule.pattern);
		}),
	);
}

/** A list of numbers, comma or newline separated. */
export const contactList = (value: unknown): string[] =>
	stringOr(value)
		.split(/[,\n\r]+/)
		.map((entry) => entry.trim())
		.filter(Boolean);

/** The Conversation settings: all off unless added (the template adds them). Texts '' = the localised default. */
export interface ConversationOptions {
	/** turns 0: every reply stateless. */
	memory: MemorySettings;
	handoff: boolean;
	handoffMessage: string;
	pauseOnHumanReply: boolean;
	pauseSilenceMs: number;
	disclosure: boolean;
	disclosureMessage: string;
	hours?: BusinessHoursOptions;
}

export interface BusinessHoursOptions {
	schedule: string;
	timezone: string;
	holidays: string;
	awayMessage: string;
	outside: 'answer' | 'silent';
}

export const CONVERSATION_DEFAULTS = {
	memoryTurns: 10,
	memoryHours: DEFAULT_MEMORY_TTL_MS / HOUR_MS,
	memoryMaxTokens: 2000,
	pauseSilenceHours: 12,
	schedule: 'Mon-Fri 09:00-18:00',
} as const;

export const DEFAULTS = {
	instructions: 'You are a friendly, concise customer-service assistant.',
	offTopicReply: 'Politely say you can only help with questions about the business, and invite them to ask one.',
	fallbackMessage: 'Thanks for your message! We’ll get back to you shortly.',
	welcomeMessage: 'Hi! How can we help you today?',
	unsupportedReply: 'Sorry, I can’t open this kind of message. Could you send it as text, a photo, a voice note or a PDF?',
	unreadableDocumentReply: 'Thanks! I can only read PDF or plain-text files. Could you send it as a PDF or paste the text?',
	tooLargeReply: 'Sorry, that file is too large for me to read. Could you send a smaller one or describe it in a message?',
} as const;

const MB = 1024 * 1024;

/** Parameters lines → template body parameters; blank lines dropped. */
export const parameterLines = (value: string): string[] =>
	value
		.split(/\r?\n/)
		.map((line) => line.trim())
		.filter(Boolean);

/** The node's parameters for one item as one typed value, with the editor's defaults for what is missing. */
export function toReplyOptions(parameters: IDataObject, node?: INode): ReplyOptions {
	const parsed = parseReplyOptions(parameters, node);
	// A spend cap that cannot price the model is no cap: said before anything reaches the customer (no read receipt, no "typing…").
	if (parsed.limits.budgets.monthlySpendUsd > 0 && !priceFor(parsed.limits.budgets.prices, parsed.model)) {
		const message = new UnpricedModelError(parsed.model).message;
		if (node) throw new NodeOperationError(node, message);
		throw new Error(message);
	}
	return parsed;
}

function parseReplyOptions(parameters: IDataObject, node?: INode): ReplyOptions {
	const options = (parameters.options ?? {}) as IDataObject;
	const caps = (options.maxMediaMb ?? {}) as IDataObject;
	const transcription = stringOr(options.transcriptionModel, 'gpt-4o-mini-transcribe') as TranscriptionModel;
	return {
		model: stringOr(parameters.model, 'gpt-4o') || 'gpt-4o',
		businessName: stringOr(parameters.businessName).trim(),
		instructions: stringOr(parameters.instructions, DEFAULTS.instructions).trim(),
		knowledge: stringOr(parameters.knowledge).trim(),
		replyLanguage: stringOr(options.replyLanguage).trim(),
		sendReply: booleanOr(parameters.sendReply, true),
		maxReplyChars: Math.max(100, numberOr(options.maxReplyChars, 1500)),
		temperature: Math.min(2, Math.max(0, numberOr(options.temperature, 0.3))),
		quoteMessage: booleanOr(options.quoteMessage, false),
		markAsRead: booleanOr(options.markAsRead, true),
		typingIndicator: booleanOr(options.typingIndicator, true),
		transcriptionModel: ['gpt-4o-mini-transcribe', 'gpt-4o-transcribe', 'whisper-1'].includes(transcription)
			? transcription
			: 'gpt-4o-mini-transcribe',
		maskPersonalData: booleanOr(options.maskPersonalData, true),
		offTopicReply: trimmedOr(options.offTopicReply, DEFAULTS.offTopicReply),
		fallbackMessage: trimmedOr(options.fallbackMessage, DEFAULTS.fallbackMessage),
		outsideWindow: options.outsideWindow === 'template' ? 'template' : 'skip',
		template: {
			name: stringOr(options.templateName).trim(),
			language: trimmedOr(options.templateLanguage, 'en_US'),
			bodyParameters: parameterLines(stringOr(options.templateParameters)),
		},
		reactions: options.reactions === 'reply' ? 'reply' : 'ignore',
		welcomeMessage: stringOr(options.welcomeMessage, DEFAULTS.welcomeMessage).trim(),
		unsupportedReply: stringOr(options.unsupportedReply, DEFAULTS.unsupportedReply).trim(),
		unreadableDocumentReply: stringOr(options.unreadableDocumentReply, DEFAULTS.unreadableDocumentReply).trim(),
		tooLargeReply: stringOr(options.tooLargeReply, DEFAULTS.tooLargeReply).trim(),
		includeUnderstanding: booleanOr(options.includeUnderstanding, false),
		includeReplyText: booleanOr(options.includeReplyText, true),
		maxMediaBytes: {
			image: numberOr(caps.image, 5) * MB,
			sticker: numberOr(caps.sticker, 0.5) * MB,
			audio: Math.min(numberOr(caps.audio, 16), 25) * MB,
			video: Math.min(numberOr(caps.video, 16), 25) * MB,
			document: numberOr(caps.document, 10) * MB,
		},
		modelBudgetMs: Math.max(5, numberOr(options.modelBudgetSeconds, 90)) * 1000,
		usageLedger: booleanOr(options.usageLedger, false),
		usageRetentionMs: usageRetentionMs(numberOr(options.usageRetentionMonths, DEFAULT_USAGE_RETENTION_MONTHS)),
		conversation: toConversationOptions((parameters.conversation ?? {}) as IDataObject, stringOr(parameters.timezone, 'UTC')),
		keywordRules: toKeywordRules(options.keywordRules, node),
		allowContacts: contactList(options.allowContacts),
		denyContacts: contactList(options.denyContacts),
		limits: toLimitOptions((parameters.limits ?? {}) as IDataObject, stringOr(parameters.timezone, 'UTC'), node),
	};
}

/** A whole number ≥ 0 of a Limits field that was added, else 0 (off). */
const countOf = (limits: IDataObject, name: keyof typeof LIMIT_DEFAULTS): number =>
	limits[name] === undefined ? 0 : Math.max(0, Math.floor(numberOr(limits[name], Number(LIMIT_DEFAULTS[name]))));

export function toLimitOptions(limits: IDataObject, timezone: string, node?: INode): LimitOptions {
	const has = (name: string) => limits[name] !== undefined;
	const positive = (name: keyof typeof LIMIT_DEFAULTS) => Math.max(1, countOf(limits, name) || Number(LIMIT_DEFAULTS[name]));
	let prices = DEFAULT_PRICES;
	if (has('budgetPriceTable')) {
		const raw = limits.budgetPriceTable;
		try {
			prices = parsePriceTable(typeof raw === 'string' ? (raw.trim() || '{}') : JSON.stringify(raw ?? {}));
		} catch (error) {
			const message = error instanceof PriceTableError ? `Budget Price Table: ${error.message}` : 'Budget Price Table is not valid JSON.';
			if (node) throw new NodeOperationError(node, message);
			throw new Error(message);
		}
	}
	return {
		caps: { repliesPerHour: countOf(limits, 'repliesPerHour'), repliesPerDay: countOf(limits, 'repliesPerDay'), timezone },
		loop:
			booleanOr(limits.loopGuard, false)
				? {
						stopAfter: positive('loopStopAfter'),
						repeats: Math.max(2, positive('loopRepeats')),
						maxMessagesPerMinute: positive('loopMaxMessagesPerMinute'),
					}
				: undefined,
		budgets: {
			contactTokensPerDay: countOf(limits, 'contactTokensPerDay'),
			accountTokensPerDay: countOf(limits, 'accountTokensPerDay'),
			monthlySpendUsd: has('monthlySpendUsd') ? Math.max(0, numberOr(limits.monthlySpendUsd, LIMIT_DEFAULTS.monthlySpendUsd)) : 0,
			prices,
			timezone,
		},
		whenBudgetReached: limits.whenBudgetReached === 'cheaperModel' ? 'cheaperModel' : 'fallback',
		cheaperModel: trimmedOr(limits.cheaperModel, LIMIT_DEFAULTS.cheaperModel),
		capacity: {
			maxActiveConversations: countOf(limits, 'maxActiveConversations'),
			activeWindowMs: Math.max(1, numberOr(limits.activeWindowMinutes, LIMIT_DEFAULTS.activeWindowMinutes)) * 60_000,
			shedOnAccountBudget: booleanOr(limits.shedOnAccountBudget, false),
			message: stringOr(limits.capacityMessage).trim(),
			waitlistTtlMs: Math.min(30, Math.max(1, numberOr(limits.waitlistDays, LIMIT_DEFAULTS.waitlistDays))) * 24 * HOUR_MS,
		},
	};
}

const hoursMs = (value: unknown, fallback: number, maxMs: number): number => Math.min(maxMs, Math.max(HOUR_MS / 60, numberOr(value, fallback) * HOUR_MS));

/** The silence after which a pause ends, as the Conversation settings (or an operation's own field) give it. */
export const pauseSilenceMsOf = (value: unknown): number => hoursMs(value, CONVERSATION_DEFAULTS.pauseSilenceHours, MAX_PAUSE_MS);

export function toConversationOptions(conversation: IDataObject, workflowTimezone: string): ConversationOptions {
	const has = (name: string) => conversation[name] !== undefined;
	return {
		memory: {
			turns: has('memoryTurns') ? Math.max(0, Math.floor(numberOr(conversation.memoryTurns, CONVERSATION_DEFAULTS.memoryTurns))) : 0,
			ttlMs: hoursMs(conversation.memoryHours, CONVERSATION_DEFAULTS.memoryHours, MAX_MEMORY_TTL_MS),
			maxTokens: Math.max(100, numberOr(conversation.memoryMaxTokens, CONVERSATION_DEFAULTS.memoryMaxTokens)),
		},
		handoff: booleanOr(conversation.handoff, false),
		handoffMessage: stringOr(conversation.handoffMessage).trim(),
		pauseOnHumanReply: booleanOr(conversation.pauseOnHumanReply, false),
		pauseSilenceMs: pauseSilenceMsOf(conversation.pauseSilenceHours),
		disclosure: booleanOr(conversation.aiDisclosure, false),
		disclosureMessage: stringOr(conversation.disclosureMessage).trim(),
		hours: has('businessHours')
			? {
					schedule: trimmedOr(conversation.businessHours, CONVERSATION_DEFAULTS.schedule),
					timezone: trimmedOr(conversation.hoursTimezone, workflowTimezone),
					holidays: stringOr(conversation.holidays),
					awayMessage: stringOr(conversation.awayMessage).trim(),
					outside: conversation.outsideHours === 'silent' ? 'silent' : 'answer',
				}
			: undefined,
	};
}

/**
 * The information that must accompany a copy of someone's personal data (GDPR Art. 15(1)–(2); the
 * CCPA/CPRA "right to know" asks for the same categories, sources, purposes and recipients).
 * Values are in English; `language` and a localised one-line `summary` tell the person what it is.
 * Pure data: no clock, no I/O, so the same operator settings always give the same block.
 */

import { numberOr, trimmedOr } from '../coerce';
import { DAY_MS, DEFAULT_CONTENT_TTL_MINUTES, DEFAULT_MEMORY_TTL_MS, DEFAULT_USAGE_RETENTION_MONTHS, HOUR_MS, SCOPES } from '../store/scopes';
import { DEFAULT_AUTHORITY, resolveLanguage, type Language } from './messages';

export interface OperatorInfo {
	controllerName: string;
	contact: string;
	supervisoryAuthority?: string;
	retention?: { contentMinutes?: number; outcomesDays?: number; requestRecordsMonths?: number };
}

export const DEFAULT_RETENTION = {
	contentMinutes: DEFAULT_CONTENT_TTL_MINUTES,
	outcomesDays: SCOPES.reply.lifetimeMs / DAY_MS,
	requestRecordsMonths: 24,
	auditLogMonths: 24,
	memoryHours: DEFAULT_MEMORY_TTL_MS / HOUR_MS,
	usageMonths: DEFAULT_USAGE_RETENTION_MONTHS,
	/** OpenAI's API data policy: abuse-monitoring logs are kept up to 30 days. */
	openAiAbuseMonitoringDays: 30,
} as const;

/** The chat commands people send to exercise their rights. */
export const PRIVACY_COMMANDS = {
	access: 'ACCESS',
	correct: 'CORRECT',
	erase: 'DELETE',
	object: 'STOP',
	resume: 'START',
	status: 'STATUS',
} as const;

const C = PRIVACY_COMMANDS;

const SUMMARY: Readonly<Record<Language, string>> = {
	en: 'How {controller} uses your personal data: purposes, recipients, retention and your rights.',
	bn: '{controller} কীভাবে আপনার ব্যক্তিগত তথ্য ব্যবহার করে: উদ্দেশ্য, প্রাপক, সংরক্ষণের মেয়াদ এবং আপনার অধিকার।',
	es: 'Cómo usa {controller} sus datos personales: fines, destinatarios, plazos de conservación y sus derechos.',
	pt: 'Como {controller} usa seus dados pessoais: finalidades, destinatários, prazos de retenção e seus direitos.',
	hi: '{controller} आपके व्यक्तिगत डेटा का उपयोग कैसे करता है: उद्देश्य, प्राप्तकर्ता, डेटा रखने की अवधि और आपके अधिकार।',
	ar: 'كيف يستخدم {controller} بياناتك الشخصية: الأغراض والجهات المتلقية ومدة الاحتفاظ وحقوقك.',
	id: 'Cara {controller} menggunakan data pribadi Anda: tujuan, penerima, masa penyimpanan, dan hak-hak Anda.',
};

function positive(value: unknown, fallback: number): number {
	return numberOr(value, fallback, (n) => n > 0);
}

function plural(count: number, unit: string): string {
	return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** The Art. 15 information block to include with an access export. */
export function accessDisclosure(operator: OperatorInfo, language?: Language): Record<string, unknown> {
	const lang = resolveLanguage(language);
	const controllerName = trimmedOr(operator?.controllerName, 'the operator of this WhatsApp number');
	const contact = trimmedOr(operator?.contact, 'reply in this chat');
	const authority = trimmedOr(operator?.supervisoryAuthority, DEFAULT_AUTHORITY.en);
	const r = operator?.retention ?? {};
	const contentMinutes = positive(r.contentMinutes, DEFAULT_RETENTION.contentMinutes);
	const outcomesDays = positive(r.outcomesDays, DEFAULT_RETENTION.outcomesDays);
	const requestRecordsMonths = positive(r.requestRecordsMonths, DEFAULT_RETENTION.requestRecordsMonths);
	const auditLogMonths = DEFAULT_RETENTION.auditLogMonths;
	const memoryHours = DEFAULT_RETENTION.memoryHours;
	const usageMonths = DEFAULT_RETENTION.usageMonths;
	const openAiDays = DEFAULT_RETENTION.openAiAbuseMonitoringDays;

	return {
		language: lang,
		summary: SUMMARY[lang].split('{controller}').join(controllerName),
		controller: { name: controllerName, contact },
		purposes: [
			{
				id: 'answer_messages',
				description: "Answering your WhatsApp messages with an AI assistant on the operator's behalf.",
				legalBasis: 'Legitimate interest in answering enquiries, or performance of a contract when you are a customer.',
			},
			{
				id: 'privacy_requests',
				description: 'Receiving, verifying and fulfilling your privacy requests, and proving that we did.',
				legalBasis: 'Legal obligation (data protection law).',
			},
			{
				id: 'duplicate_prevention',
				description: 'Preventing duplicate or repeated replies when WhatsApp delivers the same message more than once.',
				legalBasis: 'Legitimate interest in reliable, non-repetitive service.',
			},
		],
		legalBases: {
			note: `The legal basis for each purpose is listed above in general terms; ${controllerName} confirms the basis that applies to you on request (${contact}).`,
			used: ['legitimate interest', 'contract', 'legal obligation', 'consent (where the operator asks for it, e.g. marketing)'],
			consent: 'Where processing relies on your consent you can withdraw it at any time; this does not affect processing before the withdrawal.',
		},
		categories: [
			{
				category: 'WhatsApp identifier / phone number',
				detail: 'Your WhatsApp ID (your phone number). In our records it is pseudonymised with a keyed hash; the number itself is used only to deliver replies.',
			},
			{ category: 'Profile name', detail: 'The WhatsApp profile name you chose, as shown to businesses.' },
			{
				category: 'Message content',
				detail: `Kept only transiently: encrypted, with a time-to-live of ${plural(contentMinutes, 'minute')}, then deleted; deleted content cannot be included in an export.`,
			},
			{
				category: 'Reply outcomes',
				detail: 'Metadata about each reply (message ids, timestamps, delivered / failed / skipped, error codes) — no message text.',
			},
			{
				category: 'Conversation memory',
				detail: `Where the operator turns it on: the last turns of our conversation (what you wrote, as text, and our replies), encrypted, so the assistant can follow it; each turn deleted ${plural(memoryHours, 'hour')} after it, or at once when you write "reset" or ask for erasure.`,
			},
			{
				category: 'Conversation state and usage',
				detail: `Whether the assistant is paused for you (you asked for a person, or staff are answering) and whether you were told you are talking to an AI; where the operator turns it on, one usage record per conversation turn (message types, outcome, model, token counts, timings, Meta's pricing category) — no message text — kept ${plural(usageMonths, 'month')}; where the operator sets limits, counts of replies and tokens per hour, day or month, keyed fingerprints (not the text) of your last messages and our replies for 1 hour to stop loops with other bots, and, if you were put on a waitlist while the service was at capacity, your number (encrypted) and when you wrote, until you are told it is back or for at most 30 days.`,
			},
			{
				category: 'Privacy request history',
				detail: `Your privacy requests (type, dates, status, outcome), and a suppression entry if you sent ${C.object}.`,
			},
		],
		recipients: [
			{
				name: 'Meta Platforms',
				role: 'WhatsApp Business Platform (Cloud API) provider: carries your messages and our replies.',
			},
			{
				name: 'OpenAI',
				role: 'AI model provider: receives the text needed to generate a reply.',
				dataUse: `Data sent through OpenAI's API is not used to train its models. Under OpenAI's API data usage policy it may be retained for up to ${plural(openAiDays, 'day')} for abuse monitoring, then deleted (less if the operator has a zero-data-retention agreement).`,
			},
		],
		internationalTransfers:
			'Meta and OpenAI may process data outside your country, including in the United States. Transfers rely on appropriate safeguards such as an adequacy decision (e.g. the EU–US Data Privacy Framework) or Standard Contractual Clauses; ask the operator for details or a copy.',
		retention: {
			messageContent: { period: plural(contentMinutes, 'minute'), minutes: contentMinutes, note: 'Encrypted, stored by reference, deleted automatically.' },
			replyOutcomes: { period: plural(outcomesDays, 'day'), days: outcomesDays },
			conversationMemory: { period: plural(memoryHours, 'hour'), hours: memoryHours, note: 'Encrypted; deleted at once on "reset" or erasure.' },
			usageRecords: { period: plural(usageMonths, 'month'), months: usageMonths, note: 'Metadata only, never message text.' },
			privacyRequestRecords: {
				period: plural(requestRecordsMonths, 'month'),
				months: requestRecordsMonths,
				note: 'Kept to show that your requests were handled, as the law requires; minimal and kept even after erasure.',
			},
			auditLog: { period: plural(auditLogMonths, 'month'), months: auditLogMonths },
			suppressionList: { period: `Until you send ${C.resume}.`, note: `Keeps your ${C.object} working, even after erasure.` },
			openAiAbuseMonitoring: { period: `Up to ${plural(openAiDays, 'day')}`, days: openAiDays, note: "Held by OpenAI under its API policy." },
		},
		rights: [
			{ right: 'access', description: 'Get a copy of your data and this information.', how: `Send ${C.access} in this chat.` },
			{ right: 'rectification', description: 'Have inaccurate data corrected.', how: `Send ${C.correct} in this chat, with what is wrong and the correct value.` },
			{ right: 'erasure', description: 'Have your data deleted.', how: `Send ${C.erase} in this chat.` },
			{ right: 'restriction', description: 'Have processing of your data restricted.', how: `Send ${C.object} in this chat, or contact ${contact}.` },
			{ right: 'objection', description: 'Object to AI processing of your messages and to marketing.', how: `Send ${C.object} in this chat; send ${C.resume} to resume.` },
			{ right: 'portability', description: 'Receive your data in a structured, machine-readable format.', how: `Send ${C.access} in this chat; the export is JSON.` },
			{ right: 'withdraw_consent', description: 'Withdraw any consent you gave, at any time.', how: `Send ${C.object} in this chat.` },
			{ right: 'status', description: 'Check the progress of a request.', how: `Send ${C.status} in this chat.` },
		],
		rightsContact: `You can also exercise your rights by contacting ${controllerName}: ${contact}.`,
		complaint: {
			authority,
			description: `You have the right to lodge a complaint with ${authority}.`,
		},
		source: "Your own WhatsApp messages and WhatsApp profile, delivered to us by Meta's WhatsApp Business Platform.",
		automatedDecisionMaking: {
			aiGeneratedReplies: true,
			legallySignificantDecisions: false,
			description:
				'Replies to your messages are generated by an AI model. No decision with legal or similarly significant effects on you is made automatically (GDPR Art. 22 does not apply).',
			privacyActions: `Privacy actions (access, correction, erasure, ${C.object}/${C.resume}) are never triggered by the AI; only your explicit request or the operator can start them.`,
		},
	};
}

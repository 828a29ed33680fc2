import { performance } from 'node:perf_hooks';

import { toFile } from 'openai';
import type OpenAI from 'openai';
import { NodeApiError, NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { forgetContent, resolveContent } from '../../../shared/store/contentByReference';
import { stringOr } from '../../../shared/coerce';
import { opaqueKey } from '../../../shared/crypto';
import { isMessageRef, pseudonymOfRef } from '../../../shared/contact';
import { aiSuppressed, canonicalOf, contactOf, keysOfSender, personOf, reachable, type Sender } from '../../../shared/store/people';
import { cachedCredentials } from '../../../shared/credentialCache';
import { storeFor, type StoreAccess } from '../../../shared/store/access';
import { SCOPES } from '../../../shared/store/scopes';
import { maskPersonalData } from '../../../shared/text/mask';
import { GraphApiError, type HttpRequester } from '../../../shared/transport/graphApi';
import { markAsRead, type Recipient } from '../../../shared/transport/messages';
import { downloadMedia, MediaDownloadError } from '../../../shared/transport/media';
import { META_CREDENTIAL, toMetaCredentials, type MetaCredentials } from '../../../shared/transport/metaCredentials';
import { describeOpenAiError, OPENAI_CREDENTIAL, openAiClient, toOpenAiCredentials, withinBudget } from '../../../shared/transport/openAi';
import { mediaOf, type InboundMessage } from '../../../shared/whatsapp';
import { baseMimeType, transcriptionExtensionFor } from '../../../shared/whatsapp/mime';
import { canSendTemplate, deliverTemplate, deliverText, prepareReply, RE_ENGAGEMENT } from './deliver';
import { ReplyLedger, type ReplyOutcome } from '../../../shared/replyLedger';
import { isTurn, otherMessageIds, turnContentRefs, turnMessages, turnText } from './turn';
import { matchingRule, toReplyOptions, type ReplyOptions } from './options';
import { chatMessages, memoryTextOf } from './prompt';
import { commandsIn, ConversationSettingsError, customerTexts, languageFor, outsideHours, silenceReason } from './conversation';
import { forget, recall, remember, type MemoryTurn } from '../../../shared/conversation/memory';
import { conversationText } from '../../../shared/conversation/messages';
import { pauseFor, SILENCE_REASONS } from '../../../shared/conversation/pause';
import { recordDisclosure, wasDisclosed } from '../../../shared/conversation/firstContact';
import { recordSentPricing } from '../../../shared/usage/pricing';
import { recordTurn, type UsageEntry, type UsageLatencies, type UsageOutcome } from '../../../shared/usage/ledger';
import { skipReason, understand, understandTurn, type Media, type MediaResult, type TurnEntry, type Understanding, type UnderstandTools } from './understand';

const WINDOW_MS = 24 * 60 * 60 * 1000;

export interface Usage {
	promptTokens: number;
	completionTokens: number;
	cachedTokens: number;
	totalTokens: number;
}

interface Services {
	http: HttpRequester;
	meta: MetaCredentials;
	openai: OpenAI;
	access: StoreAccess;
}

interface Answer {
	text: string;
	usage?: Usage;
	fallback: boolean;
	error?: string;
	configurationError?: boolean;
}

async function services(ctx: IExecuteFunctions): Promise<Services> {
	const meta = toMetaCredentials(await cachedCredentials(ctx, META_CREDENTIAL));
	const openai = openAiClient(toOpenAiCredentials(await cachedCredentials(ctx, OPENAI_CREDENTIAL)));
	return { http: async (options) => await ctx.helpers.httpRequest(options), meta, openai, access: await storeFor(ctx) };
}

/** Store keys for message ids: the store credential's pseudonym key, else the Meta app secret. */
function opaqueFor(svc: Services): (value: string) => string {
	return svc.access.keys ? svc.access.keys.pseudonymise : (value) => opaqueKey(svc.meta.appSecret, value);
}

/** The ids an item or message shows for its sender (a pseudonymous item shows none, or those Show Contact Number put back). */
function senderOf(json: IDataObject | undefined): Sender {
	const from = (json?.from ?? {}) as IDataObject;
	const waId = stringOr(from.waId, undefined);
	const userId = stringOr(from.userId, undefined);
	return { ...(waId ? { waId } : {}), ...(userId ? { userId } : {}) };
}

/** Where to send: the number when known (Meta's advice), else the business-scoped user id (`recipient`). */
function recipientFor(sender: Sender): Recipient {
	return sender.waId ? { waId: sender.waId } : sender.userId ? { userId: sender.userId } : {};
}

/** Who an item is about, as the store knows them. */
interface Who {
	/** The canonical pseudonym ('' without the store's keys). */
	subject: string;
	/** Every key an objection may be kept under: the canonical one, the sender's ids' own, aliases. */
	suppressionKeys: string[];
	/** Where to send; empty when only the resolved content will tell (see {@link replyToItem}). */
	recipient: Recipient;
	/** The item carries pseudonymous ids (contact reference, message reference): so does the output. */
	pseudonymous: boolean;
}

/**
 * The person behind an item: from its contact reference (`wa:…`, content by reference), whose number the store
 * keeps, or from the ids it shows, through the same normalisation and aliases as every node (store/people.ts).
 */
async function whoIs(json: IDataObject, svc: Services): Promise<Who> {
	const { store, keys } = svc.access;
	const shown = senderOf(json);
	const ref = pseudonymOfRef(json.contactKey);
	if (ref && keys) {
		const known = (await contactOf(store, keys, ref)) ?? {};
		const sender = { ...known, ...shown };
		return { subject: ref, suppressionKeys: [...new Set([ref, ...(await keysOfSender(store, keys, sender))])], recipient: recipientFor(sender), pseudonymous: true };
	}
	if (!keys) return { subject: '', suppressionKeys: [], recipient: recipientFor(shown), pseudonymous: false };
	const subject = (await canonicalOf(store, keys, shown)) ?? '';
	return { subject, suppressionKeys: await keysOfSender(store, keys, shown), recipient: recipientFor(shown), pseudonymous: isMessageRef(json.messageId) };
}

async function mediaFor(
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
async function transcribe(svc: Services, options: ReplyOptions, media: Media, signal: AbortSignal): Promise<string | undefined> {
	const extension = transcriptionExtensionFor(media.mimeType);
	if (!extension) return undefined;
	const file = await toFile(media.data, `media.${extension}`, { type: baseMimeType(media.mimeType) });
	const result = await withinBudget(svc.openai.audio.transcriptions.create({ file, model: options.transcriptionModel }, { signal }), signal);
	return result.text ?? '';
}

/** Room for the reply in any script (non-Latin text takes more tokens per character), within model limits. */
export const completionTokenLimit = (maxReplyChars: number): number => Math.min(Math.ceil(maxReplyChars * 1.5) + 64, 16_000);

async function answer(
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

/**
 * An item as the shared `InboundMessage`: the trigger's items are one; a hand-built item has to carry
 * `messageId` and `type` (checked before this), the rest is read defensively (see understand.ts).
 */
function inboundMessageOf(json: IDataObject): InboundMessage | undefined {
	return typeof json.messageId === 'string' && typeof json.type === 'string' ? (json as unknown as InboundMessage) : undefined;
}

/** The inbound message behind the item, content resolved when the trigger kept it by reference. */
async function incoming(item: INodeExecutionData, access: StoreAccess): Promise<{ message?: InboundMessage; media?: Media; expired?: boolean }> {
	const found = await incomingMessage(item, access);
	// A turn is answered as its last message, with everything the contact wrote in it as the text.
	if (found.message && isTurn(item.json)) {
		const text = await turnText(item.json, access);
		if (text) found.message = { ...found.message, text } as InboundMessage;
	}
	return found;
}

/**
 * Each message of a turn, content resolved, with tools fetching its own media: the turn item's binary data
 * `data<i>` (the trigger downloaded it), else the store's copy or Meta's.
 */
async function turnEntries(
	item: INodeExecutionData,
	access: StoreAccess,
	toolsFor: (message: InboundMessage, binaryKey: string, stored: Media | undefined) => UnderstandTools,
): Promise<TurnEntry[]> {
	const entries: TurnEntry[] = [];
	for (const [index, json] of turnMessages(item.json).entries()) {
		const { message, media } = await incomingMessage({ json }, access);
		if (message) entries.push({ message, tools: toolsFor(message, `data${index}`, media) });
	}
	return entries;
}

async function incomingMessage(item: INodeExecutionData, access: StoreAccess): Promise<{ message?: InboundMessage; media?: Media; expired?: boolean }> {
	if (typeof item.json.contentRef !== 'string') return { message: inboundMessageOf(item.json) };
	if (!access.keys) throw new Error('This item’s content is kept by reference: attach the same WhatsAuto: Store API credential as the trigger.');
	const resolved = await resolveContent(access.store, access.keys, item.json);
	if (!resolved) return { expired: true };
	return { message: inboundMessageOf(resolved.message as IDataObject), media: resolved.media };
}

/** Where the output says the reply went: the item's contact reference when it has one, else the number (or user id). */
function shownRecipient(json: IDataObject): string {
	if (pseudonymOfRef(json.contactKey)) return String(json.contactKey);
	const sender = senderOf(json);
	return sender.waId ?? sender.userId ?? '';
}

function baseOutput(json: IDataObject, options: ReplyOptions): IDataObject {
	return {
		messageId: json.messageId,
		to: shownRecipient(json),
		type: json.type,
		model: options.model,
	};
}

async function handleStatus(ctx: IExecuteFunctions, json: IDataObject, options: ReplyOptions, svc: Services): Promise<IDataObject> {
	if (options.usageLedger && svc.access.keys) await notePricing(ctx, json, options, svc);
	const errors = (json.errors ?? []) as Array<{ code?: number }>;
	const closed = json.status === 'failed' && errors.some((error) => error.code === RE_ENGAGEMENT);
	const base = { messageId: json.messageId, kind: 'status', model: options.model };
	if (!closed) return { ...base, status: 'skipped', skipped: true, reason: 'status', graphMessageIds: [] };
	const ledger = new ReplyLedger(svc.access.store, '', opaqueFor(svc));
	const sent = await ledger.sentBy(String(json.messageId));
	if (!sent) return { ...base, status: 'skipped', skipped: true, reason: 'not_our_message', graphMessageIds: [] };
	// A status with pseudonymous ids names its recipient by contact reference: the store keeps their number.
	const ref = pseudonymOfRef(json.contactKey);
	const known = ref && svc.access.keys ? ((await contactOf(svc.access.store, svc.access.keys, ref)) ?? {}) : {};
	const recipient = recipientFor({
		...known,
		...(stringOr(json.recipientId, undefined) ? { waId: String(json.recipientId) } : {}),
		...(stringOr(json.recipientUserId, undefined) ? { userId: String(json.recipientUserId) } : {}),
	});
	if (!reachable(recipient)) return { ...base, status: 'skipped', skipped: true, reason: 'contact_unknown', graphMessageIds: [] };
	if (!canSendTemplate(options) || !options.sendReply) {
		return { ...base, status: 'skipped', skipped: true, reason: 'window_closed', graphMessageIds: [] };
	}
	// One template per customer message: a reply split into parts fails part by part, each with its own status.
	if (!(await svc.access.store.claim(SCOPES.templateFallback.name, sent.inReplyTo, SCOPES.templateFallback.lifetimeMs))) {
		return { ...base, status: 'skipped', skipped: true, reason: 'duplicate', graphMessageIds: [] };
	}
	const wamid = await deliverTemplate(svc.http, svc.meta, recipient, options);
	ctx.logger.info('WhatsAuto Auto-Reply sent the template fallback after a late 24-hour-window failure (131047)');
	const graphMessageIds = [ref || isMessageRef(json.messageId) ? ledger.ref(wamid) : wamid];
	return { ...base, status: 'template', fallback: true, reason: 'window_closed_async', graphMessageIds };
}

/**
 * The usage ledger's pricing row for a message we sent, from the first of its statuses that carries Meta's `pricing`
 * block. Keyed by a keyed hash of the message's reference (never the wamid), filed under the person the message
 * went to (the contact key of its `sent` record). Never fails the item: usage is bookkeeping.
 */
async function notePricing(ctx: IExecuteFunctions, json: IDataObject, options: ReplyOptions, svc: Services): Promise<void> {
	try {
		await recordSentPricing(svc.access.store, opaqueFor(svc), json, options.usageRetentionMs);
	} catch (error) {
		ctx.logger.warn(`WhatsAuto Auto-Reply could not record the pricing of a sent message: ${(error as Error).message}`);
	}
}

type Stage = 'understand' | 'model' | 'send';

/** A finite number field of an item, else undefined. */
const numberField = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * The usage ledger's row for an item: its message types (a turn's, in order), the outcome, the model's tokens, and
 * the stage latencies. `ack` and `wait` come from the conversation gate's hand-off (gate/handoff.ts): `receivedAt`,
 * when the trigger stored the (last) message, and `handedOnAt`, when the turn was handed on (epoch ms).
 */
function usageEntry(
	json: IDataObject,
	subject: string,
	outcome: { status: UsageOutcome; reason?: string; graphMessageIds: string[]; at: string },
	stages: Partial<Record<Stage, number>>,
	totalMs: number,
	model: { name: string; usage?: Usage } | undefined,
): UsageEntry {
	const types = isTurn(json) ? turnMessages(json).map((m) => String(m.type ?? 'other')) : [String(json.type ?? 'other')];
	const receivedAt = numberField(json.receivedAt);
	const handedOnAt = numberField(json.handedOnAt);
	const sentAt = numberField(json.timestampUnix);
	const latencyMs: UsageLatencies = {
		...(receivedAt !== undefined && sentAt ? { ack: Math.max(0, receivedAt - sentAt * 1000) } : {}),
		...(receivedAt !== undefined && handedOnAt !== undefined ? { wait: Math.max(0, handedOnAt - receivedAt) } : {}),
		...Object.fromEntries(Object.entries(stages).map(([stage, ms]) => [stage, Math.max(0, Math.round(ms))])),
		total: Math.max(0, Math.round(totalMs)),
	};
	return {
		at: outcome.at,
		contactKey: subject,
		messageTypes: types,
		messages: types.length,
		outcome: outcome.status,
		...(outcome.reason ? { reason: outcome.reason } : {}),
		...(model ? { model: model.name } : {}),
		...(model?.usage ? { tokens: { prompt: model.usage.promptTokens, completion: model.usage.completionTokens, cached: model.usage.cachedTokens } } : {}),
		latencyMs,
		sent: outcome.graphMessageIds.length,
	};
}

/** Why an item failed, as a label for the usage ledger (never an error's text: it may quote what was sent). */
function failureLabel(error: unknown): string {
	if (error instanceof ConversationSettingsError) return 'conversation_settings';
	if (error instanceof GraphApiError) return `graph_api${error.code !== undefined ? `_${error.code}` : ''}`;
	return 'error';
}

/**
 * Meta's Business Agent holds the conversation (a `standby` item, or a message split out of one): no model, no
 * read receipt, no send — sending would take the conversation over from the agent.
 */
function heldByMetaAgent(json: IDataObject, options: ReplyOptions): IDataObject {
	const about: IDataObject =
		json.kind === 'standby'
			? {
					kind: 'standby',
					messageIds: ((json.messages ?? []) as IDataObject[]).map((message) => message.messageId),
					to: json.contactKey ?? '',
					model: options.model,
				}
			: baseOutput(json, options);
	return { ...about, status: 'skipped', skipped: true, reason: 'held_by_meta_agent', graphMessageIds: [] };
}

/**
 * A person at the business answered from the WhatsApp Business app (an `smb_message_echoes` echo): the AI stays
 * quiet for that contact until the people answering have been silent for the pause setting.
 */
async function personAnswered(json: IDataObject, options: ReplyOptions, svc: Services): Promise<IDataObject> {
	const base = { kind: 'message_echo', messageId: json.messageId, to: json.contactKey ?? json.to ?? '', model: options.model, graphMessageIds: [] };
	const { store, keys } = svc.access;
	const ids: Sender = { ...(typeof json.to === 'string' && json.to ? { waId: json.to } : {}), ...(typeof json.toUserId === 'string' ? { userId: json.toUserId } : {}) };
	const subject = pseudonymOfRef(json.contactKey) ?? (keys ? await canonicalOf(store, keys, ids) : undefined);
	if (!subject) return { ...base, status: 'skipped', skipped: true, reason: keys ? 'contact_unknown' : 'no_store_key' };
	const pause = await pauseFor(store, subject, 'human_reply');
	// what the person at the business wrote is theirs to keep, not ours: the echo's content goes now
	if (typeof json.contentRef === 'string') await forgetContent(store, json.contentRef);
	const until = new Date(Date.parse(pause.lastActivity) + options.conversation.pauseSilenceMs).toISOString();
	return { ...base, status: 'paused', skipped: true, reason: SILENCE_REASONS[pause.reason], pausedUntil: until };
}

/** One inbound message → understood, answered, delivered once; the output says exactly what happened. */
async function replyToItem(ctx: IExecuteFunctions, itemIndex: number, item: INodeExecutionData, svc: Services): Promise<IDataObject> {
	const started = Date.now();
	const clock = performance.now();
	const options = toReplyOptions(paramsOf(ctx, itemIndex), ctx.getNode());
	const json = item.json;
	if (json.kind === 'status') return await handleStatus(ctx, json, options, svc);
	if (json.kind === 'standby' || json.standby === true) return heldByMetaAgent(json, options);
	if (json.kind === 'message_echo' && options.conversation.pauseOnHumanReply) return await personAnswered(json, options, svc);
	if (json.kind !== 'message' && json.kind !== 'turn' && json.kind !== undefined) {
		return { ...baseOutput(json, options), status: 'skipped', skipped: true, reason: `not_a_message:${String(json.kind)}`, graphMessageIds: [] };
	}
	if (typeof json.messageId !== 'string' || typeof json.type !== 'string') {
		throw new NodeOperationError(ctx.getNode(), 'The item is not a WhatsApp message: connect the Messages output of a WhatsAuto Trigger (or provide messageId, type, from.waId and text).', { itemIndex });
	}
	const who = await whoIs(json, svc);
	const ledger = new ReplyLedger(svc.access.store, who.subject, opaqueFor(svc));
	const key = ledger.key(String(json.phoneNumberId ?? svc.meta.phoneNumberId), json.messageId);
	const output = baseOutput(json, options);

	const handOn = typeof json.gateLease === 'string' ? json.gateLease : '';
	const begun = await ledger.begin(key, handOn);
	if (begun.state === 'done') return { ...output, ...begun.outcome, skipped: true, reason: 'duplicate' };
	if (begun.state === 'busy') return { ...output, status: 'skipped', skipped: true, reason: 'in_progress', graphMessageIds: [] };

	let sentSomething = false;
	// The claim on this closed period's away message, given back unless something reached the person.
	let releaseAway: (() => Promise<unknown>) | undefined;
	// The usage ledger's measurements (Usage Ledger option): time per stage, the model's tokens.
	const stages: Partial<Record<Stage, number>> = {};
	const timed = async <T>(stage: Stage, work: () => Promise<T>): Promise<T> => {
		const at = performance.now();
		try {
			return await work();
		} finally {
			stages[stage] = (stages[stage] ?? 0) + (performance.now() - at);
		}
	};
	let model: { name: string; usage?: Usage } | undefined;
	let usageNoted = false;
	const noteUsage = async (outcome: { status: UsageOutcome; reason?: string; graphMessageIds: string[]; at: string }): Promise<void> => {
		if (!options.usageLedger || !svc.access.keys || usageNoted) return;
		usageNoted = true;
		try {
			await recordTurn(svc.access.store, key, usageEntry(json, who.subject, outcome, stages, performance.now() - clock, model), options.usageRetentionMs);
		} catch (error) {
			ctx.logger.warn(`WhatsAuto Auto-Reply could not record usage: ${(error as Error).message}`);
		}
	};
	try {
		const finish = async (outcome: Omit<ReplyOutcome, 'at'>, extra: IDataObject = {}): Promise<IDataObject> => {
			if (!sentSomething) await releaseAway?.();
			const full: ReplyOutcome = { ...outcome, at: new Date().toISOString() };
			await ledger.finish(key, full);
			await noteUsage(full);
			// A turn's other messages get the same outcome: each inbound message is answered exactly once.
			const phone = String(json.phoneNumberId ?? svc.meta.phoneNumberId);
			for (const id of otherMessageIds(json)) await ledger.record(ledger.key(phone, id), full);
			if (typeof json.contentRef === 'string') await forgetContent(svc.access.store, json.contentRef);
			for (const ref of turnContentRefs(json)) if (ref !== json.contentRef) await forgetContent(svc.access.store, ref);
			// An item with pseudonymous ids gets an output without Meta's ids either (a wamid encodes the number).
			const shown = who.pseudonymous ? { ...full, graphMessageIds: full.graphMessageIds.map((id) => ledger.ref(id)) } : full;
			return { ...output, ...shown, latencyMs: Date.now() - started, fallback: false, skipped: full.status === 'skipped', ...extra };
		};

		// STOP holds under whichever id the person wrote with (number, user id, or the alias linking them).
		if (await aiSuppressed(svc.access.store, who.suppressionKeys)) {
			return await finish({ status: 'skipped', graphMessageIds: [], reason: 'objected' });
		}
		// While a person answers (or asked for one), the bot sends this contact nothing at all.
		const silence = who.subject ? await silenceReason(svc.access, who.subject, options) : undefined;
		if (silence) return await finish({ status: 'skipped', graphMessageIds: [], reason: silence });

		const { message, media: storedMedia, expired } = await incoming(item, svc.access);
		if (expired || !message) return await finish({ status: 'skipped', graphMessageIds: [], reason: 'content_expired' });
		const skip = skipReason(message, options);
		if (skip) return await finish({ status: 'skipped', graphMessageIds: [], reason: skip });
		// The number (or user id) to answer: the contact record's, else the one the message itself names.
		const recipient = reachable(who.recipient) ? who.recipient : recipientFor(senderOf(message as unknown as IDataObject));
		if (!reachable(recipient)) return await finish({ status: 'skipped', graphMessageIds: [], reason: 'contact_unknown' });
		// Allowed / Blocked Contacts: a barred person gets nothing at all, not even a handoff, reset or template message.
		const barred = await contactBarred(svc, options, who.subject, recipient);
		if (barred) return await finish({ status: 'skipped', graphMessageIds: [], reason: barred });

		const ageMs = Date.now() - Number(json.timestampUnix ?? 0) * 1000;
		const windowOpen = !json.timestampUnix || ageMs < WINDOW_MS;
		if (!windowOpen) {
			if (!options.sendReply || !canSendTemplate(options)) return await finish({ status: 'skipped', graphMessageIds: [], reason: 'window_closed' });
			const wamid = await timed('send', async () => await deliverTemplate(svc.http, svc.meta, recipient, options));
			sentSomething = true;
			return await finish({ status: 'template', graphMessageIds: [wamid], reason: 'window_closed' }, { fallback: true });
		}

		const conversation = options.conversation;
		const texts = await customerTexts(json, message, svc.access);
		const commands = commandsIn(texts);
		const language = languageFor(options, texts, commands.handoff ?? commands.reset);
		const send = async (text: string) => {
			const delivery = await timed('send', async () => await deliverText(svc.http, svc.meta, recipient, text, undefined));
			sentSomething ||= delivery.graphMessageIds.length > 0;
			return delivery.graphMessageIds;
		};

		if (conversation.handoff && commands.handoff) {
			const text = conversation.handoffMessage || conversationText('handoff', language, { business: options.businessName });
			const graphMessageIds = options.sendReply ? await send(text) : [];
			if (who.subject) await pauseFor(svc.access.store, who.subject, 'handoff');
			return await finish(
				{ status: 'handoff', graphMessageIds, reason: 'handoff_requested' },
				// contactKey at the top too: the Contact field of Resume AI / Get Status reads `$json.contactKey` by default
				{ contactKey: json.contactKey ?? output.to, handoff: { language: language ?? 'en', aiPaused: Boolean(who.subject), contactKey: json.contactKey ?? output.to } },
			);
		}
		const memoryKeys = conversation.memory.turns > 0 && who.subject ? svc.access.keys : undefined;
		if (memoryKeys && commands.reset) {
			await forget(svc.access.store, who.subject);
			if (commands.onlyReset) {
				const graphMessageIds = options.sendReply ? await send(conversationText('reset', language, { business: options.businessName })) : [];
				return await finish({ status: 'replied', graphMessageIds, reason: 'memory_reset' });
			}
		}

		// Keyword rules: before the disclosure, the hours and the model.
		const ruleIndex = matchingRule(options.keywordRules, texts);
		if (ruleIndex >= 0) {
			const rule = options.keywordRules[ruleIndex];
			if (rule.action === 'route') return await finish({ status: 'skipped', graphMessageIds: [], reason: 'routed_by_rule' }, { rule: ruleIndex + 1 });
			const graphMessageIds = options.sendReply && rule.replyText ? await send(rule.replyText) : [];
			const shownReply = options.includeReplyText ? { replies: [rule.replyText] } : { replyChars: rule.replyText.length };
			return await finish({ status: options.sendReply ? 'replied' : 'output_only', graphMessageIds, reason: 'keyword_rule' }, { rule: ruleIndex + 1, ...shownReply });
		}

		// Texts that go before the reply: the first-contact disclosure, the away message.
		const before: string[] = [];
		const disclose = conversation.disclosure && Boolean(who.subject) && !(await wasDisclosed(svc.access.store, who.subject));
		if (disclose) before.push(conversation.disclosureMessage || conversationText('disclosure', language, { business: options.businessName }));
		const hours = await outsideHours(svc.access, who.subject || JSON.stringify(recipient), options, language, opaqueFor(svc));
		releaseAway = hours.release;
		if (hours.closed && conversation.hours?.outside === 'silent') {
			const graphMessageIds = hours.away && options.sendReply ? await send([...before, hours.away].join('\n\n')) : [];
			if (disclose && graphMessageIds.length) await recordDisclosure(svc.access.store, who.subject);
			return await finish({ status: graphMessageIds.length ? 'away' : 'skipped', graphMessageIds, reason: 'outside_hours' });
		}
		if (hours.away) before.push(hours.away);

		if (options.sendReply && (options.markAsRead || options.typingIndicator)) {
			await markAsRead(svc.http, svc.meta, message.messageId, options.typingIndicator).catch((error: Error) =>
				ctx.logger.warn(`WhatsAuto Auto-Reply could not mark the message as read: ${error.message}`),
			);
		}

		const history = memoryKeys && !commands.reset ? await recall(svc.access.store, memoryKeys, who.subject, conversation.memory) : [];
		const signal = AbortSignal.timeout(options.modelBudgetMs);
		const mask = (text: string) => (options.maskPersonalData ? maskPersonalData(text).text : text);
		let understanding: Understanding;
		let reply: Answer;
		try {
			const toolsFor = (m: InboundMessage, binaryKey: string, stored: Media | undefined): UnderstandTools => ({
				media: async (maxBytes) => await mediaFor(ctx, itemIndex, item, m, stored, svc, maxBytes, binaryKey),
				transcribe: async (media) => await transcribe(svc, options, media, signal),
				mask,
			});
			understanding = await timed('understand', async () =>
				turnMessages(json).length > 1
					? await understandTurn(await turnEntries(item, svc.access, toolsFor), options)
					: await understand(message, options, toolsFor(message, isTurn(json) ? 'data0' : 'data', storedMedia)),
			);
			const understood = understanding;
			if (understood.kind === 'model') model = { name: options.model };
			reply =
				understood.kind === 'model'
					? await timed('model', async () => await answer(svc, options, understood, history, signal))
					: {
							text: understanding.kind === 'direct' ? understanding.text : '',
							fallback: understanding.kind === 'direct' && understanding.reason === 'media_unavailable',
						};
		} catch (error) {
			const failure = describeOpenAiError(error);
			understanding = { kind: 'direct', text: options.fallbackMessage, reason: 'media_unavailable' };
			reply = { text: options.fallbackMessage, fallback: true, error: failure.message, configurationError: failure.configuration };
		}
		if (model) model.usage = reply.usage;
		if (understanding.kind === 'skip') return await finish({ status: 'skipped', graphMessageIds: [], reason: understanding.reason });

		const understood: IDataObject =
			understanding.kind === 'model'
				? {
						source: understanding.source,
						...(understanding.extractedChars !== undefined ? { extractedChars: understanding.extractedChars } : {}),
						...(options.includeUnderstanding && understanding.extracted !== undefined ? { extracted: understanding.extracted } : {}),
					}
				: { source: understanding.reason };
		const replyText = [...before, reply.text].filter(Boolean).join('\n\n');
		const report: IDataObject = {
			...(options.includeReplyText ? { replies: [replyText] } : { replyChars: replyText.length }),
			understood,
			usage: reply.usage ?? null,
			...(reply.error ? { error: reply.error } : {}),
		};

		if (!options.sendReply) return await finish({ status: 'output_only', graphMessageIds: [] }, { ...report, fallback: reply.fallback });
		// A person may have taken over while the model was writing: they answer, not the bot.
		const tookOver = who.subject ? await silenceReason(svc.access, who.subject, options) : undefined;
		if (tookOver) return await finish({ status: 'skipped', graphMessageIds: [], reason: tookOver }, report);

		// an edit is quoted as the message it corrects, the one the customer sees
		const quoted = options.quoteMessage ? (message.editedMessageId ?? message.messageId) : undefined;
		const delivery = await timed('send', async () => await deliverText(svc.http, svc.meta, recipient, replyText, quoted));
		sentSomething = delivery.graphMessageIds.length > 0;
		if (sentSomething && disclose) await recordDisclosure(svc.access.store, who.subject);
		if (sentSomething && memoryKeys && understanding.kind === 'model' && !reply.fallback) {
			const turn = { at: new Date().toISOString(), customer: memoryTextOf(understanding.parts), reply: reply.text };
			await remember(svc.access.store, memoryKeys, who.subject, turn, conversation.memory);
		}
		if (delivery.windowClosed) {
			if (!canSendTemplate(options)) return await finish({ status: 'skipped', graphMessageIds: [], reason: 'window_closed' }, report);
			const wamid = await timed('send', async () => await deliverTemplate(svc.http, svc.meta, recipient, options));
			sentSomething = true;
			return await finish({ status: 'template', graphMessageIds: [wamid], reason: 'window_closed' }, { ...report, fallback: true });
		}
		const result = await finish(
			{ status: reply.fallback ? 'fallback' : 'replied', graphMessageIds: delivery.graphMessageIds, ...(reply.fallback ? { reason: understanding.kind === 'direct' ? understanding.reason : 'model_failed' } : {}) },
			{ ...report, fallback: reply.fallback },
		);
		if (reply.configurationError && !ctx.continueOnFail()) {
			throw new NodeOperationError(ctx.getNode(), `${reply.error} The customer received the fallback message.`, { itemIndex });
		}
		return result;
	} catch (error) {
		if (!sentSomething) {
			await ledger.abandon(key, handOn).catch(() => undefined);
			await releaseAway?.().catch(() => undefined);
		}
		// Counted as failed (unless its outcome was recorded before, e.g. a configuration error after the fallback was sent);
		// a retry that gets further replaces the row (same key).
		await noteUsage({ status: 'failed', reason: failureLabel(error), graphMessageIds: [], at: new Date().toISOString() });
		if (error instanceof ConversationSettingsError) throw new NodeOperationError(ctx.getNode(), error.message, { itemIndex });
		if (error instanceof GraphApiError) {
			throw new NodeApiError(
				ctx.getNode(),
				{ message: error.message, ...(error.code !== undefined ? { code: error.code } : {}), httpCode: String(error.httpStatus) },
				{ itemIndex, message: error.message },
			);
		}
		throw error;
	}
}

/**
 * Why the Allowed / Blocked Contacts lists keep the bot quiet for this person, if they do: compared by pseudonym
 * (so items with contact references match the numbers listed), or by the number itself without the store's keys.
 */
async function contactBarred(svc: Services, options: ReplyOptions, subject: string, recipient: Recipient): Promise<'blocked_contact' | 'not_allowed' | undefined> {
	if (!options.allowContacts.length && !options.denyContacts.length) return undefined;
	const { store, keys } = svc.access;
	const digits = (value: string) => value.replace(/\D/g, '');
	const own = subject && keys ? subject : recipient.waId ? digits(recipient.waId) : '';
	const idOf = async (entry: string): Promise<string> => {
		if (subject && keys) return (await personOf(store, keys, entry))?.subject ?? '';
		return digits(entry);
	};
	const listed = async (list: string[]) => {
		for (const entry of list) {
			const id = await idOf(entry);
			if (id && id === own) return true;
		}
		return false;
	};
	if (await listed(options.denyContacts)) return 'blocked_contact';
	if (options.allowContacts.length && !(await listed(options.allowContacts))) return 'not_allowed';
	return undefined;
}

function paramsOf(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
	const names = ['model', 'businessName', 'instructions', 'knowledge', 'sendReply', 'options', 'conversation'];
	return {
		...Object.fromEntries(names.map((name) => [name, ctx.getNodeParameter(name, itemIndex, undefined) as IDataObject[string]])),
		timezone: ctx.getTimezone(),
	};
}

export async function execute(ctx: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const svc = await services(ctx);
	const results: INodeExecutionData[] = [];
	const handoffs: INodeExecutionData[] = [];
	const routed: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const json = await replyToItem(ctx, itemIndex, items[itemIndex], svc);
			const output = json.status === 'handoff' && json.reason === 'handoff_requested' ? handoffs : json.reason === 'routed_by_rule' ? routed : results;
			output.push({ json, pairedItem: { item: itemIndex } });
		} catch (error) {
			if (ctx.continueOnFail()) {
				results.push({ json: { messageId: items[itemIndex].json.messageId, error: (error as Error).message }, pairedItem: { item: itemIndex } });
				continue;
			}
			throw error;
		}
	}
	return [results, handoffs, routed];
}

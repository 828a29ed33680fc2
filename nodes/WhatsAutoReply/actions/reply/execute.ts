import { performance } from 'node:perf_hooks';
import { NodeApiError, NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';
import { forgetContent } from '../../../shared/store/contentByReference';
import { aiSuppressed, reachable } from '../../../shared/store/people';
import { maskPersonalData } from '../../../shared/text/mask';
import { GraphApiError } from '../../../shared/transport/graphApi';
import { markAsRead } from '../../../shared/transport/messages';
import { describeOpenAiError } from '../../../shared/transport/openAi';
import { type InboundMessage } from '../../../shared/whatsapp';
import { canSendTemplate, deliverTemplate, deliverText } from './deliver';
import { ReplyLedger, type ReplyOutcome } from '../../../shared/replyLedger';
import { isTurn, otherMessageIds, turnContentRefs, turnMessages } from './turn';
import { matchingRule, toReplyOptions, type ReplyOptions } from './options';
import { commandsIn, ConversationSettingsError, customerTexts, languageFor, outsideHours, silenceReason } from './conversation';
import { forget, recall, remember } from '../../../shared/conversation/memory';
import { conversationText } from '../../../shared/conversation/messages';
import { pauseFor } from '../../../shared/conversation/pause';
import { recordDisclosure, wasDisclosed } from '../../../shared/conversation/firstContact';
import { recordTurn, type UsageOutcome } from '../../../shared/usage/ledger';
import { skipReason, understand, understandTurn, type Media, type Understanding, type UnderstandTools } from './understand';
import { contactBarred } from './contacts';
import { budgetCheck, capCheck, estimateTokens, firstNotice, loopCheck, noteSent, shed, type Flag, type GuardScope } from './guards';
import { charge, UnpricedModelError, type Tokens } from '../../../shared/usage/budgets';
import { chatMessages, memoryTextOf } from './prompt';
import type { MemoryTurn } from '../../../shared/conversation/memory';
import { handleStatus, heldByMetaAgent, personAnswered } from './events';
import { ContentReader } from './incoming';
import { type Answer, type Usage, answer, completionTokenLimit, mediaFor, transcribe } from './model';
import { type Services, baseOutput, opaqueFor, recipientFor, senderOf, services, whoIs } from './services';
import { type Stage, failureLabel, usageEntry } from './usageRow';

const WINDOW_MS = 24 * 60 * 60 * 1000;

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
	// What reached the person (the loop guard recognises it coming back).
	const sentTexts: string[] = [];
	// The claim on this closed period's away message, given back unless something reached the person.
	let releaseAway: (() => Promise<unknown>) | undefined;
	// The Limits settings need the person's pseudonym and the store's keys; a place under the reply caps, given back unless something was sent.
	const guard: GuardScope | undefined = who.subject && svc.access.keys ? { store: svc.access.store, keys: svc.access.keys, subject: who.subject, limits: options.limits } : undefined;
	let capSlot: (() => Promise<void>) | undefined;
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
			if (!sentSomething) await capSlot?.();
			if (sentSomething && guard) await noteSent(guard, sentTexts, outcome.status !== 'waitlisted');
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

		const content = new ContentReader(svc.access);
		const { message: last, media: storedMedia, expired } = await content.incoming(item);
		if (expired || !last) return await finish({ status: 'skipped', graphMessageIds: [], reason: 'content_expired' });
		let message: InboundMessage = last;
		const skip = skipReason(last, options);
		if (skip) {
			// a turn is skipped only when none of its messages gets an answer (one ending in a reaction is still answered)
			const answerable = turnMessages(json).length > 1 ? await content.lastAnswerable(item, (m) => !skipReason(m, options)) : undefined;
			if (!answerable) return await finish({ status: 'skipped', graphMessageIds: [], reason: skip });
			message = answerable;
		}
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
		const texts = await customerTexts(json, message, content);
		const commands = commandsIn(texts);
		const language = languageFor(options, texts, commands.handoff ?? commands.reset);
		const send = async (text: string) => {
			const delivery = await timed('send', async () => await deliverText(svc.http, svc.meta, recipient, text, undefined));
			sentSomething ||= delivery.graphMessageIds.length > 0;
			if (delivery.graphMessageIds.length) sentTexts.push(text);
			return delivery.graphMessageIds;
		};

		// Limits: another bot answering ours, then the person's reply caps (before anything at all is sent).
		if (guard) {
			const loop = await loopCheck(guard, texts, Math.max(1, turnMessages(json).length));
			if (loop?.stop) {
				const flag: Flag = { guard: 'loop_guard', signs: loop.signs, strikes: loop.strikes };
				return await finish({ status: 'skipped', graphMessageIds: [], reason: 'loop_detected' }, { flagged: flag, contactKey: json.contactKey ?? output.to });
			}
			const cap = await capCheck(guard);
			if (cap && !cap.ok) {
				const flag: Flag = { guard: cap.reached, period: cap.period };
				const flagged = (await firstNotice(guard, flag)) ? { flagged: flag, contactKey: json.contactKey ?? output.to } : {};
				return await finish({ status: 'skipped', graphMessageIds: [], reason: cap.reached }, flagged);
			}
			if (cap) capSlot = cap.giveBack;
		}

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

		// Load shedding: a person the bot is not talking to yet waits while it is at capacity.
		const waiting = guard ? await shed(guard, recipient, language, String(json.phoneNumberId ?? svc.meta.phoneNumberId)) : undefined;
		if (waiting) {
			const text = options.limits.capacity.message || conversationText('capacity', language, { business: options.businessName });
			const graphMessageIds = waiting.tell && options.sendReply ? await send(text) : [];
			return await finish({ status: 'waitlisted', graphMessageIds, reason: 'at_capacity' });
		}

		if (options.sendReply && (options.markAsRead || options.typingIndicator)) {
			await markAsRead(svc.http, svc.meta, message.messageId, options.typingIndicator).catch((error: Error) =>
				ctx.logger.warn(`WhatsAuto Auto-Reply could not mark the message as read: ${error.message}`),
			);
		}

		const history = memoryKeys && !commands.reset ? await recall(svc.access.store, memoryKeys, who.subject, conversation.memory) : [];
		// Token budgets and the spend cap: reserved before the call, corrected to OpenAI's count after it.
		const budget: { flag?: Flag; silent?: string; reached?: string } = {};
		const budgeted = async (understood: Understanding & { kind: 'model' }, turns: readonly MemoryTurn[], abort: AbortSignal): Promise<Answer> => {
			const call = async (opts: ReplyOptions) => await timed('model', async () => await answer(svc, opts, understood, turns, abort));
			if (!guard) return await call(options);
			const estimate = estimateTokens(chatMessages(options, understood.parts, turns), completionTokenLimit(options.maxReplyChars));
			const admission = await budgetCheck(guard, options.model, estimate);
			if (!admission || admission.admitted) {
				let answered: Answer | undefined;
				try {
					answered = await call(options);
				} finally {
					await admission?.reservation.settle(answered?.usage && tokensOf(answered.usage));
				}
				return answered;
			}
			const flag: Flag = { guard: admission.reached, period: admission.period };
			budget.reached = admission.reached;
			if (await firstNotice(guard, flag)) budget.flag = flag;
			if (options.limits.whenBudgetReached === 'cheaperModel') {
				const cheaper = { ...options, model: options.limits.cheaperModel };
				model = { name: cheaper.model };
				const answered = await call(cheaper);
				if (answered.usage) await charge(guard.store, guard.limits.budgets, guard.subject, cheaper.model, tokensOf(answered.usage));
				return answered;
			}
			// The fallback message once per person and period, then silence until the budget allows again.
			if (await firstNotice(guard, flag, true)) return { text: options.fallbackMessage, fallback: true };
			budget.silent = admission.reached;
			return { text: '', fallback: true };
		};
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
					? await understandTurn(await content.turnEntries(item, toolsFor), options)
					: await understand(message, options, toolsFor(message, isTurn(json) ? 'data0' : 'data', storedMedia)),
			);
			const understood = understanding;
			if (understood.kind === 'model') model = { name: options.model };
			reply =
				understood.kind === 'model'
					? await budgeted(understood, history, signal)
					: {
							text: understanding.kind === 'direct' ? understanding.text : '',
							fallback: understanding.kind === 'direct' && understanding.reason === 'media_unavailable',
						};
		} catch (error) {
			if (error instanceof UnpricedModelError) throw error;
			const failure = describeOpenAiError(error);
			understanding = { kind: 'direct', text: options.fallbackMessage, reason: 'media_unavailable' };
			reply = { text: options.fallbackMessage, fallback: true, error: failure.message, configurationError: failure.configuration };
		}
		if (model) model.usage = reply.usage;
		if (understanding.kind === 'skip') return await finish({ status: 'skipped', graphMessageIds: [], reason: understanding.reason });
		const flagged = budget.flag ? { flagged: budget.flag, contactKey: json.contactKey ?? output.to } : {};
		if (budget.silent) return await finish({ status: 'skipped', graphMessageIds: [], reason: budget.silent }, flagged);

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
			...(budget.reached ? { budget: budget.reached } : {}),
			...flagged,
		};

		if (!options.sendReply) return await finish({ status: 'output_only', graphMessageIds: [] }, { ...report, fallback: reply.fallback });
		// A person may have taken over while the model was writing: they answer, not the bot.
		const tookOver = who.subject ? await silenceReason(svc.access, who.subject, options) : undefined;
		if (tookOver) return await finish({ status: 'skipped', graphMessageIds: [], reason: tookOver }, report);

		// an edit is quoted as the message it corrects, the one the customer sees
		const quoted = options.quoteMessage ? (message.editedMessageId ?? message.messageId) : undefined;
		const delivery = await timed('send', async () => await deliverText(svc.http, svc.meta, recipient, replyText, quoted));
		sentSomething = delivery.graphMessageIds.length > 0;
		if (sentSomething) sentTexts.push(replyText);
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
			{ status: reply.fallback ? 'fallback' : 'replied', graphMessageIds: delivery.graphMessageIds, ...(reply.fallback ? { reason: fallbackReason(understanding, budget.reached) } : {}) },
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
		if (error instanceof ConversationSettingsError || error instanceof UnpricedModelError) throw new NodeOperationError(ctx.getNode(), error.message, { itemIndex });
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

/** Why the customer got the fallback message: what could not be understood, a budget used up, or the model failing. */
function fallbackReason(understanding: Understanding, budgetReached: string | undefined): string {
	if (understanding.kind === 'direct') return understanding.reason;
	return budgetReached ?? 'model_failed';
}

const tokensOf = (usage: Usage): Tokens => ({ prompt: usage.promptTokens, completion: usage.completionTokens, cached: usage.cachedTokens });

function paramsOf(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
	const names = ['model', 'businessName', 'instructions', 'knowledge', 'sendReply', 'options', 'conversation', 'limits'];
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
	const flagged: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const json = await replyToItem(ctx, itemIndex, items[itemIndex], svc);
			const output = json.flagged ? flagged : json.status === 'handoff' && json.reason === 'handoff_requested' ? handoffs : json.reason === 'routed_by_rule' ? routed : results;
			output.push({ json, pairedItem: { item: itemIndex } });
		} catch (error) {
			if (ctx.continueOnFail()) {
				results.push({ json: { messageId: items[itemIndex].json.messageId, error: (error as Error).message }, pairedItem: { item: itemIndex } });
				continue;
			}
			throw error;
		}
	}
	return [results, handoffs, routed, flagged];
}

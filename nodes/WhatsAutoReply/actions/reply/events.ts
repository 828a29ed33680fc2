/** Items that are not a customer's message: statuses (pricing, late window failures), Meta's agent holding the thread, a person's echo. */
import { type IDataObject, type IExecuteFunctions } from 'n8n-workflow';
import { forgetContent } from '../../../shared/store/contentByReference';
import { stringOr } from '../../../shared/coerce';
import { isMessageRef, pseudonymOfRef } from '../../../shared/contact';
import { canonicalOf, contactOf, reachable, type Sender } from '../../../shared/store/people';
import { SCOPES } from '../../../shared/store/scopes';
import { canSendTemplate, deliverTemplate, RE_ENGAGEMENT } from './deliver';
import { ReplyLedger } from '../../../shared/replyLedger';
import { type ReplyOptions } from './options';
import { pauseFor, SILENCE_REASONS } from '../../../shared/conversation/pause';
import { recordSentPricing } from '../../../shared/usage/pricing';
import { type Services, baseOutput, opaqueFor, recipientFor } from './services';

export async function handleStatus(ctx: IExecuteFunctions, json: IDataObject, options: ReplyOptions, svc: Services): Promise<IDataObject> {
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
export async function notePricing(ctx: IExecuteFunctions, json: IDataObject, options: ReplyOptions, svc: Services): Promise<void> {
	try {
		await recordSentPricing(svc.access.store, opaqueFor(svc), json, options.usageRetentionMs);
	} catch (error) {
		ctx.logger.warn(`WhatsAuto Auto-Reply could not record the pricing of a sent message: ${(error as Error).message}`);
	}
}

/**
 * Meta's Business Agent holds the conversation (a `standby` item, or a message split out of one): no model, no
 * read receipt, no send — sending would take the conversation over from the agent.
 */
export function heldByMetaAgent(json: IDataObject, options: ReplyOptions): IDataObject {
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
export async function personAnswered(json: IDataObject, options: ReplyOptions, svc: Services): Promise<IDataObject> {
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

/* Everything in a change that is not an inbound message: statuses, user preferences, echoes, standby, value-level errors, other fields. */

import { str } from '../coerce';

import type {
	InboundMessage,
	MessageEchoUpdate,
	StandbyUpdate,
	StatusUpdate,
	UnknownFieldUpdate,
	UpdateBase,
	UserPreferencesUpdate,
	ValueErrorUpdate,
	WebhookUpdate,
} from './types';
import { parseContent, parseMessage } from './message';
import { asObject, compact, errorsOf, isObject, objects, time, type Json } from './read';

/** One `message_echoes[]` element (coexistence): the business's own message, same content shape as inbound. */
export function parseEcho(base: UpdateBase, m: Json): MessageEchoUpdate | undefined {
	const parsed = parseContent(m);
	if (!parsed) return undefined;
	return compact({
		...base,
		kind: 'message_echo' as const,
		from: str(m.from) ?? '',
		to: str(m.to) ?? '',
		toUserId: str(m.to_user_id),
		toParentUserId: str(m.to_parent_user_id),
		...parsed,
	});
}

/** One `statuses[]` element; undefined without id, status or valid timestamp. */
export function parseStatus(base: UpdateBase, s: Json): StatusUpdate | undefined {
	const messageId = str(s.id);
	const value = str(s.status);
	const when = time(s.timestamp);
	if (!messageId || !value || !when) return undefined;
	const conversation = isObject(s.conversation) ? s.conversation : undefined;
	const pricing = isObject(s.pricing) ? s.pricing : undefined;
	return compact({
		...base,
		kind: 'status' as const,
		messageId,
		status: value,
		recipientId: str(s.recipient_id),
		recipientUserId: str(s.recipient_user_id),
		recipientParentUserId: str(s.recipient_parent_user_id),
		recipientType: str(s.recipient_type),
		recipientParticipantId: str(s.recipient_participant_id),
		recipientIdentityKeyHash: str(s.recipient_identity_key_hash),
		...when,
		conversation:
			conversation &&
			compact({
				id: str(conversation.id) ?? '',
				expirationTimestamp: str(conversation.expiration_timestamp),
				originType: str(asObject(conversation.origin).type),
			}),
		pricing:
			pricing &&
			compact({
				billable: pricing.billable === true,
				pricingModel: str(pricing.pricing_model) ?? '',
				category: str(pricing.category) ?? '',
				type: str(pricing.type),
			}),
		errors: errorsOf(s.errors),
		bizOpaqueCallbackData: str(s.biz_opaque_callback_data),
	});
}

/** One `user_preferences[]` element; undefined without wa_id or user_id, category, value or valid timestamp. */
export function parsePreference(base: UpdateBase, p: Json): UserPreferencesUpdate | undefined {
	const waId = str(p.wa_id);
	const userId = str(p.user_id);
	const category = str(p.category);
	const value = str(p.value);
	const when = time(p.timestamp);
	if (!(waId || userId) || !category || !value || !when) return undefined;
	return compact({
		...base,
		kind: 'user_preferences' as const,
		waId: waId ?? '',
		userId,
		category,
		value,
		detail: str(p.detail),
		signupId: str(p.signup_id),
		...when,
	});
}

/**
 * A `standby` change (Meta's Business Agent holds the conversation): one update with what the value carries,
 * parsed like a `messages` value. Its messages are flagged `standby: true` so that, even split out, nothing
 * answers them.
 */
export function parseStandby(base: UpdateBase, value: Json): StandbyUpdate {
	const contacts = objects(value.contacts);
	const messages = objects(value.messages)
		.map((m) => parseMessage(base, m, contacts))
		.filter((m): m is InboundMessage => m !== undefined)
		.map((m): InboundMessage => ({ ...m, standby: true }));
	const echoes = objects(value.message_echoes)
		.map((m) => parseEcho(base, m))
		.filter((e): e is MessageEchoUpdate => e !== undefined);
	const statuses = objects(value.statuses)
		.map((s) => parseStatus(base, s))
		.filter((s): s is StatusUpdate => s !== undefined);
	const contactKey =
		messages[0]?.contactKey || echoes[0]?.to || echoes[0]?.toUserId || statuses[0]?.recipientId || statuses[0]?.recipientUserId || '';
	const newest = [...messages, ...echoes, ...statuses].reduce<{ timestamp: string; timestampUnix: number } | undefined>(
		(latest, u) => (latest && latest.timestampUnix >= u.timestampUnix ? latest : { timestamp: u.timestamp, timestampUnix: u.timestampUnix }),
		undefined,
	);
	return compact({ ...base, kind: 'standby' as const, contactKey, messages, echoes, statuses, errors: errorsOf(value.errors), ...newest });
}

/** One update per `value.errors[]` entry. */
export function parseValueErrors(base: UpdateBase, errors: unknown): ValueErrorUpdate[] {
	return (errorsOf(errors) ?? []).map((error): ValueErrorUpdate => ({ ...base, kind: 'error', error }));
}

/** A change of a field WhatsAuto does not parse, passed through as sent. */
export function unknownField(base: UpdateBase, value: Json): UnknownFieldUpdate {
	return { ...base, kind: 'unknown_field', value };
}

export const isStatusUpdate = (u: WebhookUpdate): u is StatusUpdate => u.kind === 'status';
export const isUserPreferencesUpdate = (u: WebhookUpdate): u is UserPreferencesUpdate => u.kind === 'user_preferences';
export const isMessageEcho = (u: WebhookUpdate): u is MessageEchoUpdate => u.kind === 'message_echo';
export const isStandby = (u: WebhookUpdate): u is StandbyUpdate => u.kind === 'standby';
export const isValueError = (u: WebhookUpdate): u is ValueErrorUpdate => u.kind === 'error';
export const isUnknownField = (u: WebhookUpdate): u is UnknownFieldUpdate => u.kind === 'unknown_field';

/* Everything in a change that is not an inbound message: statuses, user preferences, echoes, value-level errors, other fields. */

import { str } from '../coerce';

import type {
	MessageEchoUpdate,
	StatusUpdate,
	UnknownFieldUpdate,
	UpdateBase,
	UserPreferencesUpdate,
	ValueErrorUpdate,
	WebhookUpdate,
} from './types';
import { parseContent } from './message';
import { asObject, compact, errorsOf, isObject, time, type Json } from './read';

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

/** One `user_preferences[]` element; undefined without wa_id, category, value or valid timestamp. */
export function parsePreference(base: UpdateBase, p: Json): UserPreferencesUpdate | undefined {
	const waId = str(p.wa_id);
	const category = str(p.category);
	const value = str(p.value);
	const when = time(p.timestamp);
	if (!waId || !category || !value || !when) return undefined;
	return compact({ ...base, kind: 'user_preferences' as const, waId, category, value, detail: str(p.detail), ...when });
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
export const isValueError = (u: WebhookUpdate): u is ValueErrorUpdate => u.kind === 'error';
export const isUnknownField = (u: WebhookUpdate): u is UnknownFieldUpdate => u.kind === 'unknown_field';

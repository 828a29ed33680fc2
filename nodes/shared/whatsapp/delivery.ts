/* The delivery: envelope → entries → changes → updates, in order, each element handed to its parser. */

import { str } from '../coerce';

import type { UpdateBase, WebhookUpdate } from './types';
import { parseEcho, parsePreference, parseStandby, parseStatus, parseValueErrors, unknownField } from './events';
import { parseMessage } from './message';
import { asObject, isObject, MAX_JSON_DEPTH, nestedDeeperThan, objects, type Json } from './read';

export { MAX_JSON_DEPTH } from './read';

/** The delivery is not a WhatsApp Business webhook at all; answer 400. `reason` never quotes the body. */
export class DeliveryRejectedError extends Error {
	readonly status = 400;

	constructor(readonly reason: string) {
		super(`Webhook delivery rejected: ${reason}`);
		this.name = 'DeliveryRejectedError';
	}
}

const KNOWN_FIELDS = new Set(['messages', 'user_preferences', 'smb_message_echoes']);

export interface ParseOptions {
	/** Adds each element exactly as Meta sent it under `raw` (off by default: content minimisation). */
	includeRaw?: boolean;
}

function changeUpdates(businessAccountId: string, change: Json, options: ParseOptions): WebhookUpdate[] {
	const field = str(change.field);
	const value = change.value;
	if (field === undefined || !isObject(value)) return [];
	const metadata = asObject(value.metadata);
	const base: UpdateBase = {
		businessAccountId,
		phoneNumberId: str(metadata.phone_number_id) ?? '',
		displayPhoneNumber: str(metadata.display_phone_number) ?? '',
		field,
	};
	if (field === 'standby') {
		// Meta's Business Agent holds the conversation: one update with what happened in it, never a message.
		const standby: WebhookUpdate = parseStandby(base, value);
		return [options.includeRaw ? Object.assign(standby, { raw: value }) : standby];
	}
	if (!KNOWN_FIELDS.has(field)) return [unknownField(base, value)];
	const contacts = objects(value.contacts);
	const withRaw = <T extends WebhookUpdate>(update: T | undefined, raw: Json): T | undefined =>
		update && options.includeRaw ? { ...update, raw } : update;
	const updates: Array<WebhookUpdate | undefined> = [
		...objects(value.messages).map((m) => withRaw(parseMessage(base, m, contacts), m)),
		...objects(value.statuses).map((s) => withRaw(parseStatus(base, s), s)),
		...objects(value.message_echoes).map((m) => withRaw(parseEcho(base, m), m)),
		...objects(value.user_preferences).map((p) => withRaw(parsePreference(base, p), p)),
		...parseValueErrors(base, value.errors),
	];
	return updates.filter((u): u is WebhookUpdate => u !== undefined);
}

/**
 * Parses a verified webhook body (already `JSON.parse`d) into normalised updates, in delivery order
 * (entry × change × messages, statuses, echoes, preferences, errors).
 *
 * Throws `DeliveryRejectedError` only when the body is not a WhatsApp Business webhook at all (including JSON
 * nested deeper than `MAX_JSON_DEPTH`, which Meta never sends). Anything
 * else is accepted: unknown fields become `unknown_field`, unknown or malformed message types become
 * `unsupported`, and individual elements that cannot be identified (a message or status without id or
 * valid timestamp, a status without status, a preference without wa_id/category/value/timestamp, a
 * change without field or object value, non-object array items) are skipped silently.
 */
export function parseDelivery(body: unknown, options: ParseOptions = {}): WebhookUpdate[] {
	if (!isObject(body)) throw new DeliveryRejectedError('body is not a JSON object');
	// Before anything recursive (dedupe keys of unknown fields, JSON.stringify of raw elements) can overflow the stack.
	if (nestedDeeperThan(body, MAX_JSON_DEPTH)) throw new DeliveryRejectedError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
	if (body.object !== 'whatsapp_business_account') {
		throw new DeliveryRejectedError('object is not whatsapp_business_account');
	}
	if (!Array.isArray(body.entry)) throw new DeliveryRejectedError('entry is missing or not an array');
	return objects(body.entry).flatMap((entry) =>
		objects(entry.changes).flatMap((change) => changeUpdates(str(entry.id) ?? '', change, options)),
	);
}

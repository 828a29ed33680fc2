/**
 * Who a person is, in one normal form for every node: the trigger, the Auto-Reply and the Privacy Request node
 * all key what they keep about a person through here.
 *
 * A person reaches a business by phone number (`wa_id`, digits), by business-scoped user id (BSUID, 2026: e.g.
 * `US.13491208655302741918`, the only id of someone known by a username), or by both. The **canonical** id is the
 * phone number when one is known (Meta's advice: key users on `from ?? from_user_id`), else the user id; the
 * store keeps everything under the keyed pseudonym of the canonical id (HMAC-SHA256 under the store secret, over
 * the normal form: digits for a number, the BSUID exactly as Meta sent it). A user id is never turned into
 * digits, nor a number into a user id. Items that must not show the number carry the pseudonym itself as a
 * **contact reference**, `wa:<64 hex digits>`; WhatsAuto nodes find the number again in the store.
 */
import type { Recipient } from './transport/messages';

/** A person's id in its normal form. */
export type ContactId = { kind: 'phone'; waId: string } | { kind: 'user_id'; userId: string };

/** What a Contact field may hold: an id, or the pseudonymous reference an item carries. */
export type ContactInput = ContactId | { kind: 'ref'; pseudonym: string };

/** A phone number: E.164 has at most 15 digits; anything under 6 is no WhatsApp number. */
const PHONE_DIGITS = /^\d{6,15}$/;
/** What people write between the digits of a number: `+` first, spaces, dashes, dots, parentheses. */
const PHONE_SEPARATORS = /[\s().-]/g;
/**
 * A business-scoped user id: the two-letter country code, a dot, then an alphanumeric id (one more dotted part
 * for a parent id). Kept exactly as Meta sent it.
 */
const BSUID = /^[A-Z]{2}(?:\.[A-Za-z0-9]{1,64}){1,2}$/;
/** The pseudonymous contact reference items carry. */
const REF = /^wa:([0-9a-f]{64})$/;
/** The pseudonymous message reference items carry instead of Meta's message id. */
const MESSAGE_REF = /^m:[0-9a-f]{64}$/;

export const CONTACT_REF_PREFIX = 'wa:';
export const MESSAGE_REF_PREFIX = 'm:';

/** Whether `value` is a business-scoped user id (never a phone number). */
export function isBusinessScopedUserId(value: unknown): value is string {
	return typeof value === 'string' && BSUID.test(value);
}

/**
 * A phone number or business-scoped user id in its normal form; undefined for anything else. Numbers: digits
 * only (`+1 650-555-1234` → `16505551234`; a JSON number is taken as its digits). User ids: as given, trimmed.
 */
export function normaliseContact(input: unknown): ContactId | undefined {
	if (typeof input === 'number') return Number.isSafeInteger(input) && input > 0 ? phone(String(input)) : undefined;
	if (typeof input !== 'string') return undefined;
	const value = input.trim();
	if (BSUID.test(value)) return { kind: 'user_id', userId: value };
	return phone(value.replace(/^\+/, '').replace(PHONE_SEPARATORS, ''));
}

function phone(digits: string): ContactId | undefined {
	return PHONE_DIGITS.test(digits) ? { kind: 'phone', waId: digits } : undefined;
}

/** A Contact field's value: a number, a user id, or a contact reference (`wa:…`); undefined for anything else. */
export function parseContactInput(input: unknown): ContactInput | undefined {
	if (typeof input === 'string') {
		const ref = REF.exec(input.trim());
		if (ref) return { kind: 'ref', pseudonym: ref[1] };
	}
	return normaliseContact(input);
}

/** The canonical id of a sender: the phone number when there is one, else the user id. */
export function canonicalId(ids: { waId?: unknown; userId?: unknown }): ContactId | undefined {
	return normaliseContact(ids.waId) ?? (isBusinessScopedUserId(ids.userId) ? { kind: 'user_id', userId: ids.userId } : undefined);
}

/** The text a pseudonym is computed over: the digits of a number, the user id as it is. */
export function contactForm(id: ContactId): string {
	return id.kind === 'phone' ? id.waId : id.userId;
}

/** The one pseudonym of an id: HMAC-SHA256 (the store credential's pseudonym key) over its normal form. */
export function pseudonymOf(pseudonymise: (value: string) => string, id: ContactId): string {
	return pseudonymise(contactForm(id));
}

/** Where to send to reach `id`: `to` for a number, `recipient` for a user id. */
export function recipientOf(id: ContactId): Recipient {
	return id.kind === 'phone' ? { waId: id.waId } : { userId: id.userId };
}

/** The reference an item carries instead of the person's number: `wa:` and the pseudonym. */
export function contactRef(pseudonym: string): string {
	return `${CONTACT_REF_PREFIX}${pseudonym}`;
}

/** The pseudonym in a contact reference; undefined when `value` is none. */
export function pseudonymOfRef(value: unknown): string | undefined {
	return typeof value === 'string' ? REF.exec(value)?.[1] : undefined;
}

/**
 * The reference an item carries instead of a Meta message id (wamids encode the number in base64): `m:` and a
 * keyed hash of the id. The same id always gives the same reference, so duplicates stay recognisable.
 */
export function messageRef(opaque: (value: string) => string, messageId: string): string {
	return isMessageRef(messageId) ? messageId : `${MESSAGE_REF_PREFIX}${opaque(`message:${messageId}`)}`;
}

export function isMessageRef(value: unknown): value is string {
	return typeof value === 'string' && MESSAGE_REF.test(value);
}

/** Last characters only, for an output that must say where something went without saying the number. */
export function maskContact(input: string): string {
	const parsed = parseContactInput(input);
	if (!parsed) return '••••';
	if (parsed.kind === 'ref') return `${CONTACT_REF_PREFIX}${parsed.pseudonym.slice(0, 8)}…`;
	const form = contactForm(parsed);
	return `••••${form.slice(-3)}`;
}

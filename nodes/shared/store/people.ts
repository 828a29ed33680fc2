/**
 * Who is who in the store: one person, one canonical pseudonym, whichever id they write with.
 *
 * - **Canonical key**: the pseudonym of the person's phone number when one is known, else of their business-scoped
 *   user id (nodes/shared/contact.ts). Everything about the person is kept under it.
 * - **Aliases**: a message carrying both a number and a user id links them: a `contact-alias` record keyed by
 *   the user id's pseudonym names the canonical pseudonym as its contact key. A later message with only the user
 *   id finds the person through it. What was kept under the user id alone before joins the canonical key then.
 * - **Suppression under every key**: an objection (STOP) is kept under the canonical key and under each alias,
 *   so it holds whichever id the next message comes with — also after an erasure, which unlinks the aliases.
 * - **Identity changes**: `user_changed_number` / `user_changed_user_id` move everything to the new id
 *   (`rekeyContact`: records, content, audit entries, aliases, suppression), merging what the new id already had.
 * - **Contact records**: items that carry only the pseudonymous contact key (`wa:…`, Content by Reference) are
 *   answered through the number kept here, encrypted, for the customer-service window of the last message.
 */
import { decrypt, encrypt } from '../crypto';
import {
	canonicalId,
	isBusinessScopedUserId,
	normaliseContact,
	parseContactInput,
	pseudonymOf,
	recipientOf,
	type ContactId,
} from '../contact';
import type { Recipient } from '../transport/messages';
import type { IdentityChange } from '../whatsapp/types';
import type { ContentKeys } from './contentByReference';
import { expiryOf, SCOPES } from './scopes';
import type { WhatsAutoStore } from './types';

const { contactAlias: ALIASES, contact: CONTACTS, suppression: SUPPRESSIONS, profile: PROFILES } = SCOPES;

/** The ids a message or event names its person by (either may be missing). */
export interface Sender {
	waId?: string;
	userId?: string;
}

/** A person as the nodes act on them: the key everything is kept under, and where to send to reach them. */
export interface Person {
	subject: string;
	/** Empty when the number is not known here (a contact reference whose contact record expired). */
	recipient: Recipient;
}

interface SuppressionValue {
	ai?: boolean;
	marketing?: boolean;
	since?: string;
}

/** The ids of a sender in their normal form (a malformed one is left out). */
export function idsOf(sender: Sender): ContactId[] {
	const phone = normaliseContact(sender.waId);
	const user = isBusinessScopedUserId(sender.userId) ? ({ kind: 'user_id', userId: sender.userId } as const) : undefined;
	return [...(phone?.kind === 'phone' ? [phone] : []), ...(user ? [user] : [])];
}

/**
 * The canonical pseudonym of a sender: their number's when it is known; else the one their user id is an alias
 * of; else their user id's. Undefined when the sender names nobody.
 */
export async function canonicalOf(store: WhatsAutoStore, keys: ContentKeys, sender: Sender): Promise<string | undefined> {
	const id = canonicalId(sender);
	if (!id) return undefined;
	const own = pseudonymOf(keys.pseudonymise, id);
	if (id.kind === 'phone') return own;
	return (await store.getRecord(ALIASES.name, own))?.contactKey || own;
}

/** The canonical pseudonym and every other key something about the sender may be kept under (aliases). */
export async function keysOfSender(store: WhatsAutoStore, keys: ContentKeys, sender: Sender): Promise<string[]> {
	const canonical = await canonicalOf(store, keys, sender);
	const own = idsOf(sender).map((id) => pseudonymOf(keys.pseudonymise, id));
	return [...new Set([...(canonical ? [canonical] : []), ...own])];
}

/** The alias keys (user ids' pseudonyms) linked to a canonical pseudonym. */
export async function aliasesOf(store: WhatsAutoStore, subject: string): Promise<string[]> {
	return (await store.listRecords(ALIASES.name, { contactKey: subject, limit: 1000 })).map((record) => record.key);
}

/** The canonical key and its aliases: where an objection is kept. */
export async function suppressionKeysOf(store: WhatsAutoStore, subject: string): Promise<string[]> {
	return [subject, ...(await aliasesOf(store, subject)).filter((key) => key !== subject)];
}

/** Whether AI replies are objected to under any of `subjects` (the Auto-Reply stays silent). */
export async function aiSuppressed(store: WhatsAutoStore, subjects: readonly string[]): Promise<boolean> {
	for (const subject of subjects) {
		if ((await store.getRecord<SuppressionValue>(SUPPRESSIONS.name, subject))?.value?.ai === true) return true;
	}
	return false;
}

/** Copies the canonical key's objection (or its absence) to one alias key. */
async function mirrorSuppression(store: WhatsAutoStore, canonical: string, alias: string): Promise<void> {
	const record = await store.getRecord<SuppressionValue>(SUPPRESSIONS.name, canonical);
	if (record) await store.putRecord({ scope: SUPPRESSIONS.name, key: alias, value: record.value, expiresAt: record.expiresAt });
}

/**
 * Before `from`'s person-keyed records move onto `to` (rekeyContact keeps `to`'s when both exist): `to` gets
 * what both say. An objection holds if either objected; a profile keeps the newer id's fields over the older's.
 */
async function mergeInto(store: WhatsAutoStore, from: string, to: string): Promise<void> {
	const [a, b] = await Promise.all([
		store.getRecord<SuppressionValue>(SUPPRESSIONS.name, from),
		store.getRecord<SuppressionValue>(SUPPRESSIONS.name, to),
	]);
	if (a && b) {
		const since = [a.value.since, b.value.since].filter((s): s is string => typeof s === 'string').sort()[0];
		await store.putRecord({
			scope: SUPPRESSIONS.name,
			key: to,
			value: { ai: Boolean(a.value.ai || b.value.ai), marketing: Boolean(a.value.marketing || b.value.marketing), ...(since ? { since } : {}) },
			expiresAt: new Date(Math.max(a.expiresAt.getTime(), b.expiresAt.getTime())),
		});
	}
	const [p, q] = await Promise.all([store.getRecord<Record<string, unknown>>(PROFILES.name, from), store.getRecord<Record<string, unknown>>(PROFILES.name, to)]);
	if (p && q) await store.putRecord({ scope: PROFILES.name, key: to, contactKey: to, value: { ...p.value, ...q.value }, expiresAt: q.expiresAt });
}

/** Moves the person from `from` to `to`: merged first, then every row in one transaction. Idempotent. */
async function move(store: WhatsAutoStore, keys: ContentKeys, from: string, to: string): Promise<number> {
	if (from === to) return 0;
	await mergeInto(store, from, to);
	return await store.rekeyContact(from, to, keys.auditKey);
}

/**
 * A message names its sender by number and by user id: the user id becomes an alias of the number's pseudonym.
 * What was kept under the user id alone (or under a number it was linked to before: a number change WhatsAuto did
 * not hear of) moves to the number's pseudonym first; an objection is then kept under the alias too. Does nothing
 * (one read) when the link is there already.
 */
export async function linkUserId(store: WhatsAutoStore, keys: ContentKeys, waId: string, userId: string): Promise<void> {
	const phone = normaliseContact(waId);
	if (phone?.kind !== 'phone' || !isBusinessScopedUserId(userId)) return;
	const canonical = pseudonymOf(keys.pseudonymise, phone);
	const alias = pseudonymOf(keys.pseudonymise, { kind: 'user_id', userId });
	const existing = await store.getRecord(ALIASES.name, alias);
	if (existing?.contactKey === canonical) return;
	await move(store, keys, existing?.contactKey || alias, canonical);
	await store.putRecord({ scope: ALIASES.name, key: alias, contactKey: canonical, value: {}, expiresAt: expiryOf(ALIASES) });
	await mirrorSuppression(store, canonical, alias);
}

/** The id an identity change names, in its normal form. */
function changedId(kind: IdentityChange['kind'], value: string): ContactId | undefined {
	if (kind === 'user_id') return isBusinessScopedUserId(value) ? { kind: 'user_id', userId: value } : undefined;
	const phone = normaliseContact(value);
	return phone?.kind === 'phone' ? phone : undefined;
}

/**
 * `user_changed_number` / `user_changed_user_id`: everything kept under the previous id (records, content, audit
 * entries, aliases, the objection) moves to the current one, merged with what the current one had; the contact
 * record of the previous id goes (that number or id is no longer theirs). For a user id change of someone known by
 * number, only the alias (and the objection kept under it) moves. Idempotent: a redelivered change moves nothing.
 * Resolves to how many rows moved.
 */
export async function followIdentityChange(store: WhatsAutoStore, keys: ContentKeys, change: IdentityChange): Promise<number> {
	const before = changedId(change.kind, change.previous);
	const after = changedId(change.kind, change.current);
	if (!before || !after) return 0;
	const from = pseudonymOf(keys.pseudonymise, before);
	const to = pseudonymOf(keys.pseudonymise, after);
	const moved = await move(store, keys, from, to);
	await store.deleteRecord(CONTACTS.name, from);
	return moved;
}

const contactAad = (subject: string) => `whatsauto/contact/v1:${subject}`;

/**
 * Keeps the sender's number and/or user id, encrypted, under their canonical pseudonym for the customer-service
 * window of this message, so that a WhatsAuto node can answer an item that carries only the contact reference.
 */
export async function rememberContact(store: WhatsAutoStore, keys: ContentKeys, subject: string, sender: Sender): Promise<void> {
	const known: Sender = {};
	for (const id of idsOf(sender)) {
		if (id.kind === 'phone') known.waId = id.waId;
		else known.userId = id.userId;
	}
	if (!known.waId && !known.userId) return;
	const sealed = encrypt(keys.contentKey, Buffer.from(JSON.stringify(known), 'utf8'), contactAad(subject)).toString('base64');
	await store.putRecord({ scope: CONTACTS.name, key: subject, contactKey: subject, value: { sealed }, expiresAt: expiryOf(CONTACTS) });
}

/** The number and/or user id kept for a canonical pseudonym; undefined once the contact record is gone. */
export async function contactOf(store: WhatsAutoStore, keys: ContentKeys, subject: string): Promise<Sender | undefined> {
	const record = await store.getRecord<{ sealed?: unknown }>(CONTACTS.name, subject);
	if (typeof record?.value?.sealed !== 'string') return undefined;
	try {
		const known = JSON.parse(decrypt(keys.contentKey, Buffer.from(record.value.sealed, 'base64'), contactAad(subject)).toString('utf8')) as Sender;
		return { ...(known.waId ? { waId: known.waId } : {}), ...(known.userId ? { userId: known.userId } : {}) };
	} catch {
		return undefined;
	}
}

/**
 * A Contact field's value as a person: a number (its pseudonym is canonical), a user id (through its alias, when it
 * has one), or the contact reference an item carries (`wa:…`: its pseudonym, the number from the contact record).
 * Undefined for anything else.
 */
export async function personOf(store: WhatsAutoStore, keys: ContentKeys, input: unknown): Promise<Person | undefined> {
	const parsed = parseContactInput(input);
	if (!parsed) return undefined;
	if (parsed.kind === 'ref') {
		const known = await contactOf(store, keys, parsed.pseudonym);
		return { subject: parsed.pseudonym, recipient: known ? (known.waId ? { waId: known.waId } : { userId: known.userId }) : {} };
	}
	const subject = parsed.kind === 'phone' ? pseudonymOf(keys.pseudonymise, parsed) : await canonicalOf(store, keys, { userId: parsed.userId });
	return { subject: subject ?? pseudonymOf(keys.pseudonymise, parsed), recipient: recipientOf(parsed) };
}

/** Whether a message can be sent to this recipient at all. */
export const reachable = (recipient: Recipient): boolean => Boolean(recipient.waId || recipient.userId);

/**
 * Load shedding: at capacity (too many conversations active at once, or the account's daily budget used up) a
 * person the bot is not already talking to gets one polite "we're at capacity" message and goes on the waitlist;
 * conversations under way go on. The Notify Waitlist operation tells the people waiting once there is room.
 *
 * A conversation is active while its record lives: each answered turn writes it again for the active window.
 * The waitlist keeps, per person, their pseudonym (the key), their number encrypted (the contact record lives only
 * for the customer-service window), when they were added and last wrote (for the 24-hour window), their language
 * and the WhatsApp number id to write from; it expires with the Waitlist TTL.
 */
import { decrypt, encrypt } from '../crypto';
import { SCOPES } from '../store/scopes';
import type { ContentKeys } from '../store/contentByReference';
import type { RecordCursor, WhatsAutoStore } from '../store/types';
import type { Sender } from '../store/people';

export interface CapacitySettings {
	/** Conversations active at once; 0: no limit. */
	maxActiveConversations: number;
	/** How long after its last answered turn a conversation counts as active. */
	activeWindowMs: number;
	/** New people are turned away too while the account's daily token budget is used up. */
	shedOnAccountBudget: boolean;
	/** '' = the localised default. */
	message: string;
	/** How long a person stays on the waitlist. */
	waitlistTtlMs: number;
}

export interface WaitlistValue {
	/** The person's number and/or user id, encrypted under the content key (AAD names the pseudonym). */
	sealed: string;
	addedAt: string;
	/** Their last message while waiting (ISO): within 24 hours a normal message may reach them, else a template. */
	lastMessageAt: string;
	language?: string;
	/** The business number they wrote to. */
	phoneNumberId: string;
}

export interface WaitlistEntry {
	subject: string;
	recipient: Sender;
	addedAt: string;
	lastMessageAt: string;
	language?: string;
	phoneNumberId: string;
}

const ACTIVE = SCOPES.activeConversation;
const WAITLIST = SCOPES.waitlist;
export const WAITING_STATE = 'waiting';

const waitlistAad = (subject: string) => `whatsauto/waitlist/v1:${subject}`;

export async function isActive(store: WhatsAutoStore, subject: string): Promise<boolean> {
	return Boolean(subject) && (await store.getRecord(ACTIVE.name, subject)) !== undefined;
}

/** Counts the person's conversation as active for the window from now. */
export async function markActive(store: WhatsAutoStore, subject: string, windowMs: number, now: Date = new Date()): Promise<void> {
	if (!subject) return;
	await store.putRecord({ scope: ACTIVE.name, key: subject, contactKey: subject, value: { at: now.toISOString() }, expiresAt: new Date(now.getTime() + windowMs) });
}

/** How many conversations are active now (every worker's). */
export async function activeConversations(store: WhatsAutoStore): Promise<number> {
	return await store.countRecords(ACTIVE.name);
}

export async function atCapacity(store: WhatsAutoStore, settings: CapacitySettings): Promise<boolean> {
	return settings.maxActiveConversations > 0 && (await activeConversations(store)) >= settings.maxActiveConversations;
}

/**
 * Puts the person on the waitlist, or notes their latest message when they are on it already. True when they were
 * added now (they get the capacity message once).
 */
export async function joinWaitlist(
	store: WhatsAutoStore,
	keys: ContentKeys,
	entry: { subject: string; recipient: Sender; language?: string; phoneNumberId: string },
	ttlMs: number,
	now: Date = new Date(),
): Promise<boolean> {
	const existing = (await store.getRecord<WaitlistValue>(WAITLIST.name, entry.subject))?.value;
	const sealed = encrypt(keys.contentKey, Buffer.from(JSON.stringify(entry.recipient), 'utf8'), waitlistAad(entry.subject)).toString('base64');
	const addedAt = existing?.addedAt ?? now.toISOString();
	const value: WaitlistValue = {
		sealed,
		addedAt,
		lastMessageAt: now.toISOString(),
		...((entry.language ?? existing?.language) ? { language: entry.language ?? existing?.language } : {}),
		phoneNumberId: entry.phoneNumberId,
	};
	await store.putRecord({
		scope: WAITLIST.name,
		key: entry.subject,
		contactKey: entry.subject,
		value,
		state: WAITING_STATE,
		dueAt: new Date(addedAt),
		expiresAt: new Date(Date.parse(addedAt) + ttlMs),
	});
	return !existing;
}

export async function onWaitlist(store: WhatsAutoStore, subject: string): Promise<boolean> {
	return (await store.getRecord(WAITLIST.name, subject)) !== undefined;
}

export async function leaveWaitlist(store: WhatsAutoStore, subject: string): Promise<boolean> {
	return await store.deleteRecord(WAITLIST.name, subject);
}

/** One page of the waitlist, longest waiting first. An entry whose number cannot be decrypted is left out. */
export async function waitlistPage(store: WhatsAutoStore, keys: ContentKeys, options: { limit: number; after?: RecordCursor }): Promise<{ entries: WaitlistEntry[]; next?: RecordCursor }> {
	const page = await store.listRecordsByState<WaitlistValue>(WAITLIST.name, { states: [WAITING_STATE], limit: options.limit, ...(options.after ? { after: options.after } : {}) });
	const entries: WaitlistEntry[] = [];
	for (const record of page.records) {
		try {
			const recipient = JSON.parse(decrypt(keys.contentKey, Buffer.from(record.value.sealed, 'base64'), waitlistAad(record.key)).toString('utf8')) as Sender;
			entries.push({
				subject: record.key,
				recipient,
				addedAt: record.value.addedAt,
				lastMessageAt: record.value.lastMessageAt,
				...(record.value.language ? { language: record.value.language } : {}),
				phoneNumberId: record.value.phoneNumberId,
			});
		} catch {
			continue;
		}
	}
	return { entries, ...(page.next ? { next: page.next } : {}) };
}

/**
 * Conversation memory: the last turns with one contact, so the model answers a conversation instead of a string
 * of strangers. Each turn (what the customer said, media as text, and the reply sent) is one encrypted row of the
 * `content` table under a `mem:` reference, keyed by the person's pseudonym, expiring on its own time-to-live:
 * the purge deletes what expired, erasure and the access export reach it like all content, and a reset deletes
 * every row at once. Turns beyond what the model may be shown are deleted when a new one is written.
 */
import type { ContentKeys } from '../store/contentByReference';
import type { WhatsAutoStore } from '../store/types';
import { decrypt, encrypt, randomRef } from '../crypto';

export const MEMORY_REF_PREFIX = 'mem:';

export interface MemoryTurn {
	/** When the turn was answered (ISO). */
	at: string;
	/** What the customer said, masked as the model saw it, media described as text. */
	customer: string;
	/** The reply sent. */
	reply: string;
}

export interface MemorySettings {
	/** How many earlier turns the model gets (0: no memory). */
	turns: number;
	ttlMs: number;
	/** An estimate of the most prompt tokens the history may take; the oldest turns give way first. */
	maxTokens: number;
}

interface StoredTurn extends MemoryTurn {
	kind: 'conversation-memory';
}

/** A deliberately high estimate (3 characters a token), so the cap holds for any script. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 3);

const isMemoryRef = (ref: string): boolean => ref.startsWith(MEMORY_REF_PREFIX);

async function storedTurns(store: WhatsAutoStore, keys: ContentKeys, subject: string): Promise<Array<{ ref: string; turn: MemoryTurn }>> {
	const turns: Array<{ ref: string; turn: MemoryTurn }> = [];
	for (const entry of await store.listContent(subject)) {
		if (!isMemoryRef(entry.ref)) continue;
		try {
			const stored = JSON.parse(decrypt(keys.contentKey, entry.data, entry.ref).toString('utf8')) as StoredTurn;
			turns.push({ ref: entry.ref, turn: { at: stored.at, customer: stored.customer, reply: stored.reply } });
		} catch {
			// written under another secret key: unreadable, so it is no memory; the purge takes it when it expires
		}
	}
	return turns.sort((a, b) => a.turn.at.localeCompare(b.turn.at));
}

/** The most recent turns that fit the settings, oldest first. */
export function fitHistory(turns: readonly MemoryTurn[], settings: Pick<MemorySettings, 'turns' | 'maxTokens'>): MemoryTurn[] {
	const kept: MemoryTurn[] = [];
	let tokens = 0;
	for (let i = turns.length - 1; i >= 0 && kept.length < settings.turns; i--) {
		tokens += estimateTokens(turns[i].customer) + estimateTokens(turns[i].reply);
		if (tokens > settings.maxTokens) break;
		kept.unshift(turns[i]);
	}
	return kept;
}

/** What the model may be shown of the conversation with `subject` (nothing expired: the store hides and purges it). */
export async function recall(store: WhatsAutoStore, keys: ContentKeys, subject: string, settings: MemorySettings): Promise<MemoryTurn[]> {
	if (settings.turns <= 0 || !subject) return [];
	return fitHistory((await storedTurns(store, keys, subject)).map((s) => s.turn), settings);
}

/** Keeps one more turn and deletes the turns no future prompt can show. */
export async function remember(store: WhatsAutoStore, keys: ContentKeys, subject: string, turn: MemoryTurn, settings: MemorySettings): Promise<void> {
	if (settings.turns <= 0 || !subject) return;
	const ref = `${MEMORY_REF_PREFIX}${randomRef()}`;
	const stored: StoredTurn = { kind: 'conversation-memory', ...turn };
	await store.putContent({
		ref,
		contactKey: subject,
		data: encrypt(keys.contentKey, Buffer.from(JSON.stringify(stored)), ref),
		expiresAt: new Date(Date.parse(turn.at) + settings.ttlMs),
	});
	// What the next prompt shows is what any later prompt could show at most (newer turns only push older ones out):
	// beyond the turn count or past the token cap, a turn is never shown again, so it is not kept either.
	const turns = await storedTurns(store, keys, subject);
	const shown = new Set(fitHistory(turns.map((stored) => stored.turn), settings));
	for (const old of turns) if (!shown.has(old.turn)) await store.deleteContent(old.ref);
}

/** Deletes everything memory holds about `subject` (the reset command); returns how many turns went. */
export async function forget(store: WhatsAutoStore, subject: string): Promise<number> {
	if (!subject) return 0;
	let deleted = 0;
	for (const entry of await store.listContent(subject)) {
		if (isMemoryRef(entry.ref) && (await store.deleteContent(entry.ref))) deleted++;
	}
	return deleted;
}

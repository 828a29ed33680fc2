/**
 * The loop guard: another bot answering ours (an auto-responder, a second AI) would make both talk forever, each
 * message paid twice. A turn looks like one when it repeats one of our own replies back to us, repeats the same
 * text the person sent several times already, or comes at a pace no person keeps. After `stopAfter` such turns in a
 * row the bot stops answering the person (a pause that ends like the others: Resume AI, or the silence setting).
 *
 * The state is one record per person: fingerprints (keyed HMACs of the normalised text, shortened; never the text)
 * of their last messages and of our last replies, with their times. Read and written once per turn: the
 * conversation gate hands a person's turns on one at a time, so no two workers update it at once.
 */
import { normalizeText } from '../privacy/commandDetection';
import { SCOPES, expiryOf } from '../store/scopes';
import type { WhatsAutoStore } from '../store/types';

export interface LoopGuardSettings {
	/** Suspicious turns in a row before the bot stops answering the person. */
	stopAfter: number;
	/** The same text this many times within the window is suspicious (the repeat included). */
	repeats: number;
	/** More messages than this within a minute is suspicious. */
	maxMessagesPerMinute: number;
}

export type LoopSign = 'echo' | 'repeat' | 'pace';

interface Seen {
	/** Fingerprint ('' for a message without text). */
	f: string;
	/** When (epoch ms). */
	at: number;
	/** How many messages (a merged turn counts each). */
	n: number;
}

interface LoopRecord {
	inbound: Seen[];
	/** Fingerprints of our last replies. */
	replies: Array<{ f: string; at: number }>;
	/** Suspicious turns in a row. */
	strikes: number;
}

export interface LoopVerdict {
	/** What made this turn suspicious; empty when nothing did. */
	signs: LoopSign[];
	/** Suspicious turns in a row, this one included. */
	strikes: number;
	/** The guard trips: stop answering. */
	stop: boolean;
}

/** How far back the record looks. */
export const LOOP_WINDOW_MS = 10 * 60_000;
const KEEP_INBOUND = 20;
const KEEP_REPLIES = 5;
const FINGERPRINT_CHARS = 24;

/** The keyed fingerprint of a text: equal for texts equal up to case, accents, spacing and punctuation. */
export function fingerprintOf(pseudonymise: (value: string) => string, text: string): string {
	const norm = normalizeText(text);
	return norm ? pseudonymise(`loop-guard:${norm}`).slice(0, FINGERPRINT_CHARS) : '';
}

async function read(store: WhatsAutoStore, subject: string): Promise<LoopRecord> {
	const value = (await store.getRecord<LoopRecord>(SCOPES.loopGuard.name, subject))?.value;
	return { inbound: value?.inbound ?? [], replies: value?.replies ?? [], strikes: value?.strikes ?? 0 };
}

async function write(store: WhatsAutoStore, subject: string, record: LoopRecord, now: number): Promise<void> {
	const recent = (at: number) => now - at < LOOP_WINDOW_MS;
	const value: LoopRecord = {
		inbound: record.inbound.filter((seen) => recent(seen.at)).slice(-KEEP_INBOUND),
		replies: record.replies.filter((reply) => recent(reply.at)).slice(-KEEP_REPLIES),
		strikes: record.strikes,
	};
	await store.putRecord({ scope: SCOPES.loopGuard.name, key: subject, contactKey: subject, value, expiresAt: expiryOf(SCOPES.loopGuard, now) });
}

/**
 * Judges a turn of `subject` whose messages have these fingerprints (one per message, '' without text), and records
 * it. Pure judgement in {@link judge}; this reads and writes the person's record.
 */
export async function checkTurn(store: WhatsAutoStore, subject: string, fingerprints: readonly string[], settings: LoopGuardSettings, now = Date.now()): Promise<LoopVerdict> {
	const record = await read(store, subject);
	const verdict = judge(record, fingerprints, settings, now);
	// each distinct text of a turn is remembered once (a repeat is recognised whichever message of a burst it was); the first carries the count
	const distinct = [...new Set(fingerprints.filter(Boolean))];
	const count = Math.max(1, fingerprints.length);
	const seen: Seen[] = distinct.length ? distinct.map((f, index) => ({ f, at: now, n: index === 0 ? count : 0 })) : [{ f: '', at: now, n: count }];
	const inbound = [...record.inbound, ...seen];
	await write(store, subject, { inbound, replies: record.replies, strikes: verdict.strikes }, now);
	return verdict;
}

/** What a turn looks like against the record of the person's last messages and our last replies. */
export function judge(record: LoopRecord, fingerprints: readonly string[], settings: LoopGuardSettings, now: number): LoopVerdict {
	const recent = record.inbound.filter((seen) => now - seen.at < LOOP_WINDOW_MS);
	const texts = fingerprints.filter(Boolean);
	const signs: LoopSign[] = [];
	const ours = new Set(record.replies.filter((reply) => now - reply.at < LOOP_WINDOW_MS).map((reply) => reply.f));
	if (texts.some((f) => ours.has(f))) signs.push('echo');
	const timesSeen = (f: string) => recent.filter((seen) => seen.f === f).length + texts.filter((t) => t === f).length;
	if (texts.some((f) => timesSeen(f) >= settings.repeats)) signs.push('repeat');
	const lastMinute = recent.filter((seen) => now - seen.at < 60_000).reduce((sum, seen) => sum + seen.n, 0) + Math.max(1, fingerprints.length);
	if (lastMinute > settings.maxMessagesPerMinute) signs.push('pace');
	const strikes = signs.length ? record.strikes + 1 : 0;
	return { signs, strikes, stop: strikes >= settings.stopAfter };
}

/** Notes what we sent the person, so that it coming back is recognised as an echo. */
export async function noteReplies(store: WhatsAutoStore, subject: string, fingerprints: readonly string[], now = Date.now()): Promise<void> {
	const texts = fingerprints.filter(Boolean);
	if (!texts.length) return;
	const record = await read(store, subject);
	await write(store, subject, { ...record, replies: [...record.replies, ...texts.map((f) => ({ f, at: now }))] }, now);
}

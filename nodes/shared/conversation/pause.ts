/**
 * Who owns the conversation: while a person answers (a handoff the customer asked for, a reply from the WhatsApp
 * Business app, an operator's pause, the loop guard), the AI sends that contact nothing. A pause is a record keyed by the
 * person's pseudonym; it ends on resume, or once the people answering have been silent for the reader's
 * silence setting (each new reply of theirs starts the silence again).
 */
import { MAX_PAUSE_MS, SCOPES } from '../store/scopes';
import type { WhatsAutoStore } from '../store/types';

export type PauseReason = 'handoff' | 'human_reply' | 'operator' | 'loop';

export interface PauseRecord {
	reason: PauseReason;
	/** When the pause began (ISO). */
	since: string;
	/** The last word from the people answering, or the pause itself (ISO): the silence counts from here. */
	lastActivity: string;
}

export interface Pause extends PauseRecord {
	/** When the pause ends unless someone speaks again (ISO). */
	until: string;
}

const SCOPE = SCOPES.conversationPause.name;

/** Pauses the AI for `subject`, or keeps an existing pause going (its start and first reason stay). */
export async function pauseFor(store: WhatsAutoStore, subject: string, reason: PauseReason, now: Date = new Date()): Promise<PauseRecord> {
	const existing = (await store.getRecord<PauseRecord>(SCOPE, subject))?.value;
	const record: PauseRecord = { reason: existing?.reason ?? reason, since: existing?.since ?? now.toISOString(), lastActivity: now.toISOString() };
	await store.putRecord({ scope: SCOPE, key: subject, contactKey: subject, value: record, expiresAt: new Date(now.getTime() + MAX_PAUSE_MS) });
	return record;
}

/** Ends a pause at once (and the loop guard's count: a resumed person starts afresh); true when there was a pause. */
export async function resume(store: WhatsAutoStore, subject: string): Promise<boolean> {
	await store.deleteRecord(SCOPES.loopGuard.name, subject);
	return await store.deleteRecord(SCOPE, subject);
}

/** The pause in force for `subject`, if any: one whose people spoke within `silenceMs` (a lapsed one is deleted). */
export async function pauseOf(store: WhatsAutoStore, subject: string, silenceMs: number, now: Date = new Date()): Promise<Pause | undefined> {
	if (!subject) return undefined;
	const record = (await store.getRecord<PauseRecord>(SCOPE, subject))?.value;
	if (!record) return undefined;
	const until = Date.parse(record.lastActivity) + Math.min(silenceMs, MAX_PAUSE_MS);
	if (!(until > now.getTime())) {
		await store.deleteRecord(SCOPE, subject);
		return undefined;
	}
	return { ...record, until: new Date(until).toISOString() };
}

/** Why the AI stayed silent, as the output says it. */
export const SILENCE_REASONS: Record<PauseReason, string> = {
	handoff: 'paused_by_handoff',
	human_reply: 'paused_by_human_reply',
	operator: 'paused_by_operator',
	loop: 'paused_by_loop_guard',
};

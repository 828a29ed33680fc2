/** What both backends share for the conversation gate's inbox (migration 7). */
import { toBuffer } from './common';
import type { InboxSummary, InboxTurn, LeaseTurnsOptions } from './types';

/** The most messages one turn carries; the rest of a contact's backlog goes in the next turn. */
export const MAX_TURN_MESSAGES = 50;
/** The most turns one lease call returns. */
export const MAX_LEASE_TURNS = 1000;

/**
 * An unexpired row waiting to be handed on: pending, or under a lease that lapsed (its holder crashed); `now` is
 * the clock's SQL (a parameter for SQLite, so the statement takes two).
 */
export const inboxWaiting = (now: string): string =>
	`(expires_at > ${now} AND (state = 'pending' OR (state = 'leased' AND lease_until <= ${now})))`;

export const INBOX_COLUMNS = 'id, contact_key, sent_at, received_at, data, attempts, lease_id';

export interface InboxLeasedRow {
	id: string;
	contact_key: string;
	sent_at: number | string;
	received_at: number | string;
	data: Uint8Array | Buffer | null;
	attempts: number | string;
	lease_id: string;
}

export interface NormalisedLease {
	leaseId: string;
	debounceMs: number;
	capMs: number;
	leaseMs: number;
	limit: number;
	sentBefore: number;
	maxMessages: number;
}

const nonNegative = (name: string, value: number): number => {
	if (!Number.isFinite(value) || value < 0) throw new RangeError(`WhatsAuto store: ${name} must be a non-negative number`);
	return Math.floor(value);
};

export function normaliseLeaseOptions(o: LeaseTurnsOptions): NormalisedLease {
	if (typeof o.leaseId !== 'string' || o.leaseId.length === 0 || o.leaseId.length > 200) {
		throw new TypeError('WhatsAuto store: leaseId must be a non-empty string of at most 200 characters');
	}
	const leaseMs = nonNegative('leaseMs', o.leaseMs);
	if (leaseMs < 1) throw new RangeError('WhatsAuto store: leaseMs must be positive');
	const limit = Math.min(MAX_LEASE_TURNS, Math.max(1, Math.floor(nonNegative('limit', o.limit))));
	return {
		leaseId: o.leaseId,
		debounceMs: nonNegative('debounceMs', o.debounceMs),
		capMs: nonNegative('capMs', o.capMs),
		leaseMs,
		limit,
		sentBefore: nonNegative('sentBefore', o.sentBefore ?? 0),
		maxMessages: MAX_TURN_MESSAGES,
	};
}

/** Leased rows grouped into turns by lease id, each turn's messages oldest first, turns in the order leased. */
export function turnsOf(rows: InboxLeasedRow[]): InboxTurn[] {
	const turns = new Map<string, InboxTurn>();
	for (const row of rows) {
		let turn = turns.get(row.lease_id);
		if (!turn) {
			turn = { leaseId: row.lease_id, contactKey: row.contact_key, messages: [] };
			turns.set(row.lease_id, turn);
		}
		turn.messages.push({
			id: row.id,
			sentAt: Number(row.sent_at),
			receivedAt: Number(row.received_at),
			data: row.data ? toBuffer(row.data) : Buffer.alloc(0),
			attempts: Number(row.attempts),
		});
	}
	for (const turn of turns.values()) {
		turn.messages.sort((a, b) => a.sentAt - b.sentAt || a.receivedAt - b.receivedAt || a.id.localeCompare(b.id));
	}
	return [...turns.values()];
}

export function inboxSummaryOf(row: { id: string; contact_key: string; sent_at: number | string; received_at: number | string }): InboxSummary {
	return { id: row.id, contactKey: row.contact_key, sentAt: Number(row.sent_at), receivedAt: Number(row.received_at) };
}

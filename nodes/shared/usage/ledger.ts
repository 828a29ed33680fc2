/**
 * The usage ledger: one metadata row per message or turn the Auto-Reply processed (when, what became of it, which
 * message types, model, tokens, how long each stage took, how many messages went out), and one row per message
 * we sent with the pricing Meta reported for it. Never text: only labels, counts and times; the person appears
 * only as their keyed pseudonym (the record's contact key), so an access export lists the rows and an erasure
 * deletes them. Rows are dated (`dueAt` = when the turn finished), so a period is read in time order, a page at a
 * time, however large the store (`listRecordsByState`).
 */
import { DEFAULT_USAGE_RETENTION_MONTHS, MAX_USAGE_RETENTION_MONTHS, SCOPES, USAGE_MONTH_MS } from '../store/scopes';
import type { StoredRecord, WhatsAutoStore } from '../store/types';

/** What became of a turn: the Auto-Reply's outcome status (a turn with messages > 1 is a merged burst). */
export type UsageOutcome = 'replied' | 'merged' | 'skipped' | 'fallback' | 'handoff' | 'failed' | 'template' | 'away' | 'output_only' | 'waitlisted';

export interface UsageTokens {
	prompt: number;
	completion: number;
	cached: number;
}

/** Milliseconds per stage; a stage the turn did not go through is absent. */
export interface UsageLatencies {
	/** From Meta's send time (`timestamp`, whole seconds: coarse) to the trigger storing the message. */
	ack?: number;
	/** From the trigger storing the (last) message to the conversation gate handing the turn on. */
	wait?: number;
	/** Media download, transcription, documents: understanding what was sent. */
	understand?: number;
	/** The chat completion. */
	model?: number;
	/** Sending to WhatsApp. */
	send?: number;
	/** The Auto-Reply's own time for the item, from start to outcome. */
	total: number;
}

/** One processed turn (or single message): metadata only, never text. */
export interface UsageEntry {
	/** When the turn finished (ISO). */
	at: string;
	/** The person's keyed pseudonym, or '' when the store knows none. */
	contactKey: string;
	/** The message types, in order (`text`, `image`, `audio`…). */
	messageTypes: string[];
	messages: number;
	outcome: UsageOutcome;
	/** A label (`objected`, `window_closed`…), never text. */
	reason?: string;
	model?: string;
	tokens?: UsageTokens;
	latencyMs: UsageLatencies;
	/** How many messages we sent. */
	sent: number;
}

/** The pricing Meta reported for one message we sent (its first status webhook carrying `pricing`). */
export interface PricingEntry {
	/** When the status said so (ISO). */
	at: string;
	contactKey: string;
	/** `service`, `utility`, `marketing`, `authentication`, `general_purpose_ai`… */
	category: string;
	billable: boolean;
	/** `PMP` (per-message pricing) or, for older webhooks, `CBP`. */
	pricingModel: string;
}

/** What a period holds, in time order. */
export interface UsageRecords {
	turns: UsageEntry[];
	pricing: PricingEntry[];
}

export const USAGE_TURN_STATE = 'turn';
export const USAGE_PRICING_STATE = 'pricing';

const TURNS = SCOPES.usage.name;
const PRICING = SCOPES.usagePricing.name;
/** listRecordsByState's largest page. */
const PAGE = 1000;

/** A usage retention in months (the node's setting) as milliseconds: 1 to MAX_USAGE_RETENTION_MONTHS, 13 by default. */
export function usageRetentionMs(months: unknown): number {
	const n = typeof months === 'number' && Number.isFinite(months) ? months : DEFAULT_USAGE_RETENTION_MONTHS;
	return Math.min(MAX_USAGE_RETENTION_MONTHS, Math.max(1, n)) * USAGE_MONTH_MS;
}

// ---------------------------------------------------------------- what a row may hold

/** A label: short, no spaces; anything else (a text that slipped in) is dropped. */
const LABEL = /^[A-Za-z0-9_.:@/-]{1,64}$/;
const label = (value: unknown): string | undefined => (typeof value === 'string' && LABEL.test(value) ? value : undefined);
const MODEL = /^[A-Za-z0-9_.:/-]{1,128}$/;
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0);
const OUTCOMES: ReadonlySet<string> = new Set<UsageOutcome>(['replied', 'merged', 'skipped', 'fallback', 'handoff', 'failed', 'template', 'away', 'output_only']);
const STAGES = ['ack', 'wait', 'understand', 'model', 'send'] as const;

function atOf(at: unknown): Date {
	const time = typeof at === 'string' ? Date.parse(at) : NaN;
	if (!Number.isFinite(time)) throw new TypeError('WhatsAuto usage: `at` must be an ISO date');
	return new Date(time);
}

function assertRetention(retentionMs: number): void {
	if (typeof retentionMs !== 'number' || !Number.isFinite(retentionMs) || retentionMs <= 0) {
		throw new TypeError('WhatsAuto usage: the retention must be a positive number of milliseconds');
	}
}

/** What a turn row stores: the entry's known fields only, labels checked, numbers whole; the contact key is the record's. */
type StoredTurn = Omit<UsageEntry, 'contactKey'>;
type StoredPricing = Omit<PricingEntry, 'contactKey'>;

function storedTurn(entry: UsageEntry, at: Date): StoredTurn {
	if (!OUTCOMES.has(entry.outcome)) throw new TypeError(`WhatsAuto usage: unknown outcome ${String(entry.outcome)}`);
	const latencyMs: UsageLatencies = { total: count(entry.latencyMs?.total) };
	for (const stage of STAGES) {
		const value = entry.latencyMs?.[stage];
		if (typeof value === 'number' && Number.isFinite(value)) latencyMs[stage] = Math.max(0, Math.round(value));
	}
	const types = (Array.isArray(entry.messageTypes) ? entry.messageTypes : []).map((type) => label(type) ?? 'other');
	const reason = label(entry.reason);
	const model = typeof entry.model === 'string' && MODEL.test(entry.model) ? entry.model : undefined;
	return {
		at: at.toISOString(),
		messageTypes: types,
		messages: count(entry.messages),
		outcome: entry.outcome,
		...(reason ? { reason } : {}),
		...(model ? { model } : {}),
		...(entry.tokens ? { tokens: { prompt: count(entry.tokens.prompt), completion: count(entry.tokens.completion), cached: count(entry.tokens.cached) } } : {}),
		latencyMs,
		sent: count(entry.sent),
	};
}

// ---------------------------------------------------------------- writing

/**
 * Records one processed turn under `key` (an opaque key: the reply ledger's key of the item, never a message id in
 * clear), dated `entry.at`, kept `retentionMs` from then. A second record under the same key replaces the first (a
 * retried item is counted once).
 */
export async function recordTurn(store: WhatsAutoStore, key: string, entry: UsageEntry, retentionMs: number): Promise<void> {
	assertRetention(retentionMs);
	const at = atOf(entry.at);
	await store.putRecord({
		scope: TURNS,
		key,
		contactKey: entry.contactKey || '',
		value: storedTurn(entry, at),
		state: USAGE_TURN_STATE,
		dueAt: at,
		expiresAt: new Date(at.getTime() + retentionMs),
	});
}

/**
 * Records the pricing of one message we sent under `key` (an opaque key of that message), once: the first status
 * carrying pricing counts, a later one (Meta sends pricing on `sent` and again on `delivered` or `read`) does not.
 * Resolves whether this call recorded it.
 */
export async function recordPricing(store: WhatsAutoStore, key: string, entry: PricingEntry, retentionMs: number): Promise<boolean> {
	assertRetention(retentionMs);
	const at = atOf(entry.at);
	if (await store.getRecord(PRICING, key)) return false;
	const value: StoredPricing = {
		at: at.toISOString(),
		category: label(entry.category) ?? 'unknown',
		billable: entry.billable === true,
		pricingModel: label(entry.pricingModel) ?? 'unknown',
	};
	// Two workers racing on the same status write the same key: still one row.
	await store.putRecord({
		scope: PRICING,
		key,
		contactKey: entry.contactKey || '',
		value,
		state: USAGE_PRICING_STATE,
		dueAt: at,
		expiresAt: new Date(at.getTime() + retentionMs),
	});
	return true;
}

// ---------------------------------------------------------------- reading

const turnOf = (record: StoredRecord<StoredTurn>): UsageEntry => ({ ...record.value, contactKey: record.contactKey });
const pricingOf = (record: StoredRecord<StoredPricing>): PricingEntry => ({ ...record.value, contactKey: record.contactKey });

/** Every unexpired row of `scope` dated in [from, to), oldest first, however many pages it takes. */
async function rowsIn<T extends { at: string }>(store: WhatsAutoStore, scope: string, state: string, from: Date, to: Date): Promise<StoredRecord<T>[]> {
	const start = from.getTime();
	const end = to.getTime();
	if (!(end > start)) return [];
	const rows: StoredRecord<T>[] = [];
	// Just before `from`: the rows of that last millisecond that come back are dropped below.
	let after = { dueAt: start - 1, key: '~' };
	for (;;) {
		const page = await store.listRecordsByState<T>(scope, { states: [state], dueBy: new Date(end - 1), after, limit: PAGE });
		for (const record of page.records) {
			const at = Date.parse(record.value?.at);
			if (at >= start && at < end) rows.push(record);
		}
		if (!page.next) return rows;
		after = page.next;
	}
}

/** Every turn and pricing row dated in [from, to), in time order. */
export async function readUsage(store: WhatsAutoStore, from: Date, to: Date): Promise<UsageRecords> {
	return {
		turns: (await rowsIn<StoredTurn>(store, TURNS, USAGE_TURN_STATE, from, to)).map(turnOf),
		pricing: (await rowsIn<StoredPricing>(store, PRICING, USAGE_PRICING_STATE, from, to)).map(pricingOf),
	};
}

/** Every row of `scope` kept for `contactKey`: one listing, or (more than a listing holds) the whole scope read in order. */
async function contactRows<T extends { at: string }>(store: WhatsAutoStore, scope: string, state: string, contactKey: string): Promise<StoredRecord<T>[]> {
	const listed = await store.listRecords<T>(scope, { contactKey, limit: PAGE });
	if (listed.length < PAGE) return listed.sort((a, b) => Date.parse(a.value?.at) - Date.parse(b.value?.at));
	const all = await rowsIn<T>(store, scope, state, new Date(0), new Date(8.64e15));
	return all.filter((record) => record.contactKey === contactKey);
}

/** Everything the usage ledger keeps for one person (an access request), oldest first. */
export async function usageOf(store: WhatsAutoStore, contactKey: string): Promise<UsageRecords> {
	return {
		turns: (await contactRows<StoredTurn>(store, TURNS, USAGE_TURN_STATE, contactKey)).map(turnOf),
		pricing: (await contactRows<StoredPricing>(store, PRICING, USAGE_PRICING_STATE, contactKey)).map(pricingOf),
	};
}

import type {
	ContentEntry,
	CounterInput,
	ListRecordsByStateOptions,
	ListRecordsOptions,
	RecordCursor,
	RecordInput,
	StoredRecord,
} from './types';

/** Longest scope, key, ref or contact key the store accepts (keeps primary keys small). */
export const MAX_KEY_LENGTH = 1024;

export const CLOSED_MESSAGE = 'WhatsAuto store is closed';

/** Largest record value the store accepts, in bytes of UTF-8 JSON: records hold metadata, not content. */
export const MAX_RECORD_VALUE_BYTES = 64 * 1024;
/** How many records `listRecords` returns when no limit is given. */
export const DEFAULT_RECORD_LIST_LIMIT = 100;
/** Most records one `listRecords` call returns, whatever limit is asked for. */
export const MAX_RECORD_LIST_LIMIT = 1000;
/** Longest state a record is indexed by. */
export const MAX_RECORD_STATE_LENGTH = 128;
/** Most states one `listRecordsByState` call asks for. */
export const MAX_LISTED_STATES = 32;
/**
 * Where a record without a due date sorts in `listRecordsByState` (after every real one), and the cursor's
 * due date for one.
 */
export const NO_DUE_DATE = Number.MAX_SAFE_INTEGER;

export function assertKey(what: string, value: unknown): asserts value is string {
	if (typeof value !== 'string' || value.length === 0 || value.length > MAX_KEY_LENGTH) {
		throw new TypeError(`WhatsAuto store: ${what} must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
	}
}

/** A claim TTL in whole milliseconds (rounded up), at least 1. */
export function normaliseTtl(ttlMs: unknown): number {
	if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
		throw new TypeError('WhatsAuto store: ttlMs must be a positive finite number of milliseconds');
	}
	return Math.min(Math.ceil(ttlMs), Number.MAX_SAFE_INTEGER / 2);
}

export function assertContentEntry(entry: ContentEntry): void {
	if (entry === null || typeof entry !== 'object') throw new TypeError('WhatsAuto store: content entry required');
	assertKey('ref', entry.ref);
	assertKey('contactKey', entry.contactKey);
	if (!(entry.data instanceof Uint8Array)) throw new TypeError('WhatsAuto store: content data must be a Buffer');
	assertExpiresAt('content', entry.expiresAt);
}

function assertExpiresAt(what: string, value: unknown): asserts value is Date {
	if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
		throw new TypeError(`WhatsAuto store: ${what} expiresAt must be a valid Date`);
	}
}

/** A record checked and ready to write: its value as JSON, its contact key '' when it has none. */
export interface RecordToWrite {
	scope: string;
	key: string;
	contactKey: string;
	json: string;
	expiresAt: number;
	/** The state it is indexed by, '' for none. */
	state: string;
	/** Its due date in epoch ms, null for none. */
	dueAt: number | null;
}

function assertState(value: unknown): asserts value is string {
	if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RECORD_STATE_LENGTH) {
		throw new TypeError(`WhatsAuto store: a record state must be a non-empty string of at most ${MAX_RECORD_STATE_LENGTH} characters`);
	}
}

function assertDate(what: string, value: unknown): asserts value is Date {
	if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
		throw new TypeError(`WhatsAuto store: ${what} must be a valid Date`);
	}
}

/** Validates a record and serialises its value, with a clear error for anything the store will not hold. */
export function prepareRecord(record: RecordInput): RecordToWrite {
	if (record === null || typeof record !== 'object') throw new TypeError('WhatsAuto store: record required');
	assertKey('scope', record.scope);
	assertKey('key', record.key);
	const contactKey = record.contactKey ?? '';
	if (contactKey !== '') assertKey('contactKey', contactKey);
	assertExpiresAt('record', record.expiresAt);
	if (record.state !== undefined) assertState(record.state);
	if (record.dueAt !== undefined) assertDate('record dueAt', record.dueAt);
	return {
		scope: record.scope,
		key: record.key,
		contactKey,
		json: serialiseRecordValue(record.value),
		expiresAt: record.expiresAt.getTime(),
		state: record.state ?? '',
		dueAt: record.dueAt === undefined ? null : record.dueAt.getTime(),
	};
}

function serialiseRecordValue(value: unknown): string {
	return serialiseJson('record value', value, MAX_RECORD_VALUE_BYTES, 'records hold small metadata, not content');
}

/**
 * `value` as JSON (`JSON.stringify`), refusing with a TypeError anything JSON cannot hold (undefined,
 * functions, symbols, BigInts, circular values) and with a RangeError more than `maxBytes` of UTF-8.
 */
export function serialiseJson(what: string, value: unknown, maxBytes: number, why: string): string {
	let json: string | undefined;
	try {
		json = JSON.stringify(value);
	} catch (error) {
		throw new TypeError(
			`WhatsAuto store: ${what} must be JSON-serialisable (${(error as Error)?.message ?? String(error)})`,
			{ cause: error },
		);
	}
	if (json === undefined) {
		throw new TypeError(`WhatsAuto store: ${what} must be JSON-serialisable (got ${typeof value})`);
	}
	const bytes = Buffer.byteLength(json, 'utf8');
	if (bytes > maxBytes) {
		throw new RangeError(`WhatsAuto store: ${what} is ${bytes} bytes as JSON, more than the ${maxBytes} allowed (${why})`);
	}
	return json;
}

/** `listRecords` options checked: a contact key or undefined, and a limit within bounds. */
export function normaliseListOptions(options: ListRecordsOptions | undefined): { contactKey?: string; limit: number } {
	if (options !== undefined && (options === null || typeof options !== 'object')) {
		throw new TypeError('WhatsAuto store: listRecords options must be an object');
	}
	const { contactKey, limit = DEFAULT_RECORD_LIST_LIMIT } = options ?? {};
	if (contactKey !== undefined) assertKey('contactKey', contactKey);
	if (typeof limit !== 'number' || !Number.isInteger(limit) || limit <= 0) {
		throw new TypeError('WhatsAuto store: listRecords limit must be a positive integer');
	}
	return { contactKey, limit: Math.min(limit, MAX_RECORD_LIST_LIMIT) };
}

/** `listRecordsByState` options checked: the states, the due-by bound and the cursor as numbers, the limit capped. */
export function normaliseStateListOptions(options: ListRecordsByStateOptions): {
	states: string[];
	dueBy: number;
	after: RecordCursor;
	limit: number;
} {
	if (options === null || typeof options !== 'object') {
		throw new TypeError('WhatsAuto store: listRecordsByState options must be an object');
	}
	const { states, dueBy, after, limit = DEFAULT_RECORD_LIST_LIMIT } = options;
	if (!Array.isArray(states) || states.length === 0 || states.length > MAX_LISTED_STATES) {
		throw new TypeError(`WhatsAuto store: listRecordsByState states must be 1 to ${MAX_LISTED_STATES} states`);
	}
	for (const state of states) assertState(state);
	if (dueBy !== undefined) assertDate('listRecordsByState dueBy', dueBy);
	if (after !== undefined) {
		if (after === null || typeof after !== 'object' || !Number.isSafeInteger(after.dueAt)) {
			throw new TypeError('WhatsAuto store: listRecordsByState after must be the cursor of a previous page');
		}
		assertKey('listRecordsByState after.key', after.key);
	}
	if (typeof limit !== 'number' || !Number.isInteger(limit) || limit <= 0) {
		throw new TypeError('WhatsAuto store: listRecordsByState limit must be a positive integer');
	}
	return {
		states: [...new Set(states)],
		// A due date beyond the sentinel cannot be stored, so NO_DUE_DATE - 1 keeps undated records out.
		dueBy: dueBy === undefined ? NO_DUE_DATE : Math.min(dueBy.getTime(), NO_DUE_DATE - 1),
		after: after === undefined ? { dueAt: Number.MIN_SAFE_INTEGER, key: '' } : { dueAt: after.dueAt, key: after.key },
		limit: Math.min(limit, MAX_RECORD_LIST_LIMIT),
	};
}

/** The page of `listRecordsByState` that `rows` (fetched with `limit`) make, with the cursor after it when full. */
export function recordPageOf<T>(rows: Array<RecordRow & { sort_due: number | string | bigint }>, limit: number) {
	const records = rows.map((row) => toStoredRecord<T>(row));
	const last = rows[rows.length - 1];
	return rows.length < limit || !last ? { records } : { records, next: { dueAt: Number(last.sort_due), key: last.key } };
}

/** A `records` row as either driver returns it (PostgreSQL BIGINTs arrive as strings). */
export interface RecordRow {
	scope: string;
	key: string;
	contact_key: string;
	value: string;
	created_at: number | bigint | string;
	expires_at: number | bigint | string;
}

export function toStoredRecord<T>(row: RecordRow): StoredRecord<T> {
	let value: T;
	try {
		value = JSON.parse(row.value) as T;
	} catch (error) {
		throw new Error(`WhatsAuto store: record ${row.scope}/${row.key} does not hold valid JSON`, { cause: error });
	}
	return {
		scope: row.scope,
		key: row.key,
		contactKey: row.contact_key,
		value,
		createdAt: new Date(Number(row.created_at)),
		expiresAt: new Date(Number(row.expires_at)),
	};
}

/** A content row as either driver returns it (SQLite: Uint8Array and number; pg: Buffer and bigint text). */
export interface ContentRow {
	ref: string;
	contact_key: string;
	data: Uint8Array | Buffer | null;
	expires_at: number | string;
}

export function contentEntryOf(row: ContentRow): ContentEntry {
	return { ref: row.ref, contactKey: row.contact_key, data: toBuffer(row.data), expiresAt: new Date(Number(row.expires_at)) };
}

export function toBuffer(value: unknown): Buffer {
	if (Buffer.isBuffer(value)) return value;
	if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
	if (value === null || value === undefined) return Buffer.alloc(0);
	throw new TypeError('WhatsAuto store: unexpected content data type');
}

export function toCount(value: number | bigint | null | undefined): number {
	if (value === null || value === undefined) return 0;
	return Number(value);
}

/** How often, by default, every process holding an open store purges its expired rows (jittered ±20 %). */
export const DEFAULT_PURGE_INTERVAL_MS = 60_000;
/** Environment variable overriding {@link DEFAULT_PURGE_INTERVAL_MS} (milliseconds; 0 turns the timer off). */
export const PURGE_INTERVAL_ENV = 'WHATSAUTO_PURGE_INTERVAL_MS';
/** Shortest interval accepted (tests use short ones; anything shorter would only load the database). */
export const MIN_PURGE_INTERVAL_MS = 50;
/** Each wait is the interval times a factor drawn from [1 - jitter, 1 + jitter]: processes spread out. */
const PURGE_JITTER = 0.2;

/** How a store schedules its own purge (in addition to StoreOpenOptions). */
export interface PurgeScheduleOptions {
	/** Milliseconds between purges; 0 for none. Default: $WHATSAUTO_PURGE_INTERVAL_MS, else 60 s. */
	purgeIntervalMs?: number;
	/** Told about a failed purge (at most once per interval). Default: a warning in n8n's log. */
	onPurgeError?: (error: Error) => void;
}

/**
 * The default {@link PurgeScheduleOptions.onPurgeError}: one warning in n8n's log (the error's message, never a row).
 * n8n-workflow is loaded only then: loading it patches globals (BigInt's toJSON), which the store itself must not
 * depend on. Inside n8n it is loaded already, with its logger.
 */
export function logPurgeError(error: Error): void {
	const line = `WhatsAuto store: the scheduled purge of expired rows failed (it runs again next interval): ${error.message}`;
	import('n8n-workflow').then(
		({ LoggerProxy }) => LoggerProxy.warn(line),
		() => process.emitWarning(line),
	);
}

/**
 * The purge interval: the option, else the environment variable, else the default. Anything that is not a
 * finite number ≥ 0 means the default; 0 means no timer; a positive value is raised to MIN_PURGE_INTERVAL_MS.
 */
export function purgeIntervalOf(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
	const raw = env[PURGE_INTERVAL_ENV];
	const value = option ?? (raw === undefined || raw.trim() === '' ? DEFAULT_PURGE_INTERVAL_MS : Number(raw));
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return DEFAULT_PURGE_INTERVAL_MS;
	return value === 0 ? 0 : Math.max(Math.round(value), MIN_PURGE_INTERVAL_MS);
}

/** The next wait: `intervalMs` jittered by ±20 %. */
export function jittered(intervalMs: number, random: () => number = Math.random): number {
	return Math.max(1, Math.round(intervalMs * (1 - PURGE_JITTER + 2 * PURGE_JITTER * random())));
}

/**
 * A store's own purge timer: `purge` runs every interval (jittered, so processes sharing a database spread out),
 * one run at a time — the next wait starts when a run ends, so a slow database never piles runs up. The timer is
 * unref'd (it never keeps a process alive) and holds no state but itself: in queue mode every process purges, and
 * that is fine because a purge is idempotent. A failure goes to `onError` (one per run, so at most one per
 * interval) and never escapes. `stop` ends it for good (the store closing); a run in progress finishes unreported.
 */
export class PurgeTimer {
	private timer: NodeJS.Timeout | undefined;

	private stopped = false;

	constructor(
		private readonly purge: () => Promise<unknown>,
		readonly intervalMs: number,
		private readonly onError: (error: Error) => void,
	) {
		if (intervalMs > 0) this.arm();
	}

	/** Whether a purge is still scheduled. */
	get running(): boolean {
		return this.timer !== undefined && !this.stopped;
	}

	stop(): void {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
	}

	private arm(): void {
		if (this.stopped) return;
		this.timer = setTimeout(() => void this.run(), jittered(this.intervalMs));
		this.timer.unref();
	}

	private async run(): Promise<void> {
		try {
			await this.purge();
		} catch (error) {
			if (!this.stopped) {
				try {
					this.onError(error instanceof Error ? error : new Error(String(error)));
				} catch {
					// a logger that throws must not stop the purge
				}
			}
		}
		this.arm();
	}
}

/** {@link CounterInput} checked: scope and key, safe-integer amount and bound, contact key ('' for none), expiry in ms. */
export function prepareCounter(input: CounterInput): { scope: string; key: string; amount: number; below?: number; contactKey: string; expiresAt: number } {
	if (input === null || typeof input !== 'object') throw new TypeError('WhatsAuto store: counter input required');
	assertKey('scope', input.scope);
	assertKey('key', input.key);
	assertSafeInteger('counter amount', input.amount);
	if (input.below !== undefined) assertSafeInteger('counter below', input.below);
	const contactKey = input.contactKey ?? '';
	if (contactKey !== '') assertKey('contactKey', contactKey);
	if (!(input.expiresAt instanceof Date) || Number.isNaN(input.expiresAt.getTime())) {
		throw new TypeError('WhatsAuto store: counter expiresAt must be a valid Date');
	}
	return { scope: input.scope, key: input.key, amount: input.amount, below: input.below, contactKey, expiresAt: input.expiresAt.getTime() };
}

function assertSafeInteger(what: string, value: unknown): asserts value is number {
	if (typeof value !== 'number') throw new TypeError(`WhatsAuto store: ${what} must be a number`);
	if (!Number.isSafeInteger(value)) throw new RangeError(`WhatsAuto store: ${what} must be a safe integer`);
}

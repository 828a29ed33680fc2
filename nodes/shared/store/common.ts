import type { ContentEntry, ListRecordsOptions, RecordInput, StoredRecord } from './types';

/** Longest scope, key, ref or contact key the store accepts (keeps primary keys small). */
export const MAX_KEY_LENGTH = 1024;

export const CLOSED_MESSAGE = 'WhatsAuto store is closed';

/** Largest record value the store accepts, in bytes of UTF-8 JSON: records hold metadata, not content. */
export const MAX_RECORD_VALUE_BYTES = 64 * 1024;
/** How many records `listRecords` returns when no limit is given. */
export const DEFAULT_RECORD_LIST_LIMIT = 100;
/** Most records one `listRecords` call returns, whatever limit is asked for. */
export const MAX_RECORD_LIST_LIMIT = 1000;

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
}

/** Validates a record and serialises its value, with a clear error for anything the store will not hold. */
export function prepareRecord(record: RecordInput): RecordToWrite {
	if (record === null || typeof record !== 'object') throw new TypeError('WhatsAuto store: record required');
	assertKey('scope', record.scope);
	assertKey('key', record.key);
	const contactKey = record.contactKey ?? '';
	if (contactKey !== '') assertKey('contactKey', contactKey);
	assertExpiresAt('record', record.expiresAt);
	return {
		scope: record.scope,
		key: record.key,
		contactKey,
		json: serialiseRecordValue(record.value),
		expiresAt: record.expiresAt.getTime(),
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

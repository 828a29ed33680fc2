import type { ContentEntry } from './types';

/** Longest scope, key, ref or contact key the store accepts (keeps primary keys small). */
export const MAX_KEY_LENGTH = 1024;

export const CLOSED_MESSAGE = 'WhatsAuto store is closed';

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
	if (!(entry.expiresAt instanceof Date) || Number.isNaN(entry.expiresAt.getTime())) {
		throw new TypeError('WhatsAuto store: content expiresAt must be a valid Date');
	}
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

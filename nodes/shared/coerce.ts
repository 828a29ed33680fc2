/**
 * Readers for values of unknown type (n8n parameters, credentials, Meta's JSON): a value of the wrong
 * type reads as absent, or as the fallback given, never as a throw.
 */

/** A string as it is, a finite number as its text (Meta sends some ids as numbers); else undefined. */
export function str(value: unknown): string | undefined {
	if (typeof value === 'string') return value;
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	return undefined;
}

/** A finite number, or a string holding one; else undefined. */
export function num(value: unknown): number | undefined {
	const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
	return Number.isFinite(n) ? n : undefined;
}

/** The value when it is a string (untrimmed), else `fallback` ('' unless given). */
export function stringOr(value: unknown): string;
export function stringOr<F>(value: unknown, fallback: F): string | F;
export function stringOr(value: unknown, fallback: unknown = ''): unknown {
	return typeof value === 'string' ? value : fallback;
}

/** The value trimmed when it is a string with more than spaces in it, else `fallback` ('' unless given). */
export function trimmedOr(value: unknown, fallback = ''): string {
	return typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback;
}

/** The value when it is a finite number that `accept`s (any, unless given), else `fallback`. */
export function numberOr(value: unknown, fallback: number, accept: (n: number) => boolean = () => true): number {
	return typeof value === 'number' && Number.isFinite(value) && accept(value) ? value : fallback;
}

/** The value when it is a boolean, else `fallback`. */
export function booleanOr(value: unknown, fallback: boolean): boolean {
	return typeof value === 'boolean' ? value : fallback;
}

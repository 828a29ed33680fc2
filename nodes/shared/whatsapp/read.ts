/* Tolerant readers for Meta's JSON, shared by the delivery, message and event parsers: a value of the wrong type reads as absent, never as a throw. */

import { num, str } from '../coerce';
import type { WhatsAppError } from './types';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asObject = (v: unknown): Json => (isObject(v) ? v : {});
export const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** Meta's deepest bodies nest about a dozen levels; anything beyond this is not Meta's and is refused. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether objects/arrays in `value` nest more than `limit` levels (`value` itself is level 1). Iterative, so
 * any depth is safe to ask about; the recursive readers after it (dedupe keys, JSON.stringify) are then too.
 */
export function nestedDeeperThan(value: unknown, limit = MAX_JSON_DEPTH): boolean {
	const pending: Array<[object, number]> = typeof value === 'object' && value !== null ? [[value, 1]] : [];
	for (let next = pending.pop(); next; next = pending.pop()) {
		const [container, depth] = next;
		if (depth > limit) return true;
		for (const child of Object.values(container)) if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
	}
	return false;
}

export function time(v: unknown): { timestamp: string; timestampUnix: number } | undefined {
	const seconds = num(v);
	if (seconds === undefined) return undefined;
	const date = new Date(seconds * 1000);
	return Number.isNaN(date.getTime()) ? undefined : { timestamp: date.toISOString(), timestampUnix: seconds };
}

/** Drops `undefined` properties: optional fields are omitted, never set to `undefined`. */
export function compact<T extends object>(o: T): T {
	for (const key of Object.keys(o) as Array<keyof T>) if (o[key] === undefined) delete o[key];
	return o;
}

/**
 * An `errors[]` array as Meta sends it on messages, statuses and values; undefined when empty. Details come
 * from `error_data.details` or, in the other shape Meta has used, a top-level `details`.
 */
export function errorsOf(v: unknown): WhatsAppError[] | undefined {
	const errors = objects(v).map(
		(e): WhatsAppError =>
			compact({
				code: num(e.code) ?? 0,
				title: str(e.title) ?? '',
				message: str(e.message),
				details: str(asObject(e.error_data).details) ?? str(e.details),
				href: str(e.href),
			}),
	);
	return errors.length > 0 ? errors : undefined;
}

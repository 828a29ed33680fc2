/**
 * The report's period from the node's fields: a rolling window ending now (last 7 or 30 days), or a custom
 * From–To. A date without an offset (what n8n's date picker gives) is a wall-clock time in the workflow's time zone.
 */
import { DateTime, IANAZone } from 'luxon';

export type UsagePeriod = 'last7Days' | 'last30Days' | 'custom';

export const ROLLING_DAYS: Record<Exclude<UsagePeriod, 'custom'>, number> = { last7Days: 7, last30Days: 30 };

const MS_PER_DAY = 86_400_000;

/** A period field that cannot be read; the message says which field and why. */
export class PeriodError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PeriodError';
	}
}

/** `value` (a date-picker string, ISO 8601 with or without an offset, a Date, a Luxon DateTime or epoch ms) as an instant. */
export function instantOf(value: unknown, field: string, timezone: string): Date {
	let date: Date | undefined;
	if (value instanceof Date) date = value;
	else if (typeof value === 'number') date = new Date(value);
	else if (DateTime.isDateTime(value)) date = value.toJSDate();
	else if (typeof value === 'string') {
		const text = value.trim();
		if (text === '') throw new PeriodError(`${field} is empty: pick a date, or choose Last 7 Days or Last 30 Days.`);
		const zone = IANAZone.isValidZone(timezone) ? timezone : 'UTC';
		const iso = DateTime.fromISO(text, { zone });
		const sql = iso.isValid ? iso : DateTime.fromSQL(text, { zone });
		date = sql.isValid ? sql.toJSDate() : new Date(text);
	}
	if (!date || Number.isNaN(date.getTime())) {
		const shown = typeof value === 'string' ? `"${value.slice(0, 40)}"` : typeof value;
		throw new PeriodError(`${field} is not a date: ${shown}. Use e.g. 2026-12-01T00:00:00.`);
	}
	return date;
}

/** From and To of the report. To empty in a custom period means now. */
export function resolvePeriod(period: unknown, from: unknown, to: unknown, timezone: string, now: Date): { from: Date; to: Date } {
	if (period === 'last7Days' || period === 'last30Days') {
		return { from: new Date(now.getTime() - ROLLING_DAYS[period] * MS_PER_DAY), to: new Date(now.getTime()) };
	}
	if (period !== 'custom') throw new PeriodError(`Period must be Last 7 Days, Last 30 Days or Custom Range; got "${String(period).slice(0, 40)}".`);
	const start = instantOf(from, 'From', timezone);
	const end = to === undefined || to === null || (typeof to === 'string' && to.trim() === '') ? new Date(now.getTime()) : instantOf(to, 'To', timezone);
	if (start.getTime() >= end.getTime()) {
		throw new PeriodError(`From (${start.toISOString()}) must be before To (${end.toISOString()}).`);
	}
	return { from: start, to: end };
}

/**
 * Business hours: when a person can answer, in the business's own time zone.
 *
 * Schedule text: days followed by their opening times, for example
 *
 *   Mon-Fri 09:00-18:00, Sat 10:00-14:00
 *   Mon 09:00-12:00 13:00-17:00
 *   Mon, Wed, Fri 08:00-12:00
 *   Fri 20:00-02:00
 *
 * - Days: Mon Tue Wed Thu Fri Sat Sun or full names, any case; ranges such as Mon-Fri (Fri-Mon wraps).
 * - Times: HH:MM-HH:MM, 24-hour clock; 24:00 is the end of the day; an end before the start runs
 *   overnight into the next day (Sun runs into Mon).
 * - Commas, semicolons, new lines and spaces all just separate words. Days written one after another
 *   ("Mon, Wed, Fri") share the times that follow them; times written one after another
 *   ("09:00-12:00, 13:00-17:00") all belong to the days before them. Days not listed are closed.
 *
 * Holidays: dates YYYY-MM-DD in the business's time zone, closed from 00:00 to 24:00 of that date.
 * Times are wall-clock times in the zone (luxon): a time that a daylight-saving change skips is moved
 * forward by the skipped hour (02:30 becomes 03:30); a repeated time counts once, at its first occurrence.
 */

import { DateTime, IANAZone } from 'luxon';

export interface BusinessHours {
	zone: string;
	/** ISO weekday 1 (Monday) … 7 (Sunday) → open ranges in minutes from midnight, sorted, not overlapping. */
	week: Record<number, Array<{ from: number; to: number }>>;
	/** 'YYYY-MM-DD' dates in the zone. */
	holidays: ReadonlySet<string>;
}

const SCHEDULE_EXAMPLE = 'Mon-Fri 09:00-18:00, Sat 10:00-14:00';
const HOLIDAY_EXAMPLE = '2025-12-25, 2026-01-01';
const DAY_MINUTES = 24 * 60;
const SEARCH_DAYS = 14;

const DAY_NAMES: Readonly<Record<string, number>> = {
	mon: 1, monday: 1,
	tue: 2, tues: 2, tuesday: 2,
	wed: 3, wednesday: 3,
	thu: 4, thur: 4, thurs: 4, thursday: 4,
	fri: 5, friday: 5,
	sat: 6, saturday: 6,
	sun: 7, sunday: 7,
};

type Range = { from: number; to: number };

function scheduleError(problem: string): Error {
	return new Error(`Business hours: ${problem}. Write days and opening times, for example "${SCHEDULE_EXAMPLE}".`);
}

// ------------------------------------------------------------------------------------------- parsing

function parseZone(timezone: string): string {
	const zone = typeof timezone === 'string' ? timezone.trim() : '';
	if (!zone) throw new Error('Time zone: none given. Use a time zone name such as "Europe/Madrid" or "America/New_York".');
	if (!IANAZone.isValidZone(zone)) {
		throw new Error(`Time zone: "${zone}" is not a known time zone. Use a name such as "Europe/Madrid" or "America/New_York".`);
	}
	return zone;
}

function dayNumber(word: string): number {
	const day = DAY_NAMES[word.toLowerCase()];
	if (day === undefined) {
		throw scheduleError(`"${word}" is not a day (use Mon, Tue, Wed, Thu, Fri, Sat, Sun or full names)`);
	}
	return day;
}

/** "Mon-Fri" → [1..5]; "Fri-Mon" → [5, 6, 7, 1]. */
function parseDays(token: string): number[] {
	const [first, last, ...extra] = token.replace(/:$/, '').split('-');
	if (extra.length || last === '') throw scheduleError(`"${token}" is not a day or a range of days such as Mon-Fri`);
	const start = dayNumber(first);
	const end = last === undefined ? start : dayNumber(last);
	const days = [start];
	for (let day = start; day !== end; ) {
		day = (day % 7) + 1;
		days.push(day);
	}
	return days;
}

function parseTime(text: string, range: string, isEnd: boolean): number {
	const match = /^(\d{1,2}):(\d{2})$/.exec(text);
	const minutes = match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
	if (!match || Number(match[2]) > 59 || minutes > DAY_MINUTES) {
		throw scheduleError(`"${text}" in "${range}" is not a time of day from 00:00 to 24:00`);
	}
	if (minutes === DAY_MINUTES && !isEnd) throw scheduleError(`"${range}" starts at 24:00; 24:00 can only end a range`);
	return minutes;
}

/** One "HH:MM-HH:MM" as ranges of that day, and of the next day when it runs past midnight. */
function parseRange(token: string): { today: Range; tomorrow?: Range } {
	const parts = token.split('-');
	if (parts.length !== 2) throw scheduleError(`"${token}" is not a time range (write HH:MM-HH:MM, for example 09:00-18:00)`);
	const from = parseTime(parts[0], token, false);
	const to = parseTime(parts[1], token, true);
	if (from === to) throw scheduleError(`"${token}" opens and closes at the same time`);
	if (to === 0) return { today: { from, to: DAY_MINUTES } };
	if (to < from) return { today: { from, to: DAY_MINUTES }, tomorrow: { from: 0, to } };
	return { today: { from, to } };
}

function isTimeToken(token: string): boolean {
	return /^\d/.test(token);
}

/** Sorted, overlapping and touching ranges joined. */
function mergeRanges(ranges: Range[]): Range[] {
	const merged: Range[] = [];
	for (const range of [...ranges].sort((a, b) => a.from - b.from)) {
		const last = merged[merged.length - 1];
		if (last && range.from <= last.to) last.to = Math.max(last.to, range.to);
		else merged.push({ ...range });
	}
	return merged;
}

function parseSchedule(schedule: string): BusinessHours['week'] {
	const tokens = (typeof schedule === 'string' ? schedule : '')
		.replace(/\s*[-–—]\s*/g, '-')
		.split(/[\s,;]+/)
		.filter(Boolean);
	if (!tokens.length) throw scheduleError('no opening hours given');

	const ranges: Record<number, Range[]> = { 1: [], 2: [], 3: [], 4: [], 5: [], 6: [], 7: [] };
	let days: number[] = [];
	let daysHaveTimes = false;
	let daysText = '';
	for (const token of tokens) {
		if (isTimeToken(token)) {
			if (!days.length) throw scheduleError(`"${token}" has no days before it`);
			const { today, tomorrow } = parseRange(token);
			for (const day of days) {
				ranges[day].push(today);
				if (tomorrow) ranges[(day % 7) + 1].push(tomorrow);
			}
			daysHaveTimes = true;
		} else {
			if (daysHaveTimes) {
				days = [];
				daysText = '';
			}
			days.push(...parseDays(token));
			daysText = daysText ? `${daysText} ${token}` : token;
			daysHaveTimes = false;
		}
	}
	if (!daysHaveTimes) throw scheduleError(`"${daysText}" has no opening times`);

	const week: BusinessHours['week'] = {};
	for (let day = 1; day <= 7; day++) week[day] = mergeRanges(ranges[day]);
	return week;
}

function parseHolidays(holidays: string | undefined, zone: string): Set<string> {
	const dates = new Set<string>();
	for (const text of (holidays ?? '').split(/[\s,;]+/).filter(Boolean)) {
		const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? DateTime.fromISO(text, { zone }) : undefined;
		if (!date?.isValid || date.toISODate() !== text) {
			throw new Error(
				`Holidays: "${text}" is not a date. Write dates as YYYY-MM-DD, separated by commas or new lines, for example "${HOLIDAY_EXAMPLE}".`,
			);
		}
		dates.add(text);
	}
	return dates;
}

/** Throws Error with a message a no-code user understands (which part is wrong, and an example) on bad input. */
export function parseBusinessHours(input: { timezone: string; schedule: string; holidays?: string }): BusinessHours {
	const zone = parseZone(input.timezone);
	return { zone, week: parseSchedule(input.schedule), holidays: parseHolidays(input.holidays, zone) };
}

// ------------------------------------------------------------------------------------------ instants

/** Open periods as [start, end) in epoch milliseconds. */
type Interval = { start: number; end: number };

function instantAt(day: DateTime, minutes: number): number {
	const moment =
		minutes === DAY_MINUTES ? day.plus({ days: 1 }) : day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60 });
	return moment.toMillis();
}

/** The open periods of the days from `firstDay` on (start of day in the zone), joined across midnight. */
function openIntervals(hours: BusinessHours, firstDay: DateTime, dayCount: number): Interval[] {
	const intervals: Interval[] = [];
	for (let i = 0; i < dayCount; i++) {
		const day = firstDay.plus({ days: i });
		if (hours.holidays.has(day.toISODate() ?? '')) continue;
		for (const range of hours.week[day.weekday] ?? []) {
			const start = instantAt(day, range.from);
			const end = instantAt(day, range.to);
			const last = intervals[intervals.length - 1];
			if (last && start <= last.end) last.end = Math.max(last.end, end);
			else if (start < end) intervals.push({ start, end });
		}
	}
	return intervals;
}

function zoned(hours: BusinessHours, at: Date): DateTime {
	const time = DateTime.fromJSDate(at, { zone: hours.zone });
	if (!time.isValid) throw new RangeError('Business hours: the time to check is not a valid date');
	return time;
}

function intervalsAround(hours: BusinessHours, time: DateTime, daysBefore: number, daysAfter: number): Interval[] {
	return openIntervals(hours, time.startOf('day').minus({ days: daysBefore }), daysBefore + daysAfter + 1);
}

function contains(intervals: Interval[], ms: number): boolean {
	return intervals.some((i) => i.start <= ms && ms < i.end);
}

// --------------------------------------------------------------------------------------------- queries

export function isOpen(hours: BusinessHours, at: Date): boolean {
	const time = zoned(hours, at);
	return contains(intervalsAround(hours, time, 1, 1), time.toMillis());
}

/**
 * When the closed period containing `at` began (the last closing time, or the start of the holiday/closed
 * day chain), undefined while open. Search at most 14 days back; when never open in that span, the start
 * of the current ISO week in the zone. Stable: every instant of one closed period gives the same Date.
 */
export function closedSince(hours: BusinessHours, at: Date): Date | undefined {
	const time = zoned(hours, at);
	const now = time.toMillis();
	const intervals = intervalsAround(hours, time, SEARCH_DAYS + 1, 1);
	if (contains(intervals, now)) return undefined;
	const earliest = time.minus({ days: SEARCH_DAYS }).toMillis();
	const closings = intervals.map((i) => i.end).filter((end) => end <= now && end >= earliest);
	return new Date(closings.length ? Math.max(...closings) : time.startOf('week').toMillis());
}

/** The next opening after `at` (within 14 days), undefined if none. */
export function nextOpening(hours: BusinessHours, at: Date): Date | undefined {
	const time = zoned(hours, at);
	const now = time.toMillis();
	const latest = time.plus({ days: SEARCH_DAYS }).toMillis();
	const opening = intervalsAround(hours, time, 1, SEARCH_DAYS + 1).find((i) => i.start > now && i.start <= latest);
	return opening ? new Date(opening.start) : undefined;
}

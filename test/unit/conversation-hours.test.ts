import {
	closedSince,
	isOpen,
	nextOpening,
	parseBusinessHours,
	type BusinessHours,
} from '../../nodes/shared/conversation/hours';

const at = (iso: string) => new Date(iso);
const MINUTE = 60_000;

/** Every `stepMinutes` from `from` (inclusive) to `to` (exclusive). */
function instants(from: string, to: string, stepMinutes: number): Date[] {
	const out: Date[] = [];
	for (let t = Date.parse(from); t < Date.parse(to); t += stepMinutes * MINUTE) out.push(new Date(t));
	return out;
}

// June 2025 in Madrid is UTC+2: Mon 2 June … Sun 8 June.
const madrid = (schedule = 'Mon-Fri 09:00-18:00, Sat 10:00-14:00', holidays?: string): BusinessHours =>
	parseBusinessHours({ timezone: 'Europe/Madrid', schedule, holidays });

describe('parseBusinessHours', () => {
	it('reads days and times into ISO weekdays and minutes', () => {
		const hours = madrid();
		expect(hours.zone).toBe('Europe/Madrid');
		expect(hours.week).toEqual({
			1: [{ from: 540, to: 1080 }],
			2: [{ from: 540, to: 1080 }],
			3: [{ from: 540, to: 1080 }],
			4: [{ from: 540, to: 1080 }],
			5: [{ from: 540, to: 1080 }],
			6: [{ from: 600, to: 840 }],
			7: [],
		});
		expect([...hours.holidays]).toEqual([]);
	});

	it('takes several ranges a day, day lists, full names, any case, any separator', () => {
		const week = parseBusinessHours({
			timezone: 'UTC',
			schedule: 'mon 09:00-12:00 13:00-17:00\nTUESDAY, thu; Sat 8:30-12:00, 14:00 - 16:00',
		}).week;
		expect(week[1]).toEqual([{ from: 540, to: 720 }, { from: 780, to: 1020 }]);
		for (const day of [2, 4, 6]) expect(week[day]).toEqual([{ from: 510, to: 720 }, { from: 840, to: 960 }]);
		expect([week[3], week[5], week[7]]).toEqual([[], [], []]);
	});

	it('accepts a colon after the days and spaces around dashes', () => {
		expect(parseBusinessHours({ timezone: 'UTC', schedule: 'Mon - Wed: 09:00 – 17:00' }).week[3]).toEqual([{ from: 540, to: 1020 }]);
	});

	it('reads 24:00 as the end of the day and merges overlapping ranges', () => {
		const week = parseBusinessHours({ timezone: 'UTC', schedule: 'Sun 00:00-24:00, Mon 08:00-12:00 11:00-13:00 13:00-14:00' }).week;
		expect(week[7]).toEqual([{ from: 0, to: 1440 }]);
		expect(week[1]).toEqual([{ from: 480, to: 840 }]);
	});

	it('runs overnight ranges into the next day, Sunday into Monday', () => {
		const week = parseBusinessHours({ timezone: 'UTC', schedule: 'Fri 20:00-02:00, Sun 22:00-00:00, Sat 23:00-01:30' }).week;
		expect(week[5]).toEqual([{ from: 1200, to: 1440 }]);
		expect(week[6]).toEqual([{ from: 0, to: 120 }, { from: 1380, to: 1440 }]);
		expect(week[7]).toEqual([{ from: 0, to: 90 }, { from: 1320, to: 1440 }]);
		expect(week[1]).toEqual([]);
	});

	it('wraps day ranges past Sunday', () => {
		const week = parseBusinessHours({ timezone: 'UTC', schedule: 'Fri-Mon 10:00-11:00' }).week;
		expect([1, 2, 3, 4, 5, 6, 7].map((d) => week[d].length)).toEqual([1, 0, 0, 0, 1, 1, 1]);
	});

	it('reads holidays separated by commas, semicolons or new lines', () => {
		expect([...madrid(undefined, '2025-12-25,2026-01-01\n 2026-01-06; ').holidays]).toEqual(['2025-12-25', '2026-01-01', '2026-01-06']);
	});

	it.each([
		[{ schedule: '' }, /no opening hours given.*for example "Mon-Fri 09:00-18:00, Sat 10:00-14:00"/],
		[{ schedule: '  ,\n ' }, /no opening hours given/],
		[{ schedule: 'Mnday 09:00-17:00' }, /"Mnday" is not a day \(use Mon, Tue, Wed, Thu, Fri, Sat, Sun or full names\)/],
		[{ schedule: 'Mon-Fri-Sat 09:00-17:00' }, /"Mon-Fri-Sat" is not a day or a range of days/],
		[{ schedule: 'Mon 9-17' }, /"9" in "9-17" is not a time of day/],
		[{ schedule: 'Mon 09:00' }, /"09:00" is not a time range \(write HH:MM-HH:MM, for example 09:00-18:00\)/],
		[{ schedule: 'Mon 09:00-25:00' }, /"25:00" in "09:00-25:00" is not a time of day from 00:00 to 24:00/],
		[{ schedule: 'Mon 09:60-17:00' }, /"09:60"/],
		[{ schedule: 'Mon 24:00-02:00' }, /24:00 can only end a range/],
		[{ schedule: 'Mon 09:00-09:00' }, /"09:00-09:00" opens and closes at the same time/],
		[{ schedule: 'Mon-Fri 09:00-18:00, Sat, Sun' }, /"Sat Sun" has no opening times/],
		[{ schedule: '09:00-18:00' }, /"09:00-18:00" has no days before it/],
		[{ timezone: 'Europe/Madird' }, /Time zone: "Europe\/Madird" is not a known time zone.*"Europe\/Madrid"/],
		[{ timezone: ' ' }, /Time zone: none given/],
		[{ holidays: '2025-02-30' }, /Holidays: "2025-02-30" is not a date.*YYYY-MM-DD.*"2025-12-25, 2026-01-01"/],
		[{ holidays: '2025-12-25, 25/12/2025' }, /Holidays: "25\/12\/2025" is not a date/],
	])('explains what is wrong with %j', (change, message) => {
		const input = { timezone: 'Europe/Madrid', schedule: 'Mon-Fri 09:00-18:00', ...change };
		expect(() => parseBusinessHours(input)).toThrow(message);
	});

	it('starts schedule errors with where the problem is and ends them with an example', () => {
		expect(() => madrid('Mon')).toThrow(/^Business hours: .*, for example "Mon-Fri 09:00-18:00, Sat 10:00-14:00"\.$/);
	});
});

describe('isOpen', () => {
	const hours = madrid();

	it.each([
		['2025-06-02T06:59:59Z', false], // Mon 08:59:59
		['2025-06-02T07:00:00Z', true], // Mon 09:00
		['2025-06-02T15:59:59Z', true], // Mon 17:59:59
		['2025-06-02T16:00:00Z', false], // Mon 18:00
		['2025-06-07T08:00:00Z', true], // Sat 10:00
		['2025-06-07T12:00:00Z', false], // Sat 14:00
		['2025-06-08T10:00:00Z', false], // Sun 12:00
	])('at %s: %s', (iso, open) => {
		expect(isOpen(hours, at(iso))).toBe(open);
	});

	it('runs an overnight range into the next morning', () => {
		const bar = madrid('Fri 20:00-02:00, Sun 22:00-01:00');
		expect(isOpen(bar, at('2025-06-06T17:59:00Z'))).toBe(false); // Fri 19:59
		expect(isOpen(bar, at('2025-06-06T18:00:00Z'))).toBe(true); // Fri 20:00
		expect(isOpen(bar, at('2025-06-06T23:59:00Z'))).toBe(true); // Sat 01:59
		expect(isOpen(bar, at('2025-06-07T00:00:00Z'))).toBe(false); // Sat 02:00
		expect(isOpen(bar, at('2025-06-08T22:30:00Z'))).toBe(true); // Mon 00:30
		expect(isOpen(bar, at('2025-06-08T23:00:00Z'))).toBe(false); // Mon 01:00
	});

	it('is open around the clock with 00:00-24:00', () => {
		const always = madrid('Mon-Sun 00:00-24:00');
		for (const t of instants('2025-06-01T00:00:00Z', '2025-06-09T00:00:00Z', 97)) expect(isOpen(always, t)).toBe(true);
	});

	it('is closed all day on a holiday, also after midnight of an overnight range', () => {
		const shop = madrid('Mon-Sun 09:00-18:00, Fri 20:00-02:00', '2025-06-02, 2025-06-07');
		expect(isOpen(shop, at('2025-06-02T08:00:00Z'))).toBe(false); // Mon 10:00, holiday
		expect(isOpen(shop, at('2025-06-03T08:00:00Z'))).toBe(true); // Tue 10:00
		expect(isOpen(shop, at('2025-06-06T21:00:00Z'))).toBe(true); // Fri 23:00
		expect(isOpen(shop, at('2025-06-06T22:30:00Z'))).toBe(false); // Sat 00:30, holiday
	});

	it('follows the wall clock across daylight-saving changes in Europe/Berlin', () => {
		const hours = parseBusinessHours({ timezone: 'Europe/Berlin', schedule: 'Mon-Sun 09:00-17:00' });
		// Sat 29 March 2025 is UTC+1, Sun 30 March UTC+2; Sat 25 October UTC+2, Sun 26 October UTC+1.
		expect(isOpen(hours, at('2025-03-29T08:00:00Z'))).toBe(true);
		expect(isOpen(hours, at('2025-03-30T06:59:00Z'))).toBe(false);
		expect(isOpen(hours, at('2025-03-30T07:00:00Z'))).toBe(true);
		expect(isOpen(hours, at('2025-03-30T14:59:00Z'))).toBe(true);
		expect(isOpen(hours, at('2025-03-30T15:00:00Z'))).toBe(false);
		expect(isOpen(hours, at('2025-10-26T07:30:00Z'))).toBe(false);
		expect(isOpen(hours, at('2025-10-26T08:00:00Z'))).toBe(true);
		expect(isOpen(hours, at('2025-10-26T15:59:00Z'))).toBe(true);
		expect(isOpen(hours, at('2025-10-26T16:00:00Z'))).toBe(false);
	});

	it('on the night the clock jumps, counts hours by the wall clock and moves a skipped time forward', () => {
		const night = parseBusinessHours({ timezone: 'Europe/Berlin', schedule: 'Sun 01:00-04:00, Sat 02:30-03:00' });
		expect(isOpen(night, at('2025-03-29T23:59:00Z'))).toBe(false); // Sun 00:59 CET
		expect(isOpen(night, at('2025-03-30T00:00:00Z'))).toBe(true); // Sun 01:00 CET
		expect(isOpen(night, at('2025-03-30T01:59:00Z'))).toBe(true); // Sun 03:59 CEST
		expect(isOpen(night, at('2025-03-30T02:00:00Z'))).toBe(false); // Sun 04:00 CEST
		const skipped = parseBusinessHours({ timezone: 'Europe/Berlin', schedule: 'Sun 02:30-05:00' });
		expect(isOpen(skipped, at('2025-03-30T01:15:00Z'))).toBe(false); // 03:15 CEST
		expect(isOpen(skipped, at('2025-03-30T01:30:00Z'))).toBe(true); // 03:30 CEST
		expect(nextOpening(skipped, at('2025-03-29T12:00:00Z'))).toEqual(at('2025-03-30T01:30:00Z'));
	});

	it('rejects an invalid date', () => {
		expect(() => isOpen(hours, new Date(NaN))).toThrow(RangeError);
	});
});

describe('closedSince', () => {
	const hours = madrid();

	it('is undefined while open', () => {
		expect(closedSince(hours, at('2025-06-03T07:00:00Z'))).toBeUndefined();
		expect(closedSince(hours, at('2025-06-03T15:59:59Z'))).toBeUndefined();
	});

	it('gives the last closing time, the same for every instant of a night', () => {
		const closing = at('2025-06-03T16:00:00Z'); // Tue 18:00
		for (const t of instants('2025-06-03T16:00:00Z', '2025-06-04T07:00:00Z', 7)) expect(closedSince(hours, t)).toEqual(closing);
		expect(closedSince(hours, at('2025-06-04T07:00:00Z'))).toBeUndefined();
	});

	it('is the same for every instant of a weekend', () => {
		const closing = at('2025-06-07T12:00:00Z'); // Sat 14:00
		for (const t of instants('2025-06-07T12:00:00Z', '2025-06-09T07:00:00Z', 13)) expect(closedSince(hours, t)).toEqual(closing);
		const weekdays = madrid('Mon-Fri 09:00-18:00');
		const friday = at('2025-06-06T16:00:00Z');
		for (const t of instants('2025-06-06T16:00:00Z', '2025-06-09T07:00:00Z', 13)) expect(closedSince(weekdays, t)).toEqual(friday);
	});

	it('reaches back over holidays to the last closing time', () => {
		const easter = madrid('Mon-Fri 09:00-18:00', '2025-06-05, 2025-06-06, 2025-06-09');
		const wednesday = at('2025-06-04T16:00:00Z');
		for (const t of instants('2025-06-04T16:00:00Z', '2025-06-10T07:00:00Z', 31)) expect(closedSince(easter, t)).toEqual(wednesday);
	});

	it('starts the closed chain when a day open until midnight is followed by closed days', () => {
		const lateShop = madrid('Fri 18:00-24:00');
		expect(closedSince(lateShop, at('2025-06-07T10:00:00Z'))).toEqual(at('2025-06-06T22:00:00Z'));
		expect(closedSince(madrid('Fri 18:00-00:00'), at('2025-06-08T10:00:00Z'))).toEqual(at('2025-06-06T22:00:00Z'));
	});

	it('joins an overnight range across midnight: the closing is in the morning', () => {
		const bar = madrid('Fri 20:00-02:00');
		expect(closedSince(bar, at('2025-06-07T10:00:00Z'))).toEqual(at('2025-06-07T00:00:00Z'));
		expect(closedSince(bar, at('2025-06-06T17:00:00Z'))).toEqual(at('2025-05-31T00:00:00Z'));
	});

	it('gives the start of the ISO week in the zone when not open in the last 14 days', () => {
		const rarely = madrid('Mon 09:00-10:00', '2025-06-09, 2025-06-16, 2025-06-23');
		expect(closedSince(rarely, at('2025-06-16T08:00:00Z'))).toEqual(at('2025-06-02T08:00:00Z')); // exactly 14 days back
		expect(closedSince(rarely, at('2025-06-16T08:00:01Z'))).toEqual(at('2025-06-15T22:00:00Z')); // Mon 16 June 00:00
		expect(closedSince(rarely, at('2025-06-25T10:00:00Z'))).toEqual(at('2025-06-22T22:00:00Z')); // Mon 23 June 00:00
		expect(closedSince(rarely, at('2025-06-29T21:59:00Z'))).toEqual(at('2025-06-22T22:00:00Z')); // Sun 23:59
	});

	it('follows the wall clock on a daylight-saving change', () => {
		const hours = parseBusinessHours({ timezone: 'Europe/Berlin', schedule: 'Mon-Fri 09:00-17:00' });
		// Fri 28 March 17:00 CET; the weekend spans the switch to summer time.
		for (const t of instants('2025-03-28T16:00:00Z', '2025-03-31T07:00:00Z', 29)) {
			expect(closedSince(hours, t)).toEqual(at('2025-03-28T16:00:00Z'));
		}
		expect(isOpen(hours, at('2025-03-31T07:00:00Z'))).toBe(true); // Mon 09:00 CEST
	});
});

describe('nextOpening', () => {
	const hours = madrid();

	it('gives the next opening while closed', () => {
		expect(nextOpening(hours, at('2025-06-03T05:00:00Z'))).toEqual(at('2025-06-03T07:00:00Z')); // Tue 07:00 → 09:00
		expect(nextOpening(hours, at('2025-06-03T16:00:00Z'))).toEqual(at('2025-06-04T07:00:00Z')); // Tue 18:00 → Wed 09:00
		expect(nextOpening(hours, at('2025-06-07T12:00:00Z'))).toEqual(at('2025-06-09T07:00:00Z')); // Sat 14:00 → Mon 09:00
	});

	it('gives the opening after the current period while open', () => {
		expect(nextOpening(hours, at('2025-06-03T07:00:00Z'))).toEqual(at('2025-06-04T07:00:00Z'));
		expect(nextOpening(madrid('Mon 09:00-12:00 13:00-17:00'), at('2025-06-02T08:00:00Z'))).toEqual(at('2025-06-02T11:00:00Z'));
	});

	it('skips holidays', () => {
		expect(nextOpening(madrid(undefined, '2025-06-09, 2025-06-10'), at('2025-06-07T12:00:00Z'))).toEqual(at('2025-06-11T07:00:00Z'));
	});

	it('is undefined when nothing opens within 14 days', () => {
		const rarely = madrid('Mon 09:00-10:00', '2025-06-09, 2025-06-16');
		expect(nextOpening(rarely, at('2025-06-03T10:00:00Z'))).toBeUndefined();
		expect(nextOpening(rarely, at('2025-06-09T10:00:00Z'))).toEqual(at('2025-06-23T07:00:00Z'));
		expect(nextOpening(madrid('Mon 09:00-10:00'), at('2025-06-02T07:00:00Z'))).toEqual(at('2025-06-09T07:00:00Z'));
	});

	it('does not count a range running on from yesterday as an opening', () => {
		const bar = madrid('Fri 20:00-02:00');
		expect(nextOpening(bar, at('2025-06-06T23:00:00Z'))).toEqual(at('2025-06-13T18:00:00Z'));
	});

	it('finds the opening after a daylight-saving change', () => {
		const hours = parseBusinessHours({ timezone: 'Europe/Berlin', schedule: 'Mon-Sun 09:00-17:00' });
		expect(nextOpening(hours, at('2025-03-29T18:00:00Z'))).toEqual(at('2025-03-30T07:00:00Z'));
		expect(nextOpening(hours, at('2025-10-25T18:00:00Z'))).toEqual(at('2025-10-26T08:00:00Z'));
	});
});

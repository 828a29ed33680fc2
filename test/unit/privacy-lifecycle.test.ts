/**
 * The privacy request state machine without I/O: every transition allowed or refused, the terminal state
 * from per-store results, deadlines (month ends, leap years, 45 days), extensions and request ids.
 */
import { detectPrivacyCommand, REQUEST_ID_PATTERN } from '../../nodes/shared/privacy/commandDetection';
import {
	canTransition,
	dueDate,
	extend,
	InvalidTransitionError,
	newRequestId,
	outcomeOf,
	OPEN_STATES,
	TERMINAL_STATES,
	transition,
	type PrivacyRequest,
	type RequestState,
	type StoreResult,
} from '../../nodes/shared/privacy/lifecycle';

const STATES: RequestState[] = ['received', 'awaiting_identity', 'awaiting_confirmation', 'in_progress', 'completed', 'partially_completed', 'denied', 'failed'];
const TERMINAL: RequestState[] = ['completed', 'partially_completed', 'denied', 'failed'];

/** The machine as documented in lifecycle.ts, written out independently of its table. */
const EXPECTED_ALLOWED: Record<RequestState, RequestState[]> = {
	received: ['awaiting_identity', 'awaiting_confirmation', 'in_progress', 'denied', 'failed'],
	awaiting_identity: ['in_progress', 'denied', 'failed'],
	// an erasure asked for over WhatsApp runs once the person taps "Delete all my data"; Cancel or expiry denies it
	awaiting_confirmation: ['in_progress', 'denied', 'failed'],
	in_progress: ['completed', 'partially_completed', 'denied', 'failed'],
	completed: [],
	partially_completed: [],
	denied: [],
	failed: [],
};

const utc = (iso: string) => new Date(iso);

function request(over: Partial<PrivacyRequest> = {}): PrivacyRequest {
	return {
		id: 'PR-20260105-K7MWQ2',
		type: 'delete',
		channel: 'whatsapp',
		state: 'received',
		subject: 'a'.repeat(64),
		receivedAt: '2026-01-05T10:00:00.000Z',
		dueAt: '2026-02-05T10:00:00.000Z',
		results: [],
		...over,
	};
}

describe('transitions', () => {
	const pairs = STATES.flatMap((from) => STATES.map((to) => [from, to] as const));
	const allowed = pairs.filter(([from, to]) => EXPECTED_ALLOWED[from].includes(to));
	const forbidden = pairs.filter(([from, to]) => !EXPECTED_ALLOWED[from].includes(to));

	it('covers all 64 pairs: 15 allowed, 49 forbidden', () => {
		expect(allowed).toHaveLength(15);
		expect(forbidden).toHaveLength(49);
	});

	it.each(allowed)('allows %s → %s', (from, to) => {
		expect(canTransition(from, to)).toBe(true);
		const before = request({ state: from });
		const snapshot = structuredClone(before);
		const after = transition(before, to, {}, utc('2026-01-06T08:00:00.000Z'));
		expect(after.state).toBe(to);
		expect(before).toEqual(snapshot); // the input is never mutated
		if (TERMINAL.includes(to)) expect(after.completedAt).toBe('2026-01-06T08:00:00.000Z');
		else expect(after).not.toHaveProperty('completedAt');
	});

	it.each(forbidden)('refuses %s → %s', (from, to) => {
		expect(canTransition(from, to)).toBe(false);
		const attempt = () => transition(request({ state: from }), to);
		expect(attempt).toThrow(InvalidTransitionError);
		expect(attempt).toThrow(`A privacy request cannot go from ${from} to ${to}.`);
	});

	it('never lets a terminal state move again, nor any state stay where it is', () => {
		for (const from of TERMINAL) for (const to of STATES) expect(canTransition(from, to)).toBe(false);
		for (const state of STATES) expect(canTransition(state, state)).toBe(false);
		expect([...TERMINAL_STATES].sort()).toEqual([...TERMINAL].sort());
	});

	it('only reaches in_progress from awaiting_identity, awaiting_confirmation or (identity known) from received; completion only from in_progress', () => {
		expect(STATES.filter((from) => canTransition(from, 'in_progress'))).toEqual(['received', 'awaiting_identity', 'awaiting_confirmation']);
		expect(STATES.filter((from) => canTransition(from, 'awaiting_confirmation'))).toEqual(['received']);
		expect(STATES.filter((from) => canTransition(from, 'completed'))).toEqual(['in_progress']);
		expect(STATES.filter((from) => canTransition(from, 'partially_completed'))).toEqual(['in_progress']);
		expect(STATES.filter((from) => canTransition(from, 'awaiting_identity'))).toEqual(['received']);
	});

	it('applies the changes it is given (reason, results, unlinked subject) and keeps everything else', () => {
		const results: StoreResult[] = [{ store: 'content and records', outcome: 'done', count: 4 }];
		const before = request({ state: 'in_progress', language: 'bn', fields: ['name'] });
		const after = transition(before, 'completed', { results, subject: '', reason: 'kept: nothing' }, utc('2026-01-07T00:00:00.000Z'));
		expect(after).toEqual({ ...before, state: 'completed', results, subject: '', reason: 'kept: nothing', completedAt: '2026-01-07T00:00:00.000Z' });
	});

	it('is an Error named InvalidTransitionError', () => {
		const error = new InvalidTransitionError('completed', 'in_progress');
		expect(error).toBeInstanceOf(Error);
		expect(error.name).toBe('InvalidTransitionError');
	});
});

describe('outcomeOf', () => {
	const r = (outcome: StoreResult['outcome']): StoreResult => ({ store: 'profile', outcome });

	it.each<[string, StoreResult[], ReturnType<typeof outcomeOf>]>([
		['no results', [], 'completed'],
		['all done', [r('done'), r('done')], 'completed'],
		['nothing to do', [r('none')], 'completed'],
		['done and none', [r('done'), r('none')], 'completed'],
		['something kept', [r('done'), r('kept')], 'partially_completed'],
		['only kept', [r('kept')], 'partially_completed'],
		['a failure', [r('done'), r('failed')], 'failed'],
		['a failure wins over kept', [r('kept'), r('failed'), r('done')], 'failed'],
		['a failure wins in any order', [r('failed'), r('kept')], 'failed'],
	])('%s → %s', (_name, results, expected) => {
		expect(outcomeOf(results)).toBe(expected);
	});
});

describe('dueDate', () => {
	it.each([
		// one month: the same day next month, or the last day of that month when it has no such day
		['2026-01-31T12:00:00.000Z', '2026-02-28T12:00:00.000Z'],
		['2028-01-31T12:00:00.000Z', '2028-02-29T12:00:00.000Z'], // leap year
		['2026-01-30T09:15:00.000Z', '2026-02-28T09:15:00.000Z'],
		['2026-01-29T00:00:00.000Z', '2026-02-28T00:00:00.000Z'],
		['2028-01-29T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
		['2026-01-28T00:00:00.000Z', '2026-02-28T00:00:00.000Z'],
		['2026-03-31T23:59:59.999Z', '2026-04-30T23:59:59.999Z'],
		['2026-05-31T00:00:00.000Z', '2026-06-30T00:00:00.000Z'],
		['2026-08-31T06:00:00.000Z', '2026-09-30T06:00:00.000Z'],
		['2026-12-31T22:30:00.000Z', '2027-01-31T22:30:00.000Z'], // across the year
		['2026-12-15T00:00:00.000Z', '2027-01-15T00:00:00.000Z'],
		['2026-02-28T10:00:00.000Z', '2026-03-28T10:00:00.000Z'],
		['2028-02-29T10:00:00.000Z', '2028-03-29T10:00:00.000Z'],
		['2026-01-05T10:00:00.000Z', '2026-02-05T10:00:00.000Z'],
		['2026-01-31T23:30:00.000Z', '2026-02-28T23:30:00.000Z'], // in UTC, whatever the local zone
	])('one month from %s is %s', (received, due) => {
		expect(dueDate(utc(received), 'one_month').toISOString()).toBe(due);
	});

	it.each([
		['2026-01-01T00:00:00.000Z', '2026-02-15T00:00:00.000Z'],
		['2026-01-31T12:00:00.000Z', '2026-03-17T12:00:00.000Z'],
		['2028-01-31T12:00:00.000Z', '2028-03-16T12:00:00.000Z'], // leap year: Feb 29 counts
		['2026-12-20T08:00:00.000Z', '2027-02-03T08:00:00.000Z'],
	])('45 days from %s is %s', (received, due) => {
		const got = dueDate(utc(received), '45_days');
		expect(got.toISOString()).toBe(due);
		expect(got.getTime() - utc(received).getTime()).toBe(45 * 24 * 3600 * 1000);
	});

	it('does not mutate the date it is given', () => {
		const received = utc('2026-01-31T12:00:00.000Z');
		dueDate(received, 'one_month');
		dueDate(received, '45_days');
		expect(received.toISOString()).toBe('2026-01-31T12:00:00.000Z');
	});
});

describe('extend', () => {
	const now = utc('2026-01-20T09:00:00.000Z');

	it.each([
		[1, '2026-03-05T10:00:00.000Z'],
		[2, '2026-04-05T10:00:00.000Z'],
	] as const)('adds %i month(s) to the due date and records the reason and when', (months, due) => {
		const before = request({ state: 'in_progress', dueAt: '2026-02-05T10:00:00.000Z' });
		const snapshot = structuredClone(before);
		const after = extend(before, months, '  Many stores to search  ', now);
		expect(after.dueAt).toBe(due);
		expect(after.extension).toEqual({ dueAt: due, reason: 'Many stores to search', at: now.toISOString() });
		expect({ ...after, dueAt: before.dueAt, extension: undefined }).toEqual({ ...before, extension: undefined });
		expect(before).toEqual(snapshot);
	});

	it.each([
		// the due date a month end: the extension ends on the last day of the target month, never in the one after
		['2026-12-31T10:00:00.000Z', 2, '2027-02-28T10:00:00.000Z'],
		['2027-12-31T10:00:00.000Z', 2, '2028-02-29T10:00:00.000Z'],
		['2026-01-31T10:00:00.000Z', 1, '2026-02-28T10:00:00.000Z'],
		['2026-03-31T10:00:00.000Z', 2, '2026-05-31T10:00:00.000Z'],
		['2026-07-31T10:00:00.000Z', 2, '2026-09-30T10:00:00.000Z'],
		['2026-10-31T10:00:00.000Z', 1, '2026-11-30T10:00:00.000Z'],
	] as const)('extends a due date of %s by %i month(s) to %s', (dueAt, months, expected) => {
		expect(extend(request({ state: 'awaiting_identity', dueAt }), months, 'complex request', now).dueAt).toBe(expected);
	});

	it('is allowed in every open state', () => {
		for (const state of ['received', 'awaiting_identity', 'in_progress'] as const) {
			expect(extend(request({ state }), 2, 'reason', now).extension?.reason).toBe('reason');
		}
	});

	it('refuses a finished request', () => {
		for (const state of TERMINAL) {
			expect(() => extend(request({ state }), 2, 'reason', now)).toThrow('A finished request cannot be extended.');
		}
	});

	it('refuses an extension without a reason', () => {
		for (const reason of ['', '   ', '\n\t']) {
			expect(() => extend(request({ state: 'in_progress' }), 2, reason, now)).toThrow('An extension needs a reason the person will be told.');
		}
	});

	it('refuses a second extension, whatever its length', () => {
		const once = extend(request({ state: 'in_progress' }), 1, 'first', now);
		expect(() => extend(once, 1, 'second', now)).toThrow('This request has already been extended.');
		expect(() => extend(once, 2, 'second', now)).toThrow('This request has already been extended.');
	});
});

describe('newRequestId', () => {
	const FORMAT = /^PR-\d{8}-[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}$/;

	it('is PR-YYYYMMDD-XXXXXX with the UTC date and six readable characters', () => {
		const id = newRequestId(utc('2026-01-05T23:59:59.000Z'));
		expect(id).toMatch(FORMAT);
		expect(id.slice(0, 12)).toBe('PR-20260105-');
		expect(newRequestId(utc('2026-12-31T00:00:00.000Z')).slice(0, 12)).toBe('PR-20261231-');
	});

	it('never uses 0, O, 1 or I, over many ids', () => {
		for (let i = 0; i < 2000; i++) {
			const suffix = newRequestId(utc('2026-01-05T00:00:00.000Z')).slice(12);
			expect(suffix).toMatch(/^[A-HJ-NP-Z2-9]{6}$/);
			expect(suffix).not.toMatch(/[0O1I]/);
		}
	});

	it('draws each character from a 32-letter alphabet with the given random source', () => {
		const draws: number[] = [];
		const sequence = [0, 31, 7, 8, 13, 24];
		const id = newRequestId(utc('2026-01-05T00:00:00.000Z'), (n) => {
			draws.push(n);
			return sequence[draws.length - 1];
		});
		expect(draws).toEqual([32, 32, 32, 32, 32, 32]);
		expect(id).toBe('PR-20260105-A9HJP2');
	});

	it('is unique enough: 2000 ids on one day do not collide more than a handful of times', () => {
		const ids = new Set(Array.from({ length: 2000 }, () => newRequestId(utc('2026-01-05T00:00:00.000Z'))));
		expect(ids.size).toBeGreaterThan(1995);
	});

	it('is read back by the detector, in any case and spacing people type it', () => {
		const id = newRequestId(utc('2026-01-05T00:00:00.000Z'));
		expect(REQUEST_ID_PATTERN.test(id)).toBe(true);
		for (const typed of [`status ${id}`, `STATUS ${id.toLowerCase()}`, `status ${id.replaceAll('-', ' ')}`]) {
			expect(detectPrivacyCommand(typed)).toMatchObject({ isCommand: true, type: 'status', requestId: id });
		}
	});
});

describe('open states', () => {
	it('are every state but the terminal ones: what List Open lists', () => {
		expect([...OPEN_STATES].sort()).toEqual(STATES.filter((state) => !TERMINAL.includes(state)).sort());
	});
});

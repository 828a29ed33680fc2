/**
 * Limits that keep the web form (or any request outside WhatsApp) from being used to spam a number with codes
 * or to guess one: codes per number per hour and per day, wrong codes per number per day, codes per client per
 * hour. Everything is counted in the store, so every n8n worker sees the same counts: a window of N is N claim
 * slots (`<key>:1` … `<key>:N`) that each live as long as the window. A code sent (or a wrong code given) takes
 * a free slot; when none is free, the limit is reached. Since a slot is held exactly one window from when it was
 * taken, the slots held are the events of the last window: a sliding window, exact across workers.
 *
 * Keys are keyed hashes: of the person's pseudonym (so erasure-proof counters never match the pseudonym the
 * person's records carry) and of the client key (an IP address never reaches the store).
 */
import { SCOPES, type StoreScope } from '../store/scopes';
import type { PrivacyDesk } from './desk';

const {
	privacyLimitCodeNumberHour: NUMBER_HOUR,
	privacyLimitCodeNumberDay: NUMBER_DAY,
	privacyLimitWrongCodeNumberDay: WRONG_DAY,
	privacyLimitCodeClientHour: CLIENT_HOUR,
} = SCOPES;

export interface CodeLimits {
	/** Verification codes sent to one number in any hour; 0: no limit. */
	codesPerNumberPerHour: number;
	/** Verification codes sent to one number in any 24 hours; 0: no limit. */
	codesPerNumberPerDay: number;
	/** Wrong codes given for one number (over all its requests) in any 24 hours; 0: no limit. */
	wrongCodesPerNumberPerDay: number;
	/** Verification codes sent at the request of one client (the form's Client Key) in any hour; 0: no limit. */
	codesPerClientPerHour: number;
}

export const DEFAULT_LIMITS: Readonly<CodeLimits> = {
	codesPerNumberPerHour: 3,
	codesPerNumberPerDay: 5,
	wrongCodesPerNumberPerDay: 10,
	codesPerClientPerHour: 10,
};

/** The most slots one limit may have: each check may try them all. */
export const MAX_LIMIT = 100;

/** A limit as given (a node parameter): a whole number from 0 (no limit) to {@link MAX_LIMIT}; the default otherwise. */
export function limitsOf(given: Partial<Record<keyof CodeLimits, unknown>> | undefined): CodeLimits {
	const value = (name: keyof CodeLimits): number => {
		const raw = given?.[name];
		const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
		return Number.isFinite(n) && n >= 0 ? Math.min(Math.floor(n), MAX_LIMIT) : DEFAULT_LIMITS[name];
	};
	return {
		codesPerNumberPerHour: value('codesPerNumberPerHour'),
		codesPerNumberPerDay: value('codesPerNumberPerDay'),
		wrongCodesPerNumberPerDay: value('wrongCodesPerNumberPerDay'),
		codesPerClientPerHour: value('codesPerClientPerHour'),
	};
}

/** A slot taken: release it when what it counted did not happen after all. */
interface Slot {
	scope: StoreScope;
	key: string;
}

/** One of `max` slots of `key`; undefined when all are held. `max` 0 takes nothing and never limits. */
async function take(desk: PrivacyDesk, scope: StoreScope, key: string, max: number): Promise<Slot | null | undefined> {
	if (max <= 0) return null;
	for (let slot = 1; slot <= max; slot++) {
		const slotKey = `${key}:${slot}`;
		if (await desk.store.claim(scope.name, slotKey, scope.lifetimeMs)) return { scope, key: slotKey };
	}
	return undefined;
}

async function release(desk: PrivacyDesk, slots: Array<Slot | null>): Promise<void> {
	for (const slot of slots) if (slot) await desk.store.releaseClaim(slot.scope.name, slot.key);
}

/** The counters' key for a person: a keyed hash of their pseudonym, matching nothing else in the store. */
const numberKey = (desk: PrivacyDesk, subject: string) => desk.keys.pseudonymise(`privacy-limit:number:${subject}`);
const clientKeyOf = (desk: PrivacyDesk, client: string) => desk.keys.pseudonymise(`privacy-limit:client:${client}`);

/** Whether every slot is held, without keeping one. */
async function isFull(desk: PrivacyDesk, scope: StoreScope, key: string, max: number): Promise<boolean> {
	const slot = await take(desk, scope, key, max);
	if (slot === undefined) return true;
	await release(desk, [slot]);
	return false;
}

/**
 * Takes what sending one code to the person (`subject`, at the request of `client`) uses: a client slot, an
 * hourly and a daily number slot. All or nothing: when one limit is reached, the slots already taken are given
 * back and the answer is false. A number whose wrong codes for the day are used up gets no code either.
 */
export async function reserveCode(desk: PrivacyDesk, subject: string, client: string, limits: CodeLimits): Promise<boolean> {
	const person = numberKey(desk, subject);
	if (await isFull(desk, WRONG_DAY, person, limits.wrongCodesPerNumberPerDay)) return false;
	const taken: Array<Slot | null> = [];
	const steps: Array<[StoreScope, string, number]> = [
		...(client ? ([[CLIENT_HOUR, clientKeyOf(desk, client), limits.codesPerClientPerHour]] as Array<[StoreScope, string, number]>) : []),
		[NUMBER_HOUR, person, limits.codesPerNumberPerHour],
		[NUMBER_DAY, person, limits.codesPerNumberPerDay],
	];
	for (const [scope, key, max] of steps) {
		const slot = await take(desk, scope, key, max);
		if (slot === undefined) {
			await release(desk, taken);
			return false;
		}
		taken.push(slot);
	}
	return true;
}

/**
 * A guess at a code for the person: takes one of the day's wrong-code slots before the code is compared, so
 * concurrent guesses from several workers count together. `undefined` when the day's wrong codes are used up
 * (the code must then not be compared); otherwise `settle(right)` gives the slot back for a right code.
 */
export async function takeGuess(desk: PrivacyDesk, subject: string, limits: CodeLimits): Promise<{ settle: (right: boolean) => Promise<void> } | undefined> {
	const slot = await take(desk, WRONG_DAY, numberKey(desk, subject), limits.wrongCodesPerNumberPerDay);
	if (slot === undefined) return undefined;
	return {
		settle: async (right) => {
			if (right) await release(desk, [slot]);
		},
	};
}

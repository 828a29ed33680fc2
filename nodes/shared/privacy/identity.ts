import { randomInt } from 'node:crypto';

import { timingSafeEqualString } from '../crypto';
import { expiryOf, SCOPES } from '../store/scopes';
import type { PrivacyDesk } from './desk';

const { privacyVerification: CODES, privacyVerificationAttempt: ATTEMPTS } = SCOPES;

/** How long a verification code is valid. */
export const CODE_TTL_MS = CODES.lifetimeMs;
export const MAX_ATTEMPTS = 3;

interface PendingCode {
	codeHash: string;
	expiresAt: string;
}

const attemptKey = (requestId: string, attempt: number) => `${requestId}:${attempt}`;

export type CodeCheck =
	| { ok: true }
	| { ok: false; reason: 'expired' | 'wrong_code' | 'too_many_attempts' | 'rate_limited'; attemptsLeft: number };

/** A guess counted against a wider limit (limits.ts takeGuess): undefined when none is left; settled once compared. */
export type GuessCounter = () => Promise<{ settle: (right: boolean) => Promise<void> } | undefined>;

const UNCOUNTED: GuessCounter = async () => ({ settle: async () => undefined });

const hashOf = (desk: PrivacyDesk, requestId: string, code: string) => desk.keys.pseudonymise(`verification:${requestId}:${code}`);

/**
 * A fresh 6-digit code for a request made outside WhatsApp (web form, e-mail), valid 10 minutes and 3
 * attempts. Only its keyed hash is stored. Issuing again replaces any earlier code.
 */
export async function issueCode(desk: PrivacyDesk, requestId: string): Promise<string> {
	const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
	const expiresAt = expiryOf(CODES, desk.now().getTime());
	for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) await desk.store.releaseClaim(ATTEMPTS.name, attemptKey(requestId, attempt));
	await desk.store.putRecord({
		scope: CODES.name,
		key: requestId,
		value: { codeHash: hashOf(desk, requestId, code), expiresAt: expiresAt.toISOString() } satisfies PendingCode,
		expiresAt,
	});
	return code;
}

/**
 * Compares in constant time. Each attempt first claims one of three attempt slots in the store, so even
 * concurrent guesses from several workers get three tries in all; the third wrong code, like expiry, ends
 * the verification for good. `countGuess` counts the guess against a wider limit first (wrong codes per
 * number per day): when that is used up the code is not compared at all and the verification ends
 * (`rate_limited`).
 */
export async function checkCode(desk: PrivacyDesk, requestId: string, code: string, countGuess: GuessCounter = UNCOUNTED): Promise<CodeCheck> {
	const pending = (await desk.store.getRecord<PendingCode>(CODES.name, requestId))?.value;
	// The desk's clock decides, as it did when the code was issued: the store's own expiry uses another clock.
	if (!pending || !(Date.parse(pending.expiresAt) > desk.now().getTime())) return { ok: false, reason: 'expired', attemptsLeft: 0 };
	const guess = await countGuess();
	if (!guess) {
		await discardCode(desk, requestId);
		return { ok: false, reason: 'rate_limited', attemptsLeft: 0 };
	}
	let attempt = 0;
	for (let slot = 1; slot <= MAX_ATTEMPTS && attempt === 0; slot++) {
		if (await desk.store.claim(ATTEMPTS.name, attemptKey(requestId, slot), ATTEMPTS.lifetimeMs)) attempt = slot;
	}
	if (attempt === 0) {
		await guess.settle(true); // no comparison: not a guess
		return { ok: false, reason: 'too_many_attempts', attemptsLeft: 0 };
	}
	const given = String(code ?? '').replace(/\s/g, '');
	const right = timingSafeEqualString(hashOf(desk, requestId, given), pending.codeHash);
	await guess.settle(right);
	if (right) {
		await desk.store.deleteRecord(CODES.name, requestId);
		return { ok: true };
	}
	if (attempt >= MAX_ATTEMPTS) {
		await desk.store.deleteRecord(CODES.name, requestId);
		return { ok: false, reason: 'too_many_attempts', attemptsLeft: 0 };
	}
	return { ok: false, reason: 'wrong_code', attemptsLeft: MAX_ATTEMPTS - attempt };
}

/** Ends a verification without a check (no code given, request closed): the pending code goes. */
export async function discardCode(desk: PrivacyDesk, requestId: string): Promise<void> {
	await desk.store.deleteRecord(CODES.name, requestId);
}

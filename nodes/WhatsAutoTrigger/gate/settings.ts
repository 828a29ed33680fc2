import type { IDataObject } from 'n8n-workflow';

import { numberOr } from '../../shared/coerce';
import { MINUTE_MS } from '../../shared/store/scopes';

/** The conversation gate's defaults, as the editor shows them. */
export const GATE_DEBOUNCE_SECONDS = 3;
export const GATE_CAP_SECONDS = 15;
export const GATE_MAX_AGE_MINUTES = 60;
/** A max age below this is raised to it: a restart must not expire what it could still answer. */
export const GATE_MIN_MAX_AGE_MINUTES = 15;
/** Over this many waiting messages (pending or leased), a delivery with new messages is answered 503; 0: no limit. */
export const GATE_INBOX_LIMIT = 10_000;
/** The Retry-After (seconds) of that 503. */
export const GATE_RETRY_AFTER_SECONDS = 30;
/** How long one process trusts the inbox count it read (per gate). */
export const GATE_COUNT_CACHE_MS = 1000;

/** How often the hand-off loop asks the store for ready turns. */
export const HANDOFF_POLL_MS = 250;
/** The most turns (items) one execution carries. */
export const TURNS_PER_EXECUTION = 20;
/** The most executions the hand-off loop has in flight; the excess waits in the store. */
export const MAX_EXECUTIONS_IN_FLIGHT = 4;
/** How many times a turn is handed on before it is marked failed. */
export const MAX_TURN_ATTEMPTS = 3;
/** How often the loop looks for messages past the max age. */
export const EXPIRY_CHECK_MS = 10_000;

export interface GateSettings {
	debounceMs: number;
	capMs: number;
	maxAgeMs: number;
	/** 0: no limit. */
	inboxLimit: number;
}

const num = (value: unknown, fallback: number): number => numberOr(value, fallback, (n) => n >= 0);

export function gateSettingsOf(options: IDataObject): GateSettings {
	const debounceMs = Math.round(num(options.gateDebounceSeconds, GATE_DEBOUNCE_SECONDS) * 1000);
	const capMs = Math.round(num(options.gateCapSeconds, GATE_CAP_SECONDS) * 1000);
	const maxAgeMinutes = Math.max(GATE_MIN_MAX_AGE_MINUTES, num(options.gateMaxAgeMinutes, GATE_MAX_AGE_MINUTES));
	const inboxLimit = Math.floor(num(options.gateInboxLimit, GATE_INBOX_LIMIT));
	return { debounceMs, capMs, maxAgeMs: maxAgeMinutes * MINUTE_MS, inboxLimit };
}

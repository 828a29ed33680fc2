/**
 * A privacy request as an explicit state machine:
 *
 *   received ──► awaiting_identity ─────► in_progress ──► completed | partially_completed | denied | failed
 *       ├──────► awaiting_confirmation ──┘                 (terminal states)
 *       └──────────────────────────────────┘
 *
 * `received → in_progress` only when the identity is already established (a WhatsApp sender is
 * authenticated by Meta and our signature check); every other channel passes through awaiting_identity.
 * An erasure asked for over WhatsApp waits in awaiting_confirmation until the person taps "Delete all my
 * data" (→ in_progress); Cancel or expiry deny it. awaiting_identity and awaiting_confirmation may also
 * end denied or failed.
 */
export type RequestType = 'access' | 'correct' | 'delete' | 'object' | 'resume';
export type Channel = 'whatsapp' | 'form' | 'email' | 'meta_preferences';
/** Who acted on a request, as the audit log records it: the channel it came through, WhatsAuto itself, or the operator. */
export type Actor = Channel | 'system' | 'operator';
export type RequestState =
	| 'received'
	| 'awaiting_identity'
	| 'awaiting_confirmation'
	| 'in_progress'
	| 'completed'
	| 'partially_completed'
	| 'denied'
	| 'failed';

export const TERMINAL_STATES: ReadonlySet<RequestState> = new Set(['completed', 'partially_completed', 'denied', 'failed']);

const ALLOWED: Record<RequestState, readonly RequestState[]> = {
	received: ['awaiting_identity', 'awaiting_confirmation', 'in_progress', 'denied', 'failed'],
	awaiting_identity: ['in_progress', 'denied', 'failed'],
	awaiting_confirmation: ['in_progress', 'denied', 'failed'],
	in_progress: ['completed', 'partially_completed', 'denied', 'failed'],
	completed: [],
	partially_completed: [],
	denied: [],
	failed: [],
};

/** Every state a request can still leave (the non-terminal ones): what List Open lists. */
export const OPEN_STATES: readonly RequestState[] = (Object.keys(ALLOWED) as RequestState[]).filter((state) => !TERMINAL_STATES.has(state));

/** What a part of a request touched: a part of the store, or the WhatsApp delivery of an access export. */
export type StoreName = 'content' | 'records' | 'content and records' | 'suppression list' | 'profile' | 'counters' | 'whatsapp delivery';

export interface StoreResult {
	/** Which store or table this part of the request touched. */
	store: StoreName;
	outcome: 'done' | 'kept' | 'none' | 'failed';
	count?: number;
	/** Why something was kept (legal reason) or failed; never personal data. */
	reason?: string;
}

export interface PrivacyRequest {
	id: string;
	type: RequestType;
	channel: Channel;
	state: RequestState;
	/** Keyed pseudonym of the person; '' once the request is unlinked after erasure. */
	subject: string;
	language?: string;
	receivedAt: string;
	dueAt: string;
	completedAt?: string;
	extension?: { dueAt: string; reason: string; at: string };
	/** Why the request was denied or failed, or what was kept. */
	reason?: string;
	results: StoreResult[];
	/** For correction requests: the fields asked to change (values are not kept here). */
	fields?: string[];
	/** Marketing-only objections (Meta's user_preferences) leave AI replies untouched. */
	scope?: 'all' | 'marketing';
}

export class InvalidTransitionError extends Error {
	constructor(from: RequestState, to: RequestState) {
		super(`A privacy request cannot go from ${from} to ${to}.`);
		this.name = 'InvalidTransitionError';
	}
}

export function canTransition(from: RequestState, to: RequestState): boolean {
	return ALLOWED[from].includes(to);
}

/** The request in its next state; throws on a transition the machine does not allow. */
export function transition(
	request: PrivacyRequest,
	to: RequestState,
	changes: Partial<Pick<PrivacyRequest, 'reason' | 'results' | 'subject'>> = {},
	now = new Date(),
): PrivacyRequest {
	if (!canTransition(request.state, to)) throw new InvalidTransitionError(request.state, to);
	return {
		...request,
		...changes,
		state: to,
		...(TERMINAL_STATES.has(to) ? { completedAt: now.toISOString() } : {}),
	};
}

/** Terminal state from per-store results: anything kept for a legal reason makes it partial, any failure failed. */
export function outcomeOf(results: StoreResult[]): 'completed' | 'partially_completed' | 'failed' {
	if (results.some((result) => result.outcome === 'failed')) return 'failed';
	if (results.some((result) => result.outcome === 'kept')) return 'partially_completed';
	return 'completed';
}

/** `months` calendar months later (UTC); the last day of the target month when it has no such day (Jan 31 → Feb 28). */
function addMonths(date: Date, months: number): Date {
	const due = new Date(date);
	const day = due.getUTCDate();
	due.setUTCMonth(due.getUTCMonth() + months);
	if (due.getUTCDate() < day) due.setUTCDate(0);
	return due;
}

/** GDPR Art. 12(3): one month by default; 45 days (CCPA) selectable. */
export function dueDate(received: Date, deadline: 'one_month' | '45_days'): Date {
	if (deadline === 'one_month') return addMonths(received, 1);
	const due = new Date(received);
	due.setUTCDate(due.getUTCDate() + 45);
	return due;
}

/** An extension (GDPR: up to two further months) must carry its reason. */
export function extend(request: PrivacyRequest, months: 1 | 2, reason: string, now = new Date()): PrivacyRequest {
	if (TERMINAL_STATES.has(request.state)) throw new Error('A finished request cannot be extended.');
	if (!reason.trim()) throw new Error('An extension needs a reason the person will be told.');
	if (request.extension) throw new Error('This request has already been extended.');
	const due = addMonths(new Date(request.dueAt), months);
	return { ...request, dueAt: due.toISOString(), extension: { dueAt: due.toISOString(), reason: reason.trim(), at: now.toISOString() } };
}

/** Request ids people can read out: PR-YYYYMMDD-XXXXXX (no 0/O/1/I). */
export function newRequestId(now = new Date(), random: (n: number) => number = (n) => Math.floor(Math.random() * n)): string {
	const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
	const suffix = Array.from({ length: 6 }, () => alphabet[random(alphabet.length)]).join('');
	return `PR-${now.toISOString().slice(0, 10).replaceAll('-', '')}-${suffix}`;
}

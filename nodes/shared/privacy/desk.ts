import { contactForm, parseContactInput } from '../contact';
import type { ContentKeys } from '../store/contentByReference';
import { DAY_MS, expiryOf, SCOPES } from '../store/scopes';
import type { AuditAction, AuditChainVerification, AuditEntryInput, RecordCursor, WhatsAutoStore } from '../store/types';
import { CONFIRMATION_TTL_MS, EXPIRED_REASON } from './confirmation';
import {
	dueDate,
	newRequestId,
	OPEN_STATES,
	TERMINAL_STATES,
	transition,
	type Actor,
	type Channel,
	type PrivacyRequest,
	type RequestState,
	type RequestType,
} from './lifecycle';

const {
	privacyRequest: REQUESTS,
	suppression: SUPPRESSIONS,
	profile: PROFILES,
	privacyVerification: CODES,
	privacyExpiry: EXPIRY,
	privacyErasureConfirmation: PENDING,
} = SCOPES;

/** How many request records List Open reads per page (it reads page after page until every open one is in). */
export const LIST_OPEN_PAGE_SIZE = 500;

/**
 * How long a request waiting for its code (awaiting_identity) stays open once the code itself expired (its
 * lifetime: SCOPES.privacyVerification, 10 minutes): a day, then it is denied as not verified.
 */
export const UNVERIFIED_GRACE_MS = DAY_MS;

/**
 * Why a request waiting for its code was denied because no code came: by Verify without a code (the form's code
 * page timed out) and by the expiry alike.
 */
export const UNVERIFIED_REASON = 'Identity could not be verified: No verification code was entered in time.';

/** The states {@link PrivacyDesk.expireUnverified} closes requests in once they waited too long. */
const WAITING_STATES: readonly RequestState[] = ['awaiting_identity', 'awaiting_confirmation'];

export interface Suppression {
	ai: boolean;
	marketing: boolean;
	since: string;
}

export interface Profile {
	name?: string;
	language?: string;
	updatedAt: string;
}

export interface OpenOptions {
	deadline?: 'one_month' | '45_days';
	language?: string;
	fields?: string[];
	scope?: 'all' | 'marketing';
	actor?: Actor;
}

/** A step within a state, recorded by {@link PrivacyDesk.note}; opening and transitions have their own methods. */
export type AuditNote = Exclude<AuditAction, 'received' | 'transition'>;

/**
 * Privacy requests over the shared store: every request is a record (indexed by its state and due date),
 * every change a transition appended to the tamper-evident audit log (who/what/when, pseudonyms only, never
 * content), chained with the audit key derived from the store secret.
 */
export class PrivacyDesk {
	constructor(
		readonly store: WhatsAutoStore,
		readonly keys: ContentKeys,
		private readonly clock: () => Date = () => new Date(),
	) {}

	/**
	 * The pseudonym of a number, user id or contact reference (`wa:…`) in its normal form (nodes/shared/contact.ts).
	 * A user id's own pseudonym: the person it is an alias of is found by `personOf` (store/people.ts).
	 */
	subjectOf(contact: string): string {
		const parsed = parseContactInput(contact);
		if (parsed?.kind === 'ref') return parsed.pseudonym;
		return this.keys.pseudonymise(parsed ? contactForm(parsed) : contact.replace(/^\+/, '').replace(/[\s()-]/g, ''));
	}

	async open(type: RequestType, channel: Channel, contact: string, options: OpenOptions = {}): Promise<PrivacyRequest> {
		const now = this.clock();
		const request: PrivacyRequest = {
			id: newRequestId(now),
			type,
			channel,
			state: 'received',
			subject: this.subjectOf(contact),
			language: options.language,
			receivedAt: now.toISOString(),
			dueAt: dueDate(now, options.deadline ?? 'one_month').toISOString(),
			results: [],
			...(options.fields?.length ? { fields: options.fields } : {}),
			...(options.scope ? { scope: options.scope } : {}),
		};
		await this.write(request);
		await this.audit({
			requestId: request.id,
			subject: request.subject,
			actor: options.actor ?? channel,
			action: 'received',
			toState: 'received',
			detail: { type, channel, dueAt: request.dueAt, ...(request.fields ? { fields: request.fields } : {}) },
		});
		return request;
	}

	async get(id: string): Promise<PrivacyRequest | undefined> {
		return (await this.store.getRecord<PrivacyRequest>(REQUESTS.name, id))?.value;
	}

	/** Moves the request to `to`, saves it and appends the transition to the audit log. */
	async advance(
		request: PrivacyRequest,
		to: RequestState,
		actor: Actor,
		changes: Partial<Pick<PrivacyRequest, 'reason' | 'results' | 'subject'>> = {},
	): Promise<PrivacyRequest> {
		const next = transition(request, to, changes, this.clock());
		await this.write(next);
		await this.audit({
			requestId: request.id,
			// The request's subject after the step: an erasure's last transition, written once the person is
			// erased, must not link them again.
			subject: next.subject,
			actor,
			action: 'transition',
			fromState: request.state,
			toState: to,
			detail: {
				...(next.reason ? { reason: next.reason } : {}),
				...(changes.results ? { results: changes.results.map(({ store, outcome, count }) => ({ store, outcome, count })) } : {}),
			},
		});
		return next;
	}

	async note(request: PrivacyRequest, actor: Actor, action: AuditNote, detail: Record<string, unknown> = {}): Promise<void> {
		await this.audit({ requestId: request.id, subject: request.subject, actor, action, detail });
	}

	/** Every entry the desk appends goes through here: only actions it knows compile. */
	private async audit(entry: AuditEntryInput<AuditAction>): Promise<void> {
		await this.store.appendAudit(entry, this.keys.auditKey);
	}

	/** Verifies the audit log's keyed hash chain with this store secret's audit key. */
	async verifyAuditLog(): Promise<AuditChainVerification> {
		return await this.store.verifyAuditChain(this.keys.auditKey);
	}

	async save(request: PrivacyRequest): Promise<void> {
		await this.write(request);
	}

	private async write(request: PrivacyRequest): Promise<void> {
		const due = new Date(request.dueAt);
		await this.store.putRecord({
			scope: REQUESTS.name,
			key: request.id,
			contactKey: request.subject,
			value: request,
			state: request.state,
			...(Number.isNaN(due.getTime()) ? {} : { dueAt: due }),
			expiresAt: expiryOf(REQUESTS, this.clock().getTime()),
		});
	}

	/** Requests in `states` (due by `dueBy`, when given), soonest due first, read from the store a page at a time. */
	private async *inStates(states: readonly RequestState[], dueBy?: Date): AsyncGenerator<PrivacyRequest> {
		let after: RecordCursor | undefined;
		do {
			const page = await this.store.listRecordsByState<PrivacyRequest>(REQUESTS.name, {
				states,
				limit: LIST_OPEN_PAGE_SIZE,
				...(dueBy ? { dueBy } : {}),
				...(after ? { after } : {}),
			});
			for (const record of page.records) yield record.value;
			after = page.next;
		} while (after);
	}

	/**
	 * Every open request, the ones due soonest first (ties by id); `withinDays` limits to those due by then
	 * (overdue ones included). Requests left waiting for their code past its lifetime and the grace, and erasure
	 * questions left unanswered past their time, are denied first ({@link expireUnverified}), so none is listed.
	 * Reads the store page by page (LIST_OPEN_PAGE_SIZE), through its index of
	 * states and due dates: however many closed requests the store keeps, none open is missed.
	 */
	async listOpen(withinDays?: number): Promise<PrivacyRequest[]> {
		await this.expireUnverified();
		const dueBy = withinDays === undefined ? undefined : new Date(this.clock().getTime() + withinDays * DAY_MS);
		const open: PrivacyRequest[] = [];
		for await (const request of this.inStates(OPEN_STATES, dueBy)) {
			// Another worker may be denying it at this moment: it is no longer open.
			if (!TERMINAL_STATES.has(request.state) && !this.waitedTooLong(request)) open.push(request);
		}
		return open;
	}

	/**
	 * Whether the request still waits for its code although the code expired (SCOPES.privacyVerification) and
	 * the grace (UNVERIFIED_GRACE_MS) passed, counted from when it was received (the code goes out at once).
	 */
	unverifiedTooLong(request: PrivacyRequest): boolean {
		const since = Date.parse(request.receivedAt);
		return request.state === 'awaiting_identity' && this.clock().getTime() >= since + CODES.lifetimeMs + UNVERIFIED_GRACE_MS;
	}

	/**
	 * Whether the erasure question (awaiting_confirmation) is still unanswered once its time is up
	 * (CONFIRMATION_TTL_MS, 10 minutes, counted from when the request was received: the question goes out at once).
	 */
	unconfirmedTooLong(request: PrivacyRequest): boolean {
		const since = Date.parse(request.receivedAt);
		return request.state === 'awaiting_confirmation' && this.clock().getTime() >= since + CONFIRMATION_TTL_MS;
	}

	/** {@link unverifiedTooLong} or {@link unconfirmedTooLong}: the request is to be denied. */
	private waitedTooLong(request: PrivacyRequest): boolean {
		return this.unverifiedTooLong(request) || this.unconfirmedTooLong(request);
	}

	/**
	 * Denies every request left waiting too long: as not verified (UNVERIFIED_REASON) one still waiting for its code
	 * (see {@link unverifiedTooLong}), as not confirmed (EXPIRED_REASON) an erasure question nobody answered (see
	 * {@link unconfirmedTooLong}). A transition by 'system' in the audit log, once, whichever worker gets there
	 * first. Run by List Open, Get Status (for its request) and the store's background purge. Resolves to how many
	 * it denied.
	 */
	async expireUnverified(): Promise<number> {
		const stale: PrivacyRequest[] = [];
		for await (const request of this.inStates(WAITING_STATES)) if (this.waitedTooLong(request)) stale.push(request);
		let denied = 0;
		for (const request of stale) if (await this.expire(request)) denied++;
		return denied;
	}

	/** The request as it stands now: one left waiting (for its code, or for the erasure tap) too long is denied first. */
	async current(id: string): Promise<PrivacyRequest | undefined> {
		const request = await this.get(id);
		if (!request || !this.waitedTooLong(request)) return request;
		return (await this.expire(request)) ?? (await this.get(id)) ?? request;
	}

	/**
	 * Denies one request left waiting too long; the denied request, or undefined when someone else did or it moved
	 * on. Whoever denies a request for waiting holds its `privacy-expiry` claim: this worker's expiry, another's, or
	 * a late tap on the erasure question (answerErasure) — so it is denied once.
	 */
	private async expire(request: PrivacyRequest): Promise<PrivacyRequest | undefined> {
		// A code still pending (one sent again since) keeps the request open until it expires in its turn; an
		// erasure question is open as long as its pending confirmation says (by this desk's clock).
		if (request.state === 'awaiting_identity' && (await this.store.getRecord(CODES.name, request.id))) return undefined;
		if (request.state === 'awaiting_confirmation') {
			const pending = (await this.store.getRecord<{ expiresAt?: string }>(PENDING.name, request.id))?.value;
			if (pending && Date.parse(String(pending.expiresAt)) > this.clock().getTime()) return undefined;
		}
		if (!(await this.store.claim(EXPIRY.name, request.id, EXPIRY.lifetimeMs))) return undefined;
		const now = await this.get(request.id);
		if (!now || !this.waitedTooLong(now)) return undefined;
		if (now.state === 'awaiting_identity') return await this.advance(now, 'denied', 'system', { reason: UNVERIFIED_REASON });
		// A tap from now on finds no question to take.
		await this.store.deleteRecord(PENDING.name, now.id);
		return await this.advance(now, 'denied', 'system', { reason: EXPIRED_REASON });
	}

	async history(subject: string): Promise<PrivacyRequest[]> {
		return (await this.store.listRecords<PrivacyRequest>(REQUESTS.name, { contactKey: subject, limit: 1000 })).map((r) => r.value);
	}

	async suppression(subject: string): Promise<Suppression | undefined> {
		return (await this.store.getRecord<Suppression>(SUPPRESSIONS.name, subject))?.value;
	}

	/** Suppressions are keyed by the pseudonym but carry no contact key, so erasure leaves them in place. */
	async setSuppression(subject: string, suppression: Suppression | undefined): Promise<void> {
		if (!suppression || (!suppression.ai && !suppression.marketing)) {
			await this.store.deleteRecord(SUPPRESSIONS.name, subject);
			return;
		}
		await this.store.putRecord({
			scope: SUPPRESSIONS.name,
			key: subject,
			value: suppression,
			expiresAt: expiryOf(SUPPRESSIONS, this.clock().getTime()),
		});
	}

	async profile(subject: string): Promise<Profile | undefined> {
		return (await this.store.getRecord<Profile>(PROFILES.name, subject))?.value;
	}

	async setProfile(subject: string, profile: Profile): Promise<void> {
		await this.store.putRecord({
			scope: PROFILES.name,
			key: subject,
			contactKey: subject,
			value: profile,
			expiresAt: expiryOf(PROFILES, this.clock().getTime()),
		});
	}

	now(): Date {
		return this.clock();
	}
}

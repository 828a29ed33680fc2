import type { ContentKeys } from '../store/contentByReference';
import { DAY_MS, expiryOf, SCOPES } from '../store/scopes';
import type { AuditAction, AuditEntryInput, StoredRecord, WhatsAutoStore } from '../store/types';
import {
	dueDate,
	newRequestId,
	TERMINAL_STATES,
	transition,
	type Actor,
	type Channel,
	type PrivacyRequest,
	type RequestState,
	type RequestType,
} from './lifecycle';

const { privacyRequest: REQUESTS, suppression: SUPPRESSIONS, profile: PROFILES } = SCOPES;

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
 * Privacy requests over the shared store: every request is a record, every change a transition appended
 * to the tamper-evident audit log (who/what/when, pseudonyms only, never content).
 */
export class PrivacyDesk {
	constructor(
		readonly store: WhatsAutoStore,
		readonly keys: ContentKeys,
		private readonly clock: () => Date = () => new Date(),
	) {}

	subjectOf(contact: string): string {
		return this.keys.pseudonymise(contact.replace(/^\+/, '').replace(/[\s()-]/g, ''));
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
			subject: request.subject,
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
		await this.store.appendAudit(entry);
	}

	async save(request: PrivacyRequest): Promise<void> {
		await this.write(request);
	}

	private async write(request: PrivacyRequest): Promise<void> {
		await this.store.putRecord({
			scope: REQUESTS.name,
			key: request.id,
			contactKey: request.subject,
			value: request,
			expiresAt: expiryOf(REQUESTS, this.clock().getTime()),
		});
	}

	/** Open requests, the ones due soonest first; `withinDays` limits to those due by then. */
	async listOpen(withinDays?: number): Promise<PrivacyRequest[]> {
		const limit = this.clock().getTime() + (withinDays ?? Infinity) * DAY_MS;
		const records: StoredRecord<PrivacyRequest>[] = await this.store.listRecords<PrivacyRequest>(REQUESTS.name, { limit: 1000 });
		return records
			.map((record) => record.value)
			.filter((request) => !TERMINAL_STATES.has(request.state) && Date.parse(request.dueAt) <= limit)
			.sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
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

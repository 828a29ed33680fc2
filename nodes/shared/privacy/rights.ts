import { decrypt } from '../crypto';
import { aiSuppressed, contactOf, suppressionKeysOf, type Person } from '../store/people';
import { SCOPES } from '../store/scopes';
import { usageOf, type UsageRecords } from '../usage/ledger';
import type { PrivacyDesk, Profile, Suppression } from './desk';
import { TERMINAL_STATES, type PrivacyRequest, type StoreResult } from './lifecycle';

export interface AccessExport {
	format: 'whatsauto-access-export/v1';
	requestId: string;
	generatedAt: string;
	/** The number (`whatsappId`) and/or business-scoped user id the person is known by here, and their pseudonym. */
	subject: { whatsappId?: string; userId?: string; pseudonym: string };
	profile: Profile | null;
	processingState: { aiReplies: 'active' | 'objected'; marketing: 'active' | 'objected'; since?: string };
	conversationMemory: Array<{ expiresAt: string; content: unknown }>;
	replyHistory: Array<Record<string, unknown>>;
	/** The usage ledger's rows about the person (metadata only: outcomes, types, tokens, times; pricing of what they were sent). */
	usage: UsageRecords;
	/** What the Limits keep about the person: counts (replies, tokens) per period, the loop guard's count, activity, the waitlist. */
	limits: LimitsState;
	privacyRequests: Array<Pick<PrivacyRequest, 'id' | 'type' | 'channel' | 'state' | 'receivedAt' | 'dueAt' | 'completedAt'>>;
}

export interface LimitsState {
	counters: Array<{ counter: string; period: string; value: number; expiresAt: string }>;
	loopGuard: { botLikeTurnsInARow: number; recentMessages: number; recentReplies: number } | null;
	activeConversationSince: string | null;
	waitlist: { addedAt: string; lastMessageAt: string; language?: string } | null;
}

async function limitsOf(desk: PrivacyDesk, subject: string): Promise<LimitsState> {
	const counters = await desk.store.listCounters(subject);
	const loop = (await desk.store.getRecord<{ strikes?: number; inbound?: unknown[]; replies?: unknown[] }>(SCOPES.loopGuard.name, subject))?.value;
	const active = await desk.store.getRecord<{ at?: string }>(SCOPES.activeConversation.name, subject);
	const waiting = (await desk.store.getRecord<{ addedAt: string; lastMessageAt: string; language?: string }>(SCOPES.waitlist.name, subject))?.value;
	return {
		// counter keys are `<pseudonym>:<period>`
		counters: counters.map((c) => ({ counter: c.scope, period: c.key.startsWith(`${subject}:`) ? c.key.slice(subject.length + 1) : '', value: c.value, expiresAt: c.expiresAt.toISOString() })),
		loopGuard: loop ? { botLikeTurnsInARow: loop.strikes ?? 0, recentMessages: loop.inbound?.length ?? 0, recentReplies: loop.replies?.length ?? 0 } : null,
		activeConversationSince: active?.value.at ?? null,
		waitlist: waiting ? { addedAt: waiting.addedAt, lastMessageAt: waiting.lastMessageAt, ...(waiting.language ? { language: waiting.language } : {}) } : null,
	};
}

/** Everything the store holds about the person, readable (content decrypted), for an Art. 15 / CCPA export. */
export async function collectAccess(desk: PrivacyDesk, person: Person, requestId: string): Promise<{ data: AccessExport; results: StoreResult[] }> {
	const { subject } = person;
	const known = { ...(await contactOf(desk.store, desk.keys, subject)), ...person.recipient };
	const suppression = await desk.suppression(subject);
	const memory = await desk.store.listContent(subject);
	const conversationMemory = memory.map((entry) => {
		let content: unknown;
		try {
			content = JSON.parse(decrypt(desk.keys.contentKey, entry.data, entry.ref).toString('utf8'));
		} catch {
			content = { note: 'media file (binary), available on request' };
		}
		return { expiresAt: entry.expiresAt.toISOString(), content };
	});
	const replies = await desk.store.listRecords<Record<string, unknown>>(SCOPES.reply.name, { contactKey: subject, limit: 1000 });
	const requests = await desk.history(subject);
	const usage = await usageOf(desk.store, subject);
	const limits = await limitsOf(desk, subject);
	const data: AccessExport = {
		format: 'whatsauto-access-export/v1',
		requestId,
		generatedAt: desk.now().toISOString(),
		subject: { ...(known.waId ? { whatsappId: known.waId } : {}), ...(known.userId ? { userId: known.userId } : {}), pseudonym: subject },
		profile: (await desk.profile(subject)) ?? null,
		processingState: {
			aiReplies: suppression?.ai ? 'objected' : 'active',
			marketing: suppression?.marketing ? 'objected' : 'active',
			...(suppression ? { since: suppression.since } : {}),
		},
		conversationMemory,
		replyHistory: replies.map((record) => ({ ...record.value, recordedAt: record.createdAt.toISOString() })),
		usage,
		limits,
		privacyRequests: requests.map(({ id, type, channel, state, receivedAt, dueAt, completedAt }) => ({
			id,
			type,
			channel,
			state,
			receivedAt,
			dueAt,
			...(completedAt ? { completedAt } : {}),
		})),
	};
	return {
		data,
		results: [
			{ store: 'content', outcome: 'done', count: conversationMemory.length },
			{ store: 'records', outcome: 'done', count: replies.length + requests.length + usage.turns.length + usage.pricing.length },
			{ store: 'counters', outcome: 'done', count: limits.counters.length },
		],
	};
}

/**
 * Erasure everywhere in the store: content, reply records, profile and request links go; request records
 * are kept unlinked (no pseudonym) and the suppression entry stays if the person objected, so STOP keeps
 * holding — the one thing kept, and said so.
 */
export async function erase(desk: PrivacyDesk, person: Person, request: PrivacyRequest): Promise<StoreResult[]> {
	const { subject } = person;
	for (const earlier of await desk.history(subject)) {
		if (earlier.id === request.id) continue;
		if (TERMINAL_STATES.has(earlier.state)) await desk.save({ ...earlier, subject: '' });
		else await desk.advance(earlier, 'denied', 'system', { reason: `Superseded by erasure request ${request.id}.`, subject: '' });
	}
	// Everything under the canonical key: what any of the person's ids left joined it (aliases, identity changes).
	const removed = await desk.store.eraseContact(subject);
	const results: StoreResult[] = [{ store: 'content and records', outcome: 'done', count: removed }];
	const suppression = await desk.suppression(subject);
	if (suppression) {
		results.push({
			store: 'suppression list',
			outcome: 'kept',
			reason: 'Your objection (STOP) is kept as a keyed hash so we never process your messages again (GDPR Art. 21).',
		});
	}
	return results;
}

/**
 * The objection is kept under the person's canonical key and under every alias (their user id, when they are also
 * known by number): STOP holds whichever id their next message comes with, also once an erasure unlinked them.
 */
export async function object(desk: PrivacyDesk, person: Person, scope: 'all' | 'marketing'): Promise<StoreResult[]> {
	const current = await desk.suppression(person.subject);
	const next: Suppression = {
		ai: scope === 'all' ? true : (current?.ai ?? false),
		marketing: true,
		since: current?.since ?? desk.now().toISOString(),
	};
	for (const key of await suppressionKeysOf(desk.store, person.subject)) await desk.setSuppression(key, next);
	return [{ store: 'suppression list', outcome: 'done', count: 1 }];
}

export async function resume(desk: PrivacyDesk, person: Person, scope: 'all' | 'marketing'): Promise<StoreResult[]> {
	const current = await desk.suppression(person.subject);
	if (!current) return [{ store: 'suppression list', outcome: 'none', count: 0 }];
	for (const key of await suppressionKeysOf(desk.store, person.subject)) {
		await desk.setSuppression(key, scope === 'all' ? undefined : { ...current, marketing: false });
	}
	return [{ store: 'suppression list', outcome: 'done', count: 1 }];
}

/** The profile fields a correction request may change; fields left out stay as they are. */
export type Correction = Partial<Pick<Profile, 'name' | 'language'>>;

export async function correct(desk: PrivacyDesk, person: Person, changes: Correction): Promise<StoreResult[]> {
	const { subject } = person;
	const fields = Object.entries(changes).filter(([, value]) => typeof value === 'string' && value.trim() !== '');
	if (fields.length === 0) return [{ store: 'profile', outcome: 'none', count: 0 }];
	const current = await desk.profile(subject);
	await desk.setProfile(subject, { ...current, ...Object.fromEntries(fields.map(([k, v]) => [k, (v as string).trim()])), updatedAt: desk.now().toISOString() });
	return [{ store: 'profile', outcome: 'done', count: fields.length }];
}

/** Whether AI replies to this person are stopped (the Auto-Reply node stays silent for them). */
export async function isAiSuppressed(desk: PrivacyDesk, person: Person): Promise<boolean> {
	return await aiSuppressed(desk.store, await suppressionKeysOf(desk.store, person.subject));
}


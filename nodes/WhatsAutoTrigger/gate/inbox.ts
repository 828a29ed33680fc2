/**
 * The conversation gate's durable inbox, the webhook's side: each new message is claimed and written to the
 * store (encrypted) in one transaction before Meta is answered; the hand-off loop (handoff.ts) reads it back.
 */
import { createHmac } from 'node:crypto';

import { decrypt, encrypt, opaqueKey } from '../../shared/crypto';
import type { ContentKeys } from '../../shared/store/contentByReference';
import { canonicalOf } from '../../shared/store/people';
import { INBOX_LIFETIME_MS } from '../../shared/store/scopes';
import { GATE_COUNT_CACHE_MS } from './settings';
import type { InboxAdmission, WhatsAutoStore } from '../../shared/store/types';
import type { InboundMessage } from '../../shared/whatsapp';
import type { RoutedUpdate } from '../webhook/route';

/** Which trigger a message waits for: one inbox per workflow and node. */
export function gateIdOf(ctx: { getWorkflow(): { id?: string }; getNode(): { id: string } }): string {
	return `${ctx.getWorkflow().id ?? ''}:${ctx.getNode().id}`;
}

/**
 * The key the inbox is encrypted with: the store credential's content key, or without one a key derived from the
 * Meta app secret (changing the app secret then makes messages still waiting unreadable: they fail, reported).
 */
export function inboxKey(keys: ContentKeys | undefined, appSecret: string): Buffer {
	if (keys) return keys.contentKey;
	return createHmac('sha256', appSecret).update('whatsauto/inbox-key/v1').digest();
}

/** The sender as the inbox groups turns by: their canonical pseudonym, or (no store keys) an HMAC of their id. */
async function contactKeyOf(store: WhatsAutoStore, keys: ContentKeys | undefined, appSecret: string, message: InboundMessage): Promise<string> {
	const ids = { ...(message.from.waId ? { waId: message.from.waId } : {}), ...(message.from.userId ? { userId: message.from.userId } : {}) };
	const id = message.from.waId || message.from.userId || '';
	if (keys) return (await canonicalOf(store, keys, ids)) ?? keys.pseudonymise(id);
	return opaqueKey(appSecret, `contact:${id}`);
}

export interface PendingClaim {
	entry: RoutedUpdate;
	key: string;
}

/** The admissions for one delivery: messages with their inbox row, every other update a bare claim. */
export async function admissionsFor(
	store: WhatsAutoStore,
	keys: ContentKeys | undefined,
	appSecret: string,
	gate: string,
	claims: PendingClaim[],
	now = Date.now(),
): Promise<InboxAdmission[]> {
	const key = inboxKey(keys, appSecret);
	return await Promise.all(
		claims.map(async ({ entry, key: claimKey }): Promise<InboxAdmission> => {
			if (entry.update.kind !== 'message') return { claimKey };
			const message = entry.update;
			const sentAt = Number.isFinite(message.timestampUnix) ? message.timestampUnix * 1000 : now;
			return {
				claimKey,
				row: {
					id: claimKey,
					gate,
					contactKey: await contactKeyOf(store, keys, appSecret, message),
					sentAt,
					data: encrypt(key, Buffer.from(JSON.stringify(entry), 'utf8'), `inbox:${claimKey}`),
					expiresAt: new Date(now + INBOX_LIFETIME_MS),
				},
			};
		}),
	);
}

/** A message as the webhook wrote it. Throws (DecryptionError) when the key changed since. */
export function openInboxMessage(key: Buffer, id: string, data: Buffer): RoutedUpdate {
	return JSON.parse(decrypt(key, data, `inbox:${id}`).toString('utf8')) as RoutedUpdate;
}

const waitingCounts = new WeakMap<WhatsAutoStore, Map<string, { at: number; waiting: number }>>();

/**
 * Whether `gate`'s inbox already holds `limit` or more waiting messages (pending or leased); `limit` 0: never.
 * One indexed count per gate and process at most every GATE_COUNT_CACHE_MS: a stale count only decides whether a
 * delivery is taken now or Meta is asked to send it again later, so it loses nothing.
 */
export async function inboxFull(store: WhatsAutoStore, gate: string, limit: number, now = Date.now()): Promise<boolean> {
	if (limit <= 0) return false;
	let perGate = waitingCounts.get(store);
	if (!perGate) waitingCounts.set(store, (perGate = new Map()));
	let cached = perGate.get(gate);
	if (!cached || now - cached.at >= GATE_COUNT_CACHE_MS) {
		const counts = await store.inboxCounts(gate);
		cached = { at: now, waiting: (counts.pending ?? 0) + (counts.leased ?? 0) };
		if (perGate.size >= 256) perGate.clear();
		perGate.set(gate, cached);
	}
	return cached.waiting >= limit;
}

/** Counts this process's own admissions into the cached count, so a burst inside the cache window is bounded too. */
export function noteAdmitted(store: WhatsAutoStore, gate: string, count: number): void {
	const cached = waitingCounts.get(store)?.get(gate);
	if (cached) cached.waiting += count;
}

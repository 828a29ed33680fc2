import { expiryOf, SCOPES } from '../../../shared/store/scopes';
import type { WhatsAutoStore } from '../../../shared/store/types';

/** What happened to one inbound message; metadata only, never what anyone wrote. */
export interface ReplyOutcome {
	status: 'replied' | 'fallback' | 'template' | 'skipped' | 'output_only';
	graphMessageIds: string[];
	reason?: string;
	at: string;
}

const { reply: OUTCOMES, replyLease: LEASES, sent: SENT } = SCOPES;

export type Begin = { state: 'done'; outcome: ReplyOutcome } | { state: 'busy' } | { state: 'mine' };

/**
 * Exactly-once per inbound message across retries, duplicates and workers: a recorded outcome wins; else
 * a short lease decides who works on it; the lease is released if the work fails before anything was sent.
 */
export class ReplyLedger {
	/**
	 * `opaque` turns message ids into store keys: wamids encode the customer's number, so they are never
	 * stored readable.
	 */
	constructor(
		private readonly store: WhatsAutoStore,
		private readonly contactKey: string,
		private readonly opaque: (value: string) => string,
	) {}

	key(phoneNumberId: string, messageId: string): string {
		return this.opaque(`${phoneNumberId}:${messageId}`);
	}

	async begin(key: string): Promise<Begin> {
		const done = await this.store.getRecord<ReplyOutcome>(OUTCOMES.name, key);
		if (done) return { state: 'done', outcome: done.value };
		if (!(await this.store.claim(LEASES.name, key, LEASES.lifetimeMs))) return { state: 'busy' };
		const raced = await this.store.getRecord<ReplyOutcome>(OUTCOMES.name, key);
		return raced ? { state: 'done', outcome: raced.value } : { state: 'mine' };
	}

	/** Records the outcome, and for each message sent which inbound message (by its key) it answered. */
	async finish(key: string, outcome: ReplyOutcome): Promise<void> {
		await this.store.putRecord({ scope: OUTCOMES.name, key, contactKey: this.contactKey, value: outcome, expiresAt: expiryOf(OUTCOMES) });
		for (const wamid of outcome.graphMessageIds) {
			await this.store.putRecord({
				scope: SENT.name,
				key: this.opaque(wamid),
				contactKey: this.contactKey,
				value: { inReplyTo: key, status: outcome.status },
				expiresAt: expiryOf(SENT),
			});
		}
	}

	async abandon(key: string): Promise<void> {
		await this.store.releaseClaim(LEASES.name, key);
	}

	/** The inbound message one of our sent messages answered, if we sent it. */
	async sentBy(wamid: string): Promise<{ inReplyTo: string; status: string } | undefined> {
		return (await this.store.getRecord<{ inReplyTo: string; status: string }>(SENT.name, this.opaque(wamid)))?.value;
	}
}

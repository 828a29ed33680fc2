import { isMessageRef, messageRef } from './contact';
import { expiryOf, SCOPES } from './store/scopes';
import type { WhatsAutoStore } from './store/types';

/** What happened to one inbound message; metadata only, never what anyone wrote (stored: message ids as references). */
export interface ReplyOutcome {
	status: 'replied' | 'fallback' | 'template' | 'skipped' | 'output_only' | 'handoff' | 'away' | 'waitlisted';
	graphMessageIds: string[];
	reason?: string;
	at: string;
}

/** A message the Auto-Reply sent: which inbound message (by its key) it answered, how, and to whom. */
export interface SentMessage {
	inReplyTo: string;
	status: string;
	contactKey: string;
}

const { reply: OUTCOMES, replyLease: LEASES, sent: SENT } = SCOPES;

const leaseKey = (key: string, handOn: string): string => (handOn ? `${key}:${handOn}` : key);

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

	/**
	 * `handOn` names who handed the message on (the conversation gate's lease of its turn): a later hand-off of the
	 * same message (its earlier execution died with the process) takes its own lease instead of waiting for the old one.
	 */
	async begin(key: string, handOn = ''): Promise<Begin> {
		const done = await this.store.getRecord<ReplyOutcome>(OUTCOMES.name, key);
		if (done) return { state: 'done', outcome: done.value };
		if (!(await this.store.claim(LEASES.name, leaseKey(key, handOn), LEASES.lifetimeMs))) return { state: 'busy' };
		const raced = await this.store.getRecord<ReplyOutcome>(OUTCOMES.name, key);
		return raced ? { state: 'done', outcome: raced.value } : { state: 'mine' };
	}

	/** What an outcome record keeps of a Meta message id: its keyed reference (contact.ts messageRef), never the id. */
	ref(messageId: string): string {
		return messageRef(this.opaque, messageId);
	}

	/**
	 * Records the outcome, and for each message sent which inbound message (by its key) it answered. Message ids are
	 * kept as keyed references only: a wamid is the recipient's number in base64.
	 */
	async finish(key: string, outcome: ReplyOutcome): Promise<void> {
		const graphMessageIds = outcome.graphMessageIds.map((id) => this.ref(id));
		await this.store.putRecord({ scope: OUTCOMES.name, key, contactKey: this.contactKey, value: { ...outcome, graphMessageIds }, expiresAt: expiryOf(OUTCOMES) });
		for (const ref of graphMessageIds) {
			await this.store.putRecord({
				scope: SENT.name,
				key: this.opaque(ref),
				contactKey: this.contactKey,
				value: { inReplyTo: key, status: outcome.status },
				expiresAt: expiryOf(SENT),
			});
		}
	}

	/** Records `outcome` for `key` only (no sent-message links): a turn's other messages, answered by the same reply. */
	async record(key: string, outcome: ReplyOutcome): Promise<void> {
		const graphMessageIds = outcome.graphMessageIds.map((id) => this.ref(id));
		await this.store.putRecord({ scope: OUTCOMES.name, key, contactKey: this.contactKey, value: { ...outcome, graphMessageIds }, expiresAt: expiryOf(OUTCOMES) });
	}

	async abandon(key: string, handOn = ''): Promise<void> {
		await this.store.releaseClaim(LEASES.name, leaseKey(key, handOn));
	}

	/**
	 * The inbound message one of our sent messages answered, if we sent it: by its wamid or its reference (a status
	 * item with pseudonymous ids). Records written before references (keyed by the wamid's hash) are found too.
	 * `contactKey` is the person the message went to (the record's contact key; '' when the store knew none).
	 */
	async sentBy(messageId: string): Promise<SentMessage | undefined> {
		const read = async (key: string): Promise<SentMessage | undefined> => {
			const record = await this.store.getRecord<{ inReplyTo: string; status: string }>(SENT.name, key);
			return record && { ...record.value, contactKey: record.contactKey };
		};
		return (await read(this.opaque(this.ref(messageId)))) ?? (isMessageRef(messageId) ? undefined : await read(this.opaque(messageId)));
	}
}

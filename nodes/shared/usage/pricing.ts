/**
 * Meta's pricing of a message the Auto-Reply sent, from a status webhook, into the usage ledger: used by the
 * Auto-Reply (a status item on its input) and by the trigger (Record Meta Pricing, without an execution). One
 * derivation of the keys for both: the `sent` record ReplyLedger.finish wrote (ReplyLedger.sentBy), and the pricing
 * row keyed by a keyed hash of the message's reference (never the wamid).
 */
import { ReplyLedger } from '../replyLedger';
import type { WhatsAutoStore } from '../store/types';
import { recordPricing } from './ledger';

/** What a status says about one of our messages: its id (wamid or reference), time and Meta's pricing block. */
export interface PricedStatus {
	messageId?: unknown;
	timestampUnix?: unknown;
	pricing?: unknown;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * Records the pricing a status carries for a message we sent, once, filed under the person it went to. Resolves
 * whether this call recorded it: false without a pricing block, for a message the Auto-Reply did not send, or when
 * the message's pricing is already recorded. `opaque` is the store keys' pseudonymise.
 */
export async function recordSentPricing(
	store: WhatsAutoStore,
	opaque: (value: string) => string,
	status: PricedStatus,
	retentionMs: number,
): Promise<boolean> {
	const pricing = status.pricing;
	if (!pricing || typeof pricing !== 'object' || typeof status.messageId !== 'string' || !status.messageId) return false;
	const ledger = new ReplyLedger(store, '', opaque);
	const sent = await ledger.sentBy(status.messageId);
	if (!sent) return false;
	const seconds = status.timestampUnix;
	const at = typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : new Date();
	const block = pricing as { category?: unknown; billable?: unknown; pricingModel?: unknown };
	return await recordPricing(
		store,
		opaque(`usage-pricing:${ledger.ref(status.messageId)}`),
		{
			at: at.toISOString(),
			contactKey: sent.contactKey,
			category: text(block.category),
			billable: block.billable === true,
			pricingModel: text(block.pricingModel),
		},
		retentionMs,
	);
}

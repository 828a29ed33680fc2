/**
 * Everything the nodes keep in the store's `claims` and `records` tables, in one table: each scope's name,
 * what it holds, how long, and whether its entries carry the contact's key (so that an access export and
 * an erasure reach them). Content kept by reference lives in the `content` table, without a scope; its
 * default lifetime is here too.
 *
 * The names are stored data: never change one, only add.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * Meta retries a webhook delivery for up to 7 days: whatever must recognise a redelivery (of a message,
 * or of a status such as an asynchronous 131047 failure) lives a day longer.
 */
const BEYOND_META_RETRIES_MS = 8 * DAY_MS;

/** A verification code and its attempts: the code is valid this long. */
const VERIFICATION_MS = 10 * MINUTE_MS;

/** An erasure asked for over WhatsApp waits this long for the person's "Delete all my data" tap. */
const ERASURE_CONFIRMATION_MS = 10 * MINUTE_MS;

export const HOUR_MS = 60 * MINUTE_MS;

/** Meta's customer-service window: a free-form reply is possible this long after the person's last message. */
const CUSTOMER_SERVICE_WINDOW_MS = 24 * HOUR_MS;

/** The longest a pause of the AI may last without a word from the people answering (the node's silence setting's maximum). */
export const MAX_PAUSE_MS = 7 * DAY_MS;

/**
 * The usage ledger (nodes/shared/usage/ledger.ts) counts months as 31 days, so a retention of N months always
 * covers N whole calendar months. By default 13: a full year compared with the month before it.
 */
export const USAGE_MONTH_MS = 31 * DAY_MS;
export const DEFAULT_USAGE_RETENTION_MONTHS = 13;
export const MAX_USAGE_RETENTION_MONTHS = 120;
export const DEFAULT_USAGE_RETENTION_MS = DEFAULT_USAGE_RETENTION_MONTHS * USAGE_MONTH_MS;

/** Kept until erased or withdrawn: a far expiry keeps `purgeExpired` away. */
const LASTING_MS = 100 * 365 * DAY_MS;

export interface StoreScope {
	/** The scope as stored. */
	name: string;
	/**
	 * Claims are atomic "first one wins" markers; records hold a small JSON value (metadata, never content);
	 * counters a number added to atomically (budgets, caps).
	 */
	table: 'claims' | 'records' | 'counters';
	holds: string;
	/** How long an entry lives from when it is written. */
	lifetimeMs: number;
	/** Whether entries carry the contact's key (claims never do; counters of one person do). */
	contactKeyed: boolean;
	/**
	 * Whether the record's key is the person's pseudonym itself: when the person moves to a new id
	 * (`rekeyContact`), the key moves too, not only the contact key.
	 */
	keyedByPerson?: true;
}

export const SCOPES = {
	inbound: {
		name: 'inbound',
		table: 'claims',
		holds: 'One claim per webhook update (keyed by an HMAC of its id), so a redelivery starts no second execution.',
		lifetimeMs: BEYOND_META_RETRIES_MS,
		contactKeyed: false,
	},
	reply: {
		name: 'reply',
		table: 'records',
		holds: 'The Auto-Reply outcome for one inbound message: status, ids of the messages sent, reason.',
		lifetimeMs: BEYOND_META_RETRIES_MS,
		contactKeyed: true,
	},
	replyLease: {
		name: 'reply-lease',
		table: 'claims',
		holds: 'The execution working on one inbound message; another may try once it lapses (a crashed worker).',
		lifetimeMs: 5 * MINUTE_MS,
		contactKeyed: false,
	},
	sent: {
		name: 'sent',
		table: 'records',
		holds: 'Which inbound message one message we sent answered, for a late 131047 failure of it.',
		lifetimeMs: BEYOND_META_RETRIES_MS,
		contactKeyed: true,
	},
	templateFallback: {
		name: 'template-fallback',
		table: 'claims',
		holds: 'One template fallback per inbound message, whichever part of a split reply fails.',
		lifetimeMs: BEYOND_META_RETRIES_MS,
		contactKeyed: false,
	},
	privacyRequest: {
		name: 'privacy-request',
		table: 'records',
		holds: 'A privacy request and its state (the audit log holds its history).',
		// CCPA asks for request records to be kept 24 months; a month more covers the last deadline.
		lifetimeMs: 25 * 31 * DAY_MS,
		contactKeyed: true,
	},
	suppression: {
		name: 'suppression',
		table: 'records',
		holds: 'An objection (STOP) to AI replies and/or marketing.',
		lifetimeMs: LASTING_MS,
		// Keyed by the pseudonym but without a contact key: erasure leaves it, so STOP keeps holding. A person known
		// by a number and a user id has one entry under each (people.ts), so STOP holds whichever id they write with.
		contactKeyed: false,
		keyedByPerson: true,
	},
	profile: {
		name: 'profile',
		table: 'records',
		holds: "The person's name and language as corrected by a privacy request.",
		lifetimeMs: LASTING_MS,
		contactKeyed: true,
		keyedByPerson: true,
	},
	privacyVerification: {
		name: 'privacy-verification',
		table: 'records',
		holds: 'The keyed hash of the code sent to verify a request made outside WhatsApp.',
		lifetimeMs: VERIFICATION_MS,
		contactKeyed: false,
	},
	privacyVerificationAttempt: {
		name: 'privacy-verification-attempt',
		table: 'claims',
		holds: 'One of the three attempts at a verification code.',
		lifetimeMs: VERIFICATION_MS,
		contactKeyed: false,
	},
	privacyExpiry: {
		name: 'privacy-expiry',
		table: 'claims',
		holds: 'The worker denying one request left unverified past its code and grace, so it is denied (and audited) once.',
		lifetimeMs: 5 * MINUTE_MS,
		contactKeyed: false,
	},
	/*
	 * The web form's limits (nodes/shared/privacy/limits.ts): one claim per code sent or wrong code given, in one of
	 * N slots, each living as long as its window, so every worker counts the same. Keyed by a keyed hash of the
	 * person's pseudonym (or of the client key) that matches nothing else in the store; kept through an erasure
	 * for at most a day, so that erasing cannot reset them.
	 */
	privacyLimitCodeNumberHour: {
		name: 'privacy-limit-code-number-hour',
		table: 'claims',
		holds: 'One verification code sent to a number in the last hour (Codes per Number per Hour).',
		lifetimeMs: HOUR_MS,
		contactKeyed: false,
	},
	privacyLimitCodeNumberDay: {
		name: 'privacy-limit-code-number-day',
		table: 'claims',
		holds: 'One verification code sent to a number in the last 24 hours (Codes per Number per Day).',
		lifetimeMs: DAY_MS,
		contactKeyed: false,
	},
	privacyLimitWrongCodeNumberDay: {
		name: 'privacy-limit-wrong-code-number-day',
		table: 'claims',
		holds: 'One wrong verification code given for a number in the last 24 hours (Wrong Codes per Number per Day).',
		lifetimeMs: DAY_MS,
		contactKeyed: false,
	},
	privacyLimitCodeClientHour: {
		name: 'privacy-limit-code-client-hour',
		table: 'claims',
		holds: "One verification code sent at a client's request (the form's Client Key) in the last hour (Codes per Client per Hour).",
		lifetimeMs: HOUR_MS,
		contactKeyed: false,
	},
	privacyErasureConfirmation: {
		name: 'privacy-erasure-confirmation',
		table: 'records',
		holds: 'An erasure asked for over WhatsApp, waiting for the person to tap "Delete all my data" (taken once, atomically).',
		lifetimeMs: ERASURE_CONFIRMATION_MS,
		contactKeyed: false,
	},
	contactAlias: {
		name: 'contact-alias',
		table: 'records',
		holds:
			'A business-scoped user id (its pseudonym is the key) of a person also known by a phone number: the contact key is the canonical pseudonym (the number\'s) everything else is kept under.',
		lifetimeMs: LASTING_MS,
		contactKeyed: true,
		keyedByPerson: true,
	},
	contact: {
		name: 'contact',
		table: 'records',
		holds:
			'The number and/or user id of a person, encrypted, so that WhatsAuto nodes can answer items that carry only the pseudonymous contact key (Content by Reference).',
		// As long as the person may be answered without a template: the customer-service window of their last message.
		lifetimeMs: CUSTOMER_SERVICE_WINDOW_MS,
		contactKeyed: true,
	},
	conversationPause: {
		name: 'conversation-pause',
		table: 'records',
		holds:
			'That the AI stays quiet for a person, why (handoff, a person answering, an operator) and since when; ends after the Auto-Reply node\'s silence setting or on resume.',
		lifetimeMs: MAX_PAUSE_MS,
		contactKeyed: true,
		keyedByPerson: true,
	},
	aiDisclosure: {
		name: 'ai-disclosure',
		table: 'records',
		holds: 'That the person was told once that an AI assistant answers, and when.',
		lifetimeMs: 400 * DAY_MS,
		contactKeyed: true,
		keyedByPerson: true,
	},
	awayMessage: {
		name: 'away-message',
		table: 'claims',
		holds: 'That the away message went to a person in one closed period (keyed by an HMAC of the person and the period).',
		lifetimeMs: 15 * DAY_MS,
		contactKeyed: false,
	},
	usage: {
		name: 'usage',
		table: 'records',
		holds:
			'One row per message or turn the Auto-Reply processed (Usage Ledger option): when, outcome and reason, message types and count, model, tokens, stage latencies, how many messages were sent. Metadata only, never text; dated (state "turn", due at its time) so a period can be read in order. Lives as long as the node\'s Usage Retention (13 months by default).',
		lifetimeMs: DEFAULT_USAGE_RETENTION_MS,
		contactKeyed: true,
	},
	usagePricing: {
		name: 'usage-pricing',
		table: 'records',
		holds:
			'The pricing Meta reported (category, billable, pricing model) for one message the Auto-Reply sent, from its first status webhook that carried pricing; keyed by a keyed hash of the message id. Same retention as `usage`.',
		lifetimeMs: DEFAULT_USAGE_RETENTION_MS,
		contactKeyed: true,
	},
	repliesContactHour: {
		name: 'replies-contact-hour',
		table: 'counters',
		holds: 'How many messages the Auto-Reply sent a person in one clock hour (key: pseudonym and hour): the Replies per Hour cap.',
		lifetimeMs: 2 * HOUR_MS,
		contactKeyed: true,
	},
	repliesContactDay: {
		name: 'replies-contact-day',
		table: 'counters',
		holds: 'How many messages the Auto-Reply sent a person in one day of the workflow\'s time zone (key: pseudonym and date): the Replies per Day cap.',
		lifetimeMs: 2 * DAY_MS,
		contactKeyed: true,
	},
	tokensContactDay: {
		name: 'tokens-contact-day',
		table: 'counters',
		holds: 'Model tokens spent on a person\'s turns in one day (key: pseudonym and date), reserved before each call and corrected to what OpenAI reported.',
		lifetimeMs: 2 * DAY_MS,
		contactKeyed: true,
	},
	tokensAccountDay: {
		name: 'tokens-account-day',
		table: 'counters',
		holds: 'Model tokens spent on everyone\'s turns in one day (key: date), for every Auto-Reply using this store.',
		lifetimeMs: 2 * DAY_MS,
		contactKeyed: false,
	},
	spendMonth: {
		name: 'spend-month',
		table: 'counters',
		holds: 'Model spend in millionths of a US dollar in one calendar month (key: year-month), priced by the node\'s Budget Price Table.',
		lifetimeMs: 32 * DAY_MS,
		contactKeyed: false,
	},
	guardNotice: {
		name: 'guard-notice',
		table: 'claims',
		holds: 'That a person was told once (or an item flagged once) that a cap or budget stopped the bot, per period (keyed by an HMAC of person, guard and period); lives as long as the period at most (the longest: a month).',
		lifetimeMs: 32 * DAY_MS,
		contactKeyed: false,
	},
	loopGuard: {
		name: 'loop-guard',
		table: 'records',
		holds: 'A person\'s last few messages and our last replies as keyed fingerprints (HMACs of the normalised text, never the text) with their times, and how many turns in a row looked like another bot.',
		lifetimeMs: HOUR_MS,
		contactKeyed: true,
		keyedByPerson: true,
	},
	waitlistNotice: {
		name: 'waitlist-notice',
		table: 'claims',
		holds: 'Notify Waitlist telling one person (keyed by an HMAC of the person): runs that overlap never message them twice.',
		lifetimeMs: 5 * MINUTE_MS,
		contactKeyed: false,
	},
	activeConversation: {
		name: 'active-conversation',
		table: 'records',
		holds: 'That a person\'s conversation is active (answered within the Capacity\'s active window): counted for load shedding.',
		lifetimeMs: DAY_MS,
		contactKeyed: true,
		keyedByPerson: true,
	},
	waitlist: {
		name: 'waitlist',
		table: 'records',
		holds: 'A person turned away at capacity, waiting to be told the bot is back: when they were added and last wrote (for the 24-hour window), their language, the WhatsApp number id to write from, and their number encrypted (the contact record lives only 24 h). Lives as long as the Waitlist TTL.',
		lifetimeMs: 7 * DAY_MS,
		contactKeyed: true,
		keyedByPerson: true,
	},
} as const satisfies Record<string, StoreScope>;

/** The scopes whose records are keyed by the person's pseudonym itself: `rekeyContact` moves their keys. */
export const PERSON_KEYED_SCOPES: readonly string[] = Object.values(SCOPES as Record<string, StoreScope>)
	.filter((scope) => scope.keyedByPerson)
	.map((scope) => scope.name);

/** When an entry of `scope` written at `now` (epoch ms) expires. */
export function expiryOf(scope: StoreScope, now: number = Date.now()): Date {
	return new Date(now + scope.lifetimeMs);
}

/** How long content kept by reference lives unless the trigger's Content Time-To-Live says otherwise. */
export const DEFAULT_CONTENT_TTL_MINUTES = 60;

/**
 * Conversation memory (nodes/shared/conversation/memory.ts) lives in the `content` table, one encrypted row per
 * turn under a `mem:` reference: by default as long as the customer-service window, at most a week.
 */
export const DEFAULT_MEMORY_TTL_MS = CUSTOMER_SERVICE_WINDOW_MS;
export const MAX_MEMORY_TTL_MS = 7 * DAY_MS;

/**
 * The conversation gate (nodes/WhatsAutoTrigger/gate): how long a message waits in the inbox at most before the
 * purge takes it (the gate reports messages older than its max age long before), and how long one main holds a
 * turn between renewals (a crashed main's turns are taken over once it lapses).
 */
export const INBOX_LIFETIME_MS = 2 * DAY_MS;
export const GATE_LEASE_MS = 30_000;

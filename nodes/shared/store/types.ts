/**
 * The one store every WhatsAuto node remembers things in. Two backends implement it: SQLite through
 * `node:sqlite` (one n8n instance) and PostgreSQL (n8n queue mode). Nothing a second worker would need
 * may live in process memory instead.
 */
export interface WhatsAutoStore {
	readonly backend: StoreBackend;

	/**
	 * Atomically claims `key` within `scope` for `ttlMs`. Resolves true for exactly one caller across all
	 * processes sharing the store; false while an unexpired claim exists. An expired claim may be taken again.
	 */
	claim(scope: string, key: string, ttlMs: number): Promise<boolean>;

	/**
	 * Deletes the claim on `key` within `scope`, so the next {@link claim} wins at once: for lease-style claims
	 * whose holder failed cleanly and wants the work retried. Any caller may release; only release a claim you
	 * hold. Resolves true when an unexpired claim was released, false when none was held.
	 */
	releaseClaim(scope: string, key: string): Promise<boolean>;

	/** Whether each of `keys` holds an unexpired claim in `scope`, in order; reads only (the gate's overload check). */
	claimed(scope: string, keys: readonly string[]): Promise<boolean[]>;

	/** Stores an opaque (already encrypted) blob under `ref` until it expires. `contactKey` is a keyed pseudonym. */
	putContent(entry: ContentEntry): Promise<void>;
	/** The blob under `ref`, or undefined when missing or expired. */
	getContent(ref: string): Promise<ContentEntry | undefined>;
	deleteContent(ref: string): Promise<boolean>;
	/** Every unexpired blob kept for `contactKey`, oldest expiry first (for access requests). At most 1000. */
	listContent(contactKey: string): Promise<ContentEntry[]>;

	/**
	 * Stores a small JSON record under (`scope`, `key`) until `expiresAt`, replacing any record already there
	 * (value, contact key, expiry, and the `state` and `dueAt` it is indexed by). `createdAt` is set when the
	 * record is first stored and kept by later puts while it is unexpired. The value goes through JSON (`JSON.stringify`, so e.g. a Date comes back as
	 * a string); undefined, functions, symbols, BigInts and circular values are refused with a TypeError, and
	 * a value over 64 KiB of JSON (MAX_RECORD_VALUE_BYTES) with a RangeError: records hold metadata, not content.
	 */
	putRecord(record: RecordInput): Promise<void>;
	/** The record under (`scope`, `key`), or undefined when missing or expired. The value is not checked against `T`. */
	getRecord<T = unknown>(scope: string, key: string): Promise<StoredRecord<T> | undefined>;
	/** Deletes the record under (`scope`, `key`), expired or not; true when one was there. */
	deleteRecord(scope: string, key: string): Promise<boolean>;
	/**
	 * Unexpired records in `scope` (only `contactKey`'s, when given), newest first (ties by key), at most
	 * `limit` of them: 100 by default, never more than 1000 (DEFAULT_ and MAX_RECORD_LIST_LIMIT).
	 */
	listRecords<T = unknown>(scope: string, options?: ListRecordsOptions): Promise<StoredRecord<T>[]>;
	/**
	 * Unexpired records in `scope` put with one of `states`, soonest `dueAt` first (ties by key; records without
	 * a due date last), one page at a time: at most `limit` (100 by default, never more than 1000), then `next`,
	 * the cursor to pass as `after` for the page after it (absent once a page comes back short). Indexed, so
	 * it costs the same however many records in other states the scope holds.
	 */
	listRecordsByState<T = unknown>(scope: string, options: ListRecordsByStateOptions): Promise<RecordPage<T>>;

	/**
	 * Deletes every row keyed by `contactKey` (a keyed pseudonym) in every contact-keyed table, expired or not:
	 * erasure must find everything a person left. That includes the link from audit entries to the person
	 * (`audit_subjects`): the entries stay, unlinked, and the chain still verifies. Returns how many rows went.
	 */
	eraseContact(contactKey: string): Promise<number>;

	/**
	 * Moves everything kept about a person from the contact key `from` to `to` (both keyed pseudonyms: the person
	 * changed their number or business-scoped user id), in one transaction: the contact key of every row of every
	 * contact-keyed table, expired or not (content, records, and `audit_subjects`, the link from audit entries to
	 * the person), and the key of the records of the person-keyed scopes (`PERSON_KEYED_SCOPES` in scopes.ts: the
	 * suppression entry, which has no contact key, the profile, aliases); a record value naming its person in a
	 * top-level `subject` (privacy requests) names `to` instead. Where `to` already has an unexpired record
	 * of such a scope, it stays and `from`'s is deleted: callers merge first what must be merged. Each audit entry
	 * moved gets a re-filing MAC under `key` (the audit key, as for {@link appendAudit}), so the chain still
	 * verifies and nobody without the key can move an entry to another person; entries written before the log was
	 * keyed are sealed first. Returns how many rows moved: 0 once nothing is left under `from` (a retried move does
	 * nothing), and 0 when `from` is `to`.
	 */
	rekeyContact(from: string, to: string, key: Buffer): Promise<number>;

	/** Deletes every expired row in every table; returns how many rows went. */
	purgeExpired(): Promise<number>;

	/**
	 * Appends one entry to the audit log of privacy requests: who did what to which request, and when —
	 * pseudonyms and labels only, never content. The log is append-only and tamper-evident: each entry's
	 * `hash` is `auditHash` (audit.ts), an HMAC-SHA256 under `key` (32 bytes, derived from the store secret),
	 * over its fields, a salted commitment to its subject and the previous entry's hash (`prevHash`; the first
	 * entry links to AUDIT_GENESIS_HASH); the log's head is sealed with the same key. The subject itself is kept
	 * apart (`audit_subjects`), so that {@link eraseContact} can unlink it. Appends are serialised across every
	 * process sharing the store, so the chain never forks. `detail` goes through JSON like a record value
	 * (refused with a TypeError when it is not a JSON object, a RangeError over 8 KiB: MAX_AUDIT_DETAIL_BYTES)
	 * and is stored with its keys sorted. `at` is the store clock (the database server's for PostgreSQL).
	 * Neither erasure nor {@link purgeExpired} removes an entry: the log must outlive what it accounts for.
	 */
	appendAudit(entry: AuditEntryInput, key: Buffer): Promise<AuditEntry>;
	/**
	 * Audit entries in ascending `seq`, only those of `requestId` and/or `subject` when given, only after
	 * `afterSeq` when given (for paging: pass the last seq seen), at most `limit`: 1000 by default, never more
	 * than 10000 (DEFAULT_ and MAX_AUDIT_LIST_LIMIT). An entry whose subject was erased has subject ''.
	 */
	listAudit(options?: ListAuditOptions): Promise<AuditEntry[]>;
	/**
	 * Recomputes every hash of the audit log with `key`, in order, on one consistent snapshot, and checks each
	 * entry links to the one before, each subject still there matches its entry, and the last entry matches the
	 * log's head and its key-sealed MAC. Reports the first broken seq: an altered entry breaks at its own seq, a
	 * removed one at the seq after it, entries removed from the end at the seq the head recorded, and a missing
	 * head at 0. Without the key nobody can re-hash what they changed. Entries written before schema version 5
	 * keep their unkeyed SHA-256 hashes (counted as `unkeyedEntries`); the first keyed append seals them into the
	 * keyed chain. What stays open, for an anchor of the head hash outside the database: replaying an older head
	 * (with its MAC) together with the log cut back to it, and a log rewritten whole as if it had never been
	 * keyed (its every entry would then count as unkeyed).
	 */
	verifyAuditChain(key: Buffer): Promise<AuditChainVerification>;

	/**
	 * Claims `claimKey`s in `scope` for `ttlMs` (as {@link claim}) and, for every claim won that names an inbox
	 * row, stores that row, all in one transaction: a message is either claimed and in the inbox, or neither.
	 * Resolves, in order, whether each claim was won. Rows are received a millisecond apart in the order given (the last one now), so
	 * messages Meta timestamps within the same second are leased in that order. The conversation gate's durable inbox (gate/inbox.ts).
	 */
	admitInbox(scope: string, ttlMs: number, entries: readonly InboxAdmission[]): Promise<boolean[]>;
	/**
	 * Deletes the inbox rows `ids` (expired or not) and releases their claims in `scope`: for an admission whose
	 * later steps failed, so that Meta's retry is accepted. Returns how many inbox rows went.
	 */
	withdrawInbox(scope: string, ids: readonly string[]): Promise<number>;
	/**
	 * Leases the ready turns of `gate`, atomically across processes: for each contact with no turn in flight (no
	 * unexpired lease) whose waiting messages (pending, or under a lapsed lease) were last received at least
	 * `debounceMs` ago or first received at least `capMs` ago, all those messages (at most MAX_TURN_MESSAGES,
	 * oldest first) under one new lease until now + `leaseMs`; at most `limit` turns (contacts waiting longest
	 * first). Messages sent before `sentBefore` (epoch ms) are not leased: they are left for {@link expireInbox}.
	 */
	leaseTurns(gate: string, options: LeaseTurnsOptions): Promise<InboxTurn[]>;
	/**
	 * Settles a leased turn: 'done' deletes its rows; 'failed' gives them back (pending, attempts counted) or,
	 * once a row has been attempted `maxAttempts` times, marks it failed (its content deleted). Only rows still
	 * under `leaseId` change (a lease taken over by another process is not touched). Returns how many rows changed.
	 */
	settleTurn(leaseId: string, outcome: 'done' | 'failed', maxAttempts?: number): Promise<number>;
	/** Extends the leases `leaseIds` still held (leased, not taken over) to now + `leaseMs`; returns how many rows. */
	renewTurns(leaseIds: readonly string[], leaseMs: number): Promise<number>;
	/**
	 * Marks the waiting messages of `gate` sent before `sentBefore` (epoch ms) expired (their content deleted)
	 * and returns them: too old to answer, reported instead.
	 */
	expireInbox(gate: string, sentBefore: number): Promise<InboxSummary[]>;
	/** Counts of `gate`'s inbox rows by state ('pending', 'leased', 'failed', 'expired'). */
	inboxCounts(gate: string): Promise<Record<string, number>>;

	/**
	 * Adds `amount` (a safe integer, may be negative) to the counter (`scope`, `key`), atomically across every
	 * process sharing the store: a missing or expired counter starts at 0 (and takes `expiresAt` and `contactKey`;
	 * an existing one keeps its own). With `below`, the amount is added only when the value before it is below
	 * `below` (a budget check and its charge in one step, so racing callers cannot all pass the same check).
	 * Resolves the value after the call and whether the amount was added. Budgets, caps and spend (usage/budgets.ts).
	 */
	addToCounter(input: CounterInput): Promise<CounterResult>;
	/** The value of the counter (`scope`, `key`): 0 when missing or expired. */
	getCounter(scope: string, key: string): Promise<number>;
	/** Every unexpired counter kept for `contactKey` (for access requests), by scope and key. At most 1000. */
	listCounters(contactKey: string): Promise<StoredCounter[]>;
	/** How many unexpired records `scope` holds (e.g. the conversations active now). */
	countRecords(scope: string): Promise<number>;

	/** Highest schema migration applied. */
	schemaVersion(): Promise<number>;

	close(): Promise<void>;
}

export type StoreBackend = 'sqlite' | 'postgres';

/** What {@link WhatsAutoStore.addToCounter} adds, to which counter. */
export interface CounterInput {
	scope: string;
	key: string;
	/** A safe integer (tokens, micro-dollars, replies); negative to give back what was reserved. */
	amount: number;
	/** Add only when the value before is below this (a safe integer); omit to add whatever the value. */
	below?: number;
	/** Keyed pseudonym of the contact the counter is about (erased with them); omit or '' for none. */
	contactKey?: string;
	/** When a counter created by this call expires (an existing counter keeps its expiry). */
	expiresAt: Date;
}

/** A counter as {@link WhatsAutoStore.listCounters} reads it back. */
export interface StoredCounter {
	scope: string;
	key: string;
	value: number;
	expiresAt: Date;
}

export interface CounterResult {
	/** Whether the amount was added (false only when `below` refused it). */
	added: boolean;
	/** The counter's value after the call. */
	value: number;
}

/** One message for the conversation gate's inbox (the `inbox` table). */
export interface InboxRow {
	/** The message's opaque id: its dedupe key (an HMAC of Meta's id), unique across gates. */
	id: string;
	/** Which trigger it is for: a workflow and node. */
	gate: string;
	/** Keyed pseudonym (or opaque key) of the sender: turns are per contact; erasure finds the row by it. */
	contactKey: string;
	/** When the person sent it (Meta's timestamp, epoch ms): orders a contact's messages, judges max age. */
	sentAt: number;
	/** The message, encrypted (gate/inbox.ts). */
	data: Buffer;
	expiresAt: Date;
}

/** A claim to take, with the inbox row to store when it is won (none for updates that skip the inbox). */
export interface InboxAdmission {
	claimKey: string;
	row?: InboxRow;
}

export interface LeaseTurnsOptions {
	/** A fresh id for this lease: {@link WhatsAutoStore.settleTurn} names it. One per turn: the contact key is appended. */
	leaseId: string;
	debounceMs: number;
	capMs: number;
	leaseMs: number;
	/** At most this many turns (1 to 1000). */
	limit: number;
	/** Leave messages sent before this (epoch ms) for expireInbox; 0: none. */
	sentBefore?: number;
}

/** A leased turn: one contact's waiting messages, oldest first. */
export interface InboxTurn {
	/** The turn's own lease id (options.leaseId + ':' + a counter). */
	leaseId: string;
	contactKey: string;
	messages: Array<{ id: string; sentAt: number; receivedAt: number; data: Buffer; attempts: number }>;
}

export interface InboxSummary {
	id: string;
	contactKey: string;
	sentAt: number;
	receivedAt: number;
}

export interface ContentEntry {
	ref: string;
	contactKey: string;
	data: Buffer;
	expiresAt: Date;
}

/** What {@link WhatsAutoStore.putRecord} stores. */
export interface RecordInput {
	scope: string;
	key: string;
	/** Keyed pseudonym of the contact the record is about (erased with them); omit or '' for none. */
	contactKey?: string;
	/** Any JSON-serialisable value of at most 64 KiB as JSON (MAX_RECORD_VALUE_BYTES). */
	value: unknown;
	expiresAt: Date;
	/** A state to find the record by ({@link WhatsAutoStore.listRecordsByState}): at most 128 characters. */
	state?: string;
	/** When the record falls due: orders {@link WhatsAutoStore.listRecordsByState}. */
	dueAt?: Date;
}

/** A record as read back from the store. */
export interface StoredRecord<T = unknown> {
	scope: string;
	key: string;
	/** Keyed pseudonym of the contact, or '' when the record belongs to none. */
	contactKey: string;
	/** The stored value after a JSON round trip. */
	value: T;
	/** When the record was first stored (store clock: the database server's for PostgreSQL). */
	createdAt: Date;
	expiresAt: Date;
}

/** Where a page of {@link WhatsAutoStore.listRecordsByState} ended: pass it back as `after`. */
export interface RecordCursor {
	/** The due date of the last record listed, in epoch ms (Number.MAX_SAFE_INTEGER for none). */
	dueAt: number;
	/** The key of the last record listed. */
	key: string;
}

export interface ListRecordsByStateOptions {
	/** The states to list: 1 to 32 of them. */
	states: readonly string[];
	/** Only records due by then (inclusive); records without a due date are then left out. */
	dueBy?: Date;
	/** The page after this cursor (a previous page's `next`). */
	after?: RecordCursor;
	/** How many records at most: a positive integer, default 100, capped at 1000. */
	limit?: number;
}

/** One page of {@link WhatsAutoStore.listRecordsByState}. */
export interface RecordPage<T = unknown> {
	records: StoredRecord<T>[];
	/** Present when the page is full: more records may follow after it. */
	next?: RecordCursor;
}

export interface ListRecordsOptions {
	/** Only this contact's records (a keyed pseudonym). */
	contactKey?: string;
	/** How many records at most: a positive integer, default 100, capped at 1000. */
	limit?: number;
}

/**
 * What the privacy desk records in the audit log: a request received, a transition from one state to
 * another (with `fromState` and `toState`), or a step within a state.
 */
export type AuditAction =
	| 'received'
	| 'transition'
	| 'code_sent'
	| 'confirmation_requested'
	| 'identity_verified'
	| 'verification_failed'
	| 'deadline_extended'
	| 'confirmed';

/**
 * What {@link WhatsAutoStore.appendAudit} appends. The store takes any label as the action; WhatsAuto
 * writes `AuditEntryInput<AuditAction>`, so an action it does not know fails to compile.
 */
export interface AuditEntryInput<Action extends string = string> {
	/** The privacy request the entry is about. */
	requestId: string;
	/** Keyed pseudonym of the person the request is about, or '' when not (yet) known. Never a phone number. */
	subject: string;
	/** Who acted: e.g. 'whatsapp', 'form', 'system', 'operator' (at most 128 characters). */
	actor: string;
	/** What happened: an {@link AuditAction} such as 'received', 'transition', 'identity_verified' (at most 128). */
	action: Action;
	/** The request's state before, for a transition; '' when omitted. */
	fromState?: string;
	/** The request's state after, for a transition; '' when omitted. */
	toState?: string;
	/** Small metadata as a JSON object (at most 8 KiB as JSON): counts, outcomes, reasons, never content. */
	detail?: Record<string, unknown>;
}

/** An audit entry as stored, with its place in the hash chain. */
export interface AuditEntry extends Required<Omit<AuditEntryInput, 'detail' | 'fromState' | 'toState'>> {
	/** Position in the log: increases with every append (PostgreSQL may skip numbers, never reuses one). */
	seq: number;
	/** When the entry was appended (store clock). */
	at: Date;
	fromState: string;
	toState: string;
	/** The detail after a JSON round trip (keys sorted). */
	detail: Record<string, unknown>;
	/** Hash of the entry before (AUDIT_GENESIS_HASH for the first): 64 lowercase hex digits. */
	prevHash: string;
	/**
	 * auditHash(key, prevHash, entry with its subject commitment): 64 lowercase hex digits (entries written before
	 * schema version 5: unkeyedAuditHash(prevHash, entry)).
	 */
	hash: string;
}

export interface ListAuditOptions {
	/** Only this request's entries. */
	requestId?: string;
	/** Only this subject's entries (a keyed pseudonym). */
	subject?: string;
	/** Only entries with a greater seq: a non-negative integer, default 0. */
	afterSeq?: number;
	/** How many entries at most: a positive integer, default 1000, capped at 10000. */
	limit?: number;
}

/** What {@link WhatsAutoStore.verifyAuditChain} found. */
export type AuditChainVerification =
	| {
			ok: true;
			entries: number;
			/** How many of them were written before the log was keyed (schema version 5); absent when none. */
			unkeyedEntries?: number;
	  }
	| { ok: false; brokenAtSeq: number; reason: string };

export interface SqliteStoreConfig {
	backend: 'sqlite';
	/** Absolute path of the database file. */
	path: string;
}

export interface PostgresStoreConfig {
	backend: 'postgres';
	host: string;
	port: number;
	database: string;
	user: string;
	password: string;
	ssl: boolean;
	/** Schema the tables live in (created if missing). */
	schema: string;
}

export type StoreConfig = SqliteStoreConfig | PostgresStoreConfig;

/** Options for opening one store instance directly (openStore caches instances; tests open their own). */
export interface StoreOpenOptions {
	/** Called once when the store closes (openStore drops it from its cache). */
	onClose?: () => void;
}

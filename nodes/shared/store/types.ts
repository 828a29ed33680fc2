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

	/** Stores an opaque (already encrypted) blob under `ref` until it expires. `contactKey` is a keyed pseudonym. */
	putContent(entry: ContentEntry): Promise<void>;
	/** The blob under `ref`, or undefined when missing or expired. */
	getContent(ref: string): Promise<ContentEntry | undefined>;
	deleteContent(ref: string): Promise<boolean>;
	/** Every unexpired blob kept for `contactKey`, oldest expiry first (for access requests). At most 1000. */
	listContent(contactKey: string): Promise<ContentEntry[]>;

	/**
	 * Stores a small JSON record under (`scope`, `key`) until `expiresAt`, replacing any record already there
	 * (value, contact key and expiry). `createdAt` is set when the record is first stored and kept by later
	 * puts while it is unexpired. The value goes through JSON (`JSON.stringify`, so e.g. a Date comes back as
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
	 * Deletes every row keyed by `contactKey` (a keyed pseudonym) in every contact-keyed table, expired or not:
	 * erasure must find everything a person left. Returns how many rows went.
	 */
	eraseContact(contactKey: string): Promise<number>;

	/** Deletes every expired row in every table; returns how many rows went. */
	purgeExpired(): Promise<number>;

	/**
	 * Appends one entry to the audit log of privacy requests: who did what to which request, and when —
	 * pseudonyms and labels only, never content. The log is append-only and tamper-evident: each entry's
	 * `hash` is `auditHash` (audit.ts) over its fields and the previous entry's hash (`prevHash`; the first entry
	 * links to AUDIT_GENESIS_HASH). Appends are serialised across every process sharing the store, so the
	 * chain never forks. `detail` goes through JSON like a record value (refused with a TypeError when it is
	 * not a JSON object, a RangeError over 8 KiB: MAX_AUDIT_DETAIL_BYTES) and is stored with its keys sorted.
	 * `at` is the store clock (the database server's for PostgreSQL). Neither {@link eraseContact} nor
	 * {@link purgeExpired} touches the log: it must outlive what it accounts for.
	 */
	appendAudit(entry: AuditEntryInput): Promise<AuditEntry>;
	/**
	 * Audit entries in ascending `seq`, only those of `requestId` and/or `subject` when given, only after
	 * `afterSeq` when given (for paging: pass the last seq seen), at most `limit`: 1000 by default, never more
	 * than 10000 (DEFAULT_ and MAX_AUDIT_LIST_LIMIT).
	 */
	listAudit(options?: ListAuditOptions): Promise<AuditEntry[]>;
	/**
	 * Recomputes every hash of the audit log in order, on one consistent snapshot, and checks each entry links
	 * to the one before and the last matches the log's head. Reports the first broken seq: an altered entry
	 * breaks at its own seq, a removed one at the seq after it, entries removed from the end at the seq the
	 * head recorded, and a missing head at 0. Detects tampering by anyone who does not also recompute every
	 * later hash and the head; anchor the head hash outside the database for more.
	 */
	verifyAuditChain(): Promise<AuditChainVerification>;

	/** Highest schema migration applied. */
	schemaVersion(): Promise<number>;

	close(): Promise<void>;
}

export type StoreBackend = 'sqlite' | 'postgres';

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
	/** auditHash(prevHash, entry): 64 lowercase hex digits. */
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
	| { ok: true; entries: number }
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

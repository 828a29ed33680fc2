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

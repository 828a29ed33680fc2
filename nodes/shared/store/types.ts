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

	/** Stores an opaque (already encrypted) blob under `ref` until it expires. `contactKey` is a keyed pseudonym. */
	putContent(entry: ContentEntry): Promise<void>;
	/** The blob under `ref`, or undefined when missing or expired. */
	getContent(ref: string): Promise<ContentEntry | undefined>;
	deleteContent(ref: string): Promise<boolean>;

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

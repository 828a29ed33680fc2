import { createHmac, randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import type { StoreConfig, WhatsAutoStore } from './types';

export type {
	AuditAction,
	AuditChainVerification,
	AuditEntry,
	AuditEntryInput,
	ContentEntry,
	ListAuditOptions,
	ListRecordsByStateOptions,
	ListRecordsOptions,
	PostgresStoreConfig,
	RecordCursor,
	RecordInput,
	RecordPage,
	SqliteStoreConfig,
	StoreBackend,
	StoreConfig,
	StoredRecord,
	WhatsAutoStore,
} from './types';
export { DEFAULT_RECORD_LIST_LIMIT, MAX_RECORD_LIST_LIMIT, MAX_RECORD_VALUE_BYTES } from './common';
export { LATEST_SCHEMA_VERSION } from './migrations';
export {
	AUDIT_GENESIS_HASH,
	auditHash,
	DEFAULT_AUDIT_LIST_LIMIT,
	unkeyedAuditHash,
	MAX_AUDIT_DETAIL_BYTES,
	MAX_AUDIT_LIST_LIMIT,
} from './audit';

/**
 * One open store per distinct configuration in this process, so every webhook call and execution reuses
 * the same SQLite handle or PostgreSQL pool. Keys are HMACs (under a per-process random key) of the
 * normalised configuration: no password is held in clear by the cache.
 */
const stores = new Map<string, Promise<WhatsAutoStore>>();
const cacheKeySecret = randomBytes(32);

/** `$N8N_USER_FOLDER/.n8n/whatsauto.sqlite`, or `~/.n8n/whatsauto.sqlite` — next to n8n's own data. */
export function defaultSqlitePath(env: NodeJS.ProcessEnv = process.env): string {
	const base = env.N8N_USER_FOLDER ? resolve(env.N8N_USER_FOLDER) : homedir();
	return join(base, '.n8n', 'whatsauto.sqlite');
}

function normalise(config: StoreConfig): StoreConfig {
	if (config?.backend === 'sqlite') {
		const path = config.path === ':memory:' ? config.path : resolve(config.path || defaultSqlitePath());
		return { backend: 'sqlite', path };
	}
	if (config?.backend === 'postgres') {
		return {
			backend: 'postgres',
			host: String(config.host),
			port: Number(config.port),
			database: String(config.database),
			user: String(config.user),
			password: String(config.password ?? ''),
			ssl: Boolean(config.ssl),
			schema: String(config.schema),
		};
	}
	throw new TypeError('WhatsAuto store: backend must be sqlite or postgres');
}

/** The cache key for a configuration (an HMAC; never contains the password). */
export function storeCacheKey(config: StoreConfig): string {
	return createHmac('sha256', cacheKeySecret).update(JSON.stringify(normalise(config))).digest('hex');
}

/**
 * The shared store for `config`, opened (and migrated) on first use and reused afterwards. An empty SQLite
 * path means {@link defaultSqlitePath}. Closing the returned store removes it from the cache.
 */
export function openStore(config: StoreConfig): Promise<WhatsAutoStore> {
	const normalised = normalise(config);
	const key = storeCacheKey(normalised);
	const cached = stores.get(key);
	if (cached) return cached;
	const onClose = () => {
		if (stores.get(key) === opening) stores.delete(key);
	};
	const opening: Promise<WhatsAutoStore> = (async () => {
		if (normalised.backend === 'sqlite') {
			const { SqliteStore } = await import('./sqlite');
			return await SqliteStore.open(normalised, { onClose });
		}
		const { PostgresStore } = await import('./postgres');
		return await PostgresStore.open(normalised, { onClose });
	})();
	stores.set(key, opening);
	opening.catch(() => {
		if (stores.get(key) === opening) stores.delete(key);
	});
	return opening;
}

/** Closes every cached store (tests, shutdown). */
export async function closeAllStores(): Promise<void> {
	const all = [...stores.values()];
	stores.clear();
	await Promise.all(
		all.map(async (opening) => {
			try {
				await (await opening).close();
			} catch {
				// a store that failed to open has nothing to close
			}
		}),
	);
}

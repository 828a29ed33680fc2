import type { ICredentialDataDecryptedObject, INode } from 'n8n-workflow';

import { stringOr, trimmedOr } from '../coerce';
import { cachedCredentials, type CredentialSource } from '../credentialCache';
import { deriveKeys, MIN_SECRET_LENGTH, pseudonymise } from '../crypto';
import { PrivacyDesk } from '../privacy/desk';
import type { ContentKeys } from './contentByReference';
import { defaultSqlitePath, openStore } from './index';
import type { StoreConfig, WhatsAutoStore } from './types';

export const STORE_CREDENTIAL = 'whatsAutoStoreApi';

export class StoreConfigurationError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'StoreConfigurationError';
	}
}

export function toStoreConfig(raw: ICredentialDataDecryptedObject | undefined): StoreConfig {
	if (!raw || raw.backend !== 'postgres') {
		const path = trimmedOr(raw?.sqlitePath);
		return { backend: 'sqlite', path: path || defaultSqlitePath() };
	}
	return {
		backend: 'postgres',
		host: String(raw.host ?? 'localhost'),
		port: Number(raw.port ?? 5432),
		database: String(raw.database ?? ''),
		user: String(raw.user ?? ''),
		password: String(raw.password ?? ''),
		ssl: raw.ssl === true,
		schema: String(raw.schema || 'whatsauto'),
	};
}

export function toContentKeys(raw: ICredentialDataDecryptedObject | undefined): ContentKeys | undefined {
	const secret = stringOr(raw?.secretKey);
	if (!secret) return undefined;
	if (secret.length < MIN_SECRET_LENGTH) {
		throw new StoreConfigurationError(
			`The WhatsAuto: Store API credential's Secret Key must be at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -hex 32).`,
		);
	}
	let keys = derived.get(secret);
	if (!keys) {
		const { contentKey, pseudonymKey, auditKey } = deriveKeys(secret);
		keys = { contentKey, auditKey, pseudonymise: (value) => pseudonymise(pseudonymKey, value) };
		if (derived.size >= 16) derived.clear();
		derived.set(secret, keys);
	}
	return keys;
}

/** Keys derived per secret once per process: every webhook call asks for them again. */
const derived = new Map<string, ContentKeys>();

export interface StoreAccess {
	store: WhatsAutoStore;
	/** Present when a WhatsAuto: Store API credential with a secret key is attached. */
	keys?: ContentKeys;
}

/**
 * The node's store: the attached WhatsAuto: Store API credential, or, without one, SQLite in the n8n user
 * folder (enough for dedupe on one instance; content by reference and pseudonyms need the credential's key).
 */
export async function storeFor(source: CredentialSource, node: INode = source.getNode()): Promise<StoreAccess> {
	const raw = node.credentials?.[STORE_CREDENTIAL] ? await cachedCredentials(source, STORE_CREDENTIAL, node) : undefined;
	const store = await openStore(toStoreConfig(raw));
	return { store, keys: toContentKeys(raw) };
}

const PURGE_INTERVAL_MS = 10 * 60_000;
const lastPurge = new WeakMap<WhatsAutoStore, number>();

/**
 * The store's purge: with the credential's keys, privacy requests left waiting for their code past its
 * lifetime and grace are denied first (an audited transition, PrivacyDesk.expireUnverified); then every
 * expired row goes. Resolves to how many rows went.
 */
export async function purgeNow(store: WhatsAutoStore, keys: ContentKeys | undefined): Promise<number> {
	if (keys) await new PrivacyDesk(store, keys).expireUnverified();
	return await store.purgeExpired();
}

/**
 * Runs {@link purgeNow} at most once per interval per store and process, in the background, from webhook calls.
 * Expired rows do not wait for it: every open store purges them on its own timer, about every minute
 * (PurgeTimer in common.ts; $WHATSAUTO_PURGE_INTERVAL_MS). What this adds is the part that needs the
 * credential's keys: denying privacy requests left unverified (an audited transition).
 */
export function purgeOccasionally(
	store: WhatsAutoStore,
	onError: (error: Error) => void,
	now = Date.now(),
	keys?: ContentKeys,
): boolean {
	if (now - (lastPurge.get(store) ?? -Infinity) < PURGE_INTERVAL_MS) return false;
	lastPurge.set(store, now);
	purgeNow(store, keys).catch(onError);
	return true;
}

import type { ICredentialDataDecryptedObject, INode } from 'n8n-workflow';

/**
 * Decrypting a credential costs a database read per call; the webhook hot path reads the same one for
 * every delivery. Entries live briefly and are keyed by credential id, so an edited credential is picked up
 * within the TTL, and at once where a caller invalidates on a mismatch (e.g. a rotated app secret).
 */
const TTL_MS = 30_000;
/** A forged request must not be able to force a database read each time: one refresh per key per window. */
const REFRESH_COOLDOWN_MS = 10_000;

interface Entry {
	value: ICredentialDataDecryptedObject;
	expires: number;
}

const cache = new Map<string, Entry>();
const lastRefresh = new Map<string, number>();

export interface CredentialSource {
	getNode(): INode;
	getCredentials<T extends object = ICredentialDataDecryptedObject>(type: string): Promise<T>;
}

function keyOf(node: INode, type: string): string | undefined {
	const id = node.credentials?.[type]?.id;
	return id ? `${type}:${id}` : undefined;
}

export async function cachedCredentials(
	source: CredentialSource,
	type: string,
	node: INode = source.getNode(),
): Promise<ICredentialDataDecryptedObject> {
	const key = keyOf(node, type);
	const now = Date.now();
	const hit = key ? cache.get(key) : undefined;
	if (hit && hit.expires > now) return hit.value;
	const value = await source.getCredentials<ICredentialDataDecryptedObject>(type);
	if (key) cache.set(key, { value, expires: now + TTL_MS });
	return value;
}

/** Drops a cached credential so the next read sees edits; false (nothing dropped) within the cooldown. */
export function invalidateCredentials(node: INode, type: string, now = Date.now()): boolean {
	const key = keyOf(node, type);
	if (!key || now - (lastRefresh.get(key) ?? -Infinity) < REFRESH_COOLDOWN_MS) return false;
	lastRefresh.set(key, now);
	return cache.delete(key);
}

import {
	createCipheriv,
	createDecipheriv,
	createHmac,
	hkdfSync,
	randomBytes,
	timingSafeEqual,
} from 'node:crypto';

/**
 * WhatsAuto's keys all derive from the one secret in the store credential. That secret never reaches the
 * database, so a copy of the database alone reveals no content and no phone number in clear: people are keyed
 * by {@link pseudonymise} over their normalised id (nodes/shared/contact.ts), Meta's message ids (a wamid is the
 * number in base64) are kept only as keyed hashes (contact.ts messageRef, {@link opaqueKey}), and the number items
 * with pseudonymous ids are answered at is encrypted (store/people.ts).
 */

/** The credential asks for at least 32 random characters. */
export const MIN_SECRET_LENGTH = 32;

const HKDF_SALT = 'whatsauto/hkdf-salt/v1';
const PSEUDONYM_INFO = 'whatsauto/pseudonym-key/v1';
const CONTENT_INFO = 'whatsauto/content-key/v1';
const AUDIT_INFO = 'whatsauto/audit-key/v1';

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

export interface DerivedKeys {
	/** HMAC-SHA256 key for pseudonyms (phone numbers, WhatsApp ids). */
	pseudonymKey: Buffer;
	/** AES-256-GCM key for content kept by reference. */
	contentKey: Buffer;
	/** HMAC-SHA256 key that chains the audit log of privacy requests (store/audit.ts). */
	auditKey: Buffer;
}

/** Three independent 256-bit keys from the credential secret (HKDF-SHA256, distinct info labels). */
export function deriveKeys(secret: string): DerivedKeys {
	if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
		throw new Error(`WhatsAuto: the secret key must be at least ${MIN_SECRET_LENGTH} characters`);
	}
	const ikm = Buffer.from(secret, 'utf8');
	const derive = (info: string) => Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, info, 32));
	return { pseudonymKey: derive(PSEUDONYM_INFO), contentKey: derive(CONTENT_INFO), auditKey: derive(AUDIT_INFO) };
}

/**
 * A keyed pseudonym (HMAC-SHA256, hex). Phone numbers are low-entropy: a plain hash could be reversed by
 * trying every number, a keyed one cannot without the key.
 */
export function pseudonymise(key: Buffer, value: string): string {
	assertKey(key);
	return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/**
 * AES-256-GCM with a random 12-byte IV. Output: version byte | iv | tag | ciphertext. `aad` binds the blob
 * to its context (e.g. its reference) so it cannot be swapped for another one.
 */
export function encrypt(key: Buffer, plaintext: Buffer, aad: string): Buffer {
	assertKey(key);
	const iv = randomBytes(IV_BYTES);
	const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
	cipher.setAAD(Buffer.from(aad, 'utf8'));
	const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
	return Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, cipher.getAuthTag(), ciphertext]);
}

export class DecryptionError extends Error {
	constructor() {
		super('WhatsAuto: stored content could not be decrypted (wrong secret key, wrong context or tampered data)');
		this.name = 'DecryptionError';
	}
}

/** Reverses {@link encrypt}; throws {@link DecryptionError} (never revealing content) on any mismatch. */
export function decrypt(key: Buffer, blob: Buffer, aad: string): Buffer {
	assertKey(key);
	if (!Buffer.isBuffer(blob) || blob.length < HEADER_BYTES || blob[0] !== FORMAT_VERSION) {
		throw new DecryptionError();
	}
	const iv = blob.subarray(1, 1 + IV_BYTES);
	const tag = blob.subarray(1 + IV_BYTES, HEADER_BYTES);
	try {
		const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
		decipher.setAAD(Buffer.from(aad, 'utf8'));
		decipher.setAuthTag(tag);
		return Buffer.concat([decipher.update(blob.subarray(HEADER_BYTES)), decipher.final()]);
	} catch {
		throw new DecryptionError();
	}
}

const compareKey = randomBytes(32);

/**
 * Constant-time string comparison (tokens, signatures). Both sides are HMACed under a random per-process
 * key first, so the compared values always have equal length and no early return depends on content.
 */
export function timingSafeEqualString(a: string, b: string): boolean {
	if (typeof a !== 'string' || typeof b !== 'string') return false;
	const da = createHmac('sha256', compareKey).update(a, 'utf8').digest();
	const db = createHmac('sha256', compareKey).update(b, 'utf8').digest();
	return timingSafeEqual(da, db);
}

/** A random reference for content kept in the store: 144 bits, URL-safe base64 (24 characters). */
export function randomRef(): string {
	return randomBytes(18).toString('base64url');
}

function assertKey(key: Buffer): void {
	if (!Buffer.isBuffer(key) || key.length !== 32) throw new TypeError('WhatsAuto: key must be a 32-byte Buffer');
}

/**
 * A store key for an identifier that must not sit in the database readable (message ids encode the phone
 * number; Meta's preference events carry it): HMAC-SHA256 under a secret kept in n8n's credentials.
 */
export function opaqueKey(secret: string | Buffer, value: string): string {
	return createHmac('sha256', secret).update(`whatsauto/key/v1:${value}`, 'utf8').digest('hex');
}

import { createHash } from 'node:crypto';

import {
	DecryptionError,
	decrypt,
	deriveKeys,
	encrypt,
	pseudonymise,
	randomRef,
	timingSafeEqualString,
} from '../../nodes/shared/crypto';

const SECRET = 'a'.repeat(16) + '0123456789abcdef0123456789abcdef';
const OTHER_SECRET = 'b'.repeat(16) + '0123456789abcdef0123456789abcdef';

describe('deriveKeys', () => {
	it('derives two distinct, stable 32-byte keys', () => {
		const keys = deriveKeys(SECRET);
		expect(keys.pseudonymKey).toHaveLength(32);
		expect(keys.contentKey).toHaveLength(32);
		expect(keys.pseudonymKey.equals(keys.contentKey)).toBe(false);
		expect(deriveKeys(SECRET).contentKey.equals(keys.contentKey)).toBe(true);
		expect(deriveKeys(OTHER_SECRET).contentKey.equals(keys.contentKey)).toBe(false);
	});

	it('derives a third key for the audit chain, distinct from both and stable', () => {
		const keys = deriveKeys(SECRET);
		expect(keys.auditKey).toHaveLength(32);
		expect(keys.auditKey.equals(keys.contentKey)).toBe(false);
		expect(keys.auditKey.equals(keys.pseudonymKey)).toBe(false);
		expect(deriveKeys(SECRET).auditKey.equals(keys.auditKey)).toBe(true);
		expect(deriveKeys(OTHER_SECRET).auditKey.equals(keys.auditKey)).toBe(false);
	});

	it('refuses a short secret without echoing it', () => {
		expect(() => deriveKeys('short-secret')).toThrow(/at least 32/);
		expect(() => deriveKeys('short-secret')).not.toThrow(/short-secret/);
		expect(() => deriveKeys('')).toThrow();
	});
});

describe('pseudonymise', () => {
	const { pseudonymKey } = deriveKeys(SECRET);

	it('is stable for one key and value', () => {
		const p = pseudonymise(pseudonymKey, '+4915112345678');
		expect(p).toMatch(/^[0-9a-f]{64}$/);
		expect(pseudonymise(pseudonymKey, '+4915112345678')).toBe(p);
		expect(pseudonymise(pseudonymKey, '+4915112345679')).not.toBe(p);
	});

	it('is keyed: another key gives another pseudonym, and it is not a plain hash', () => {
		const value = '4915112345678';
		const p = pseudonymise(pseudonymKey, value);
		expect(pseudonymise(deriveKeys(OTHER_SECRET).pseudonymKey, value)).not.toBe(p);
		expect(p).not.toBe(createHash('sha256').update(value).digest('hex'));
		expect(p).not.toContain(value);
	});
});

describe('encrypt / decrypt', () => {
	const { contentKey } = deriveKeys(SECRET);
	const plaintext = Buffer.from('Hello, I would like to book a table for two tonight at 8pm');

	it('round-trips, with a random IV each time', () => {
		const a = encrypt(contentKey, plaintext, 'ref-1');
		const b = encrypt(contentKey, plaintext, 'ref-1');
		expect(a.equals(b)).toBe(false);
		expect(a[0]).toBe(1);
		expect(a).toHaveLength(1 + 12 + 16 + plaintext.length);
		expect(decrypt(contentKey, a, 'ref-1').equals(plaintext)).toBe(true);
		expect(decrypt(contentKey, encrypt(contentKey, Buffer.alloc(0), 'r'), 'r')).toHaveLength(0);
	});

	it('never contains the plaintext', () => {
		const blob = encrypt(contentKey, plaintext, 'ref-1');
		expect(blob.includes(plaintext)).toBe(false);
		expect(blob.includes(Buffer.from('book a table'))).toBe(false);
		expect(blob.toString('latin1')).not.toContain('tonight');
	});

	it('detects tampering anywhere in the blob', () => {
		const blob = encrypt(contentKey, plaintext, 'ref-1');
		for (const index of [0, 1, 12, 13, 28, 29, blob.length - 1]) {
			const tampered = Buffer.from(blob);
			tampered[index] ^= 0x01;
			expect(() => decrypt(contentKey, tampered, 'ref-1')).toThrow(DecryptionError);
		}
		expect(() => decrypt(contentKey, blob.subarray(0, blob.length - 1), 'ref-1')).toThrow(DecryptionError);
		expect(() => decrypt(contentKey, blob.subarray(0, 10), 'ref-1')).toThrow(DecryptionError);
		expect(() => decrypt(contentKey, Buffer.concat([blob, Buffer.from([0])]), 'ref-1')).toThrow(DecryptionError);
	});

	it('refuses the wrong context (aad) and the wrong key, without revealing content', () => {
		const blob = encrypt(contentKey, plaintext, 'ref-1');
		expect(() => decrypt(contentKey, blob, 'ref-2')).toThrow(DecryptionError);
		let error: unknown;
		try {
			decrypt(deriveKeys(OTHER_SECRET).contentKey, blob, 'ref-1');
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(DecryptionError);
		expect((error as Error).message).toMatch(/could not be decrypted/);
		expect((error as Error).message).not.toContain('book');
	});

	it('requires 32-byte keys', () => {
		expect(() => encrypt(Buffer.alloc(16), plaintext, 'r')).toThrow(TypeError);
		expect(() => decrypt(Buffer.alloc(16), Buffer.alloc(64), 'r')).toThrow(TypeError);
	});
});

describe('timingSafeEqualString', () => {
	it('compares strings of equal and different lengths', () => {
		expect(timingSafeEqualString('verify-token', 'verify-token')).toBe(true);
		expect(timingSafeEqualString('verify-token', 'verify-tokem')).toBe(false);
		expect(timingSafeEqualString('verify-token', 'verify-token-longer')).toBe(false);
		expect(timingSafeEqualString('', '')).toBe(true);
		expect(timingSafeEqualString('', 'x')).toBe(false);
		expect(timingSafeEqualString('é', 'e\u0301')).toBe(false);
	});

	it('returns false for non-strings', () => {
		expect(timingSafeEqualString(undefined as unknown as string, 'x')).toBe(false);
	});
});

describe('randomRef', () => {
	it('is URL-safe with at least 128 bits and unique', () => {
		const refs = new Set(Array.from({ length: 1000 }, () => randomRef()));
		expect(refs.size).toBe(1000);
		for (const ref of refs) {
			expect(ref).toMatch(/^[A-Za-z0-9_-]+$/);
			expect(Buffer.from(ref, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
		}
	});
});

import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck =
	| { ok: true }
	| {
			ok: false;
			reason: 'no app secret' | 'missing signature header' | 'malformed signature header' | 'signature mismatch' | 'no raw body';
	  };

const HEADER_FORMAT = /^sha256=([0-9a-f]{64})$/i;

/**
 * Checks `X-Hub-Signature-256` against HMAC-SHA256(appSecret, raw bytes) in constant time. Only the raw
 * bytes work: Meta signs the body with non-ASCII escaped as \uXXXX, which re-serialised JSON loses.
 * An empty (or blank) app secret is never used as a key: anybody can compute HMAC-SHA256 with it.
 */
export function verifySignature(rawBody: Buffer | undefined, header: unknown, appSecret: string): SignatureCheck {
	if (appSecret.trim() === '') return { ok: false, reason: 'no app secret' };
	const value = Array.isArray(header) ? header[0] : header;
	if (typeof value !== 'string' || value === '') return { ok: false, reason: 'missing signature header' };
	const match = HEADER_FORMAT.exec(value.trim());
	if (!match) return { ok: false, reason: 'malformed signature header' };
	if (!Buffer.isBuffer(rawBody)) return { ok: false, reason: 'no raw body' };
	const expected = createHmac('sha256', appSecret).update(rawBody).digest();
	const given = Buffer.from(match[1], 'hex');
	return timingSafeEqual(expected, given) ? { ok: true } : { ok: false, reason: 'signature mismatch' };
}

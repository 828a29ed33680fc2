/**
 * Meta's JSON byte format and webhook signatures.
 *
 * Meta serialises JSON like PHP's `json_encode`: every non-ASCII UTF-16 code unit becomes a `\uXXXX`
 * escape with LOWERCASE hex (astral characters such as emoji become a surrogate pair, 😮 → `\ud83d\ude2e`).
 * Graph API responses additionally escape `/` as `\/`; webhook bodies do not.
 * The webhook signature is `sha256=<lowercase hex HMAC-SHA256(appSecret, exact body bytes)>`, so anybody who
 * `JSON.parse`s and re-`stringify`s a body with non-ASCII text computes a different HMAC.
 * (reference §1.2, §4)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** `JSON.stringify` with every char ≥ U+0080 escaped as lowercase `\uXXXX`; optionally `/` → `\/`. */
export function metaJson(value: unknown, opts: { escapeSlashes?: boolean } = {}): string {
	const json = JSON.stringify(value);
	if (json === undefined) throw new TypeError('metaJson: value is not JSON-serialisable');
	const escaped = json.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
	return opts.escapeSlashes ? escaped.replace(/\//g, '\\/') : escaped;
}

/** Exact bytes of a webhook POST body as Meta sends it (pure ASCII, `/` unescaped). */
export function webhookBytes(payload: unknown): Buffer {
	return Buffer.from(metaJson(payload), 'utf8');
}

/** Exact text of a Graph API JSON response (`\/` and `\uXXXX` escapes), like `{"url":"https:\/\/…"}`. */
export function graphJson(value: unknown): string {
	return metaJson(value, { escapeSlashes: true });
}

/** `X-Hub-Signature-256` header value for these bytes: `sha256=<lowercase hex>`. */
export function signWebhook(appSecret: string, body: Buffer | string): string {
	return 'sha256=' + createHmac('sha256', appSecret).update(body).digest('hex');
}

/** Constant-time check of an `X-Hub-Signature-256` header against the raw body (what a correct receiver does). */
export function verifyWebhookSignature(appSecret: string, rawBody: Buffer | string, header: string | undefined): boolean {
	if (!header || !header.startsWith('sha256=')) return false;
	const expected = Buffer.from(signWebhook(appSecret, rawBody), 'utf8');
	const given = Buffer.from(header, 'utf8');
	return given.length === expected.length && timingSafeEqual(given, expected);
}

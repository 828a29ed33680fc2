import { createHmac } from 'node:crypto';

import { verifySignature } from '../../nodes/WhatsAutoTrigger/webhook/signature';
import { answerHandshake } from '../../nodes/WhatsAutoTrigger/webhook/handshake';

const SECRET = 'test_app_secret';
// The exact bytes of the reference's worked example (§1.2): non-ASCII escaped as Meta sends it.
const META_BODY =
	'{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Jos\\u00e9"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.TEST1","timestamp":"1749416383","type":"text","text":{"body":"Ol\\u00e1"}}]},"field":"messages"}]}]}';
const META_SIGNATURE = 'sha256=e3842096a332925228c728ab947d48d83b6f5470f473cc7e8f064826d2ddd1b8';

describe('verifySignature', () => {
	const raw = Buffer.from(META_BODY, 'utf8');

	it('accepts the worked example from the reference over the raw bytes', () => {
		expect(verifySignature(raw, META_SIGNATURE, SECRET)).toEqual({ ok: true });
	});

	it('accepts an upper-case hex digest and an array header', () => {
		expect(verifySignature(raw, [META_SIGNATURE.toUpperCase().replace('SHA256', 'sha256')], SECRET)).toEqual({ ok: true });
	});

	it('fails on the re-serialised body, which loses the \\u escapes', () => {
		const reserialised = Buffer.from(JSON.stringify(JSON.parse(META_BODY)), 'utf8');
		expect(reserialised.equals(raw)).toBe(false);
		expect(verifySignature(reserialised, META_SIGNATURE, SECRET)).toEqual({ ok: false, reason: 'signature mismatch' });
	});

	it('fails with another secret', () => {
		expect(verifySignature(raw, META_SIGNATURE, 'other_secret')).toEqual({ ok: false, reason: 'signature mismatch' });
	});

	it('fails when one byte of the body changes', () => {
		const tampered = Buffer.from(META_BODY.replace('Ol\\u00e1', 'Ol\\u00e0'), 'utf8');
		expect(verifySignature(tampered, META_SIGNATURE, SECRET).ok).toBe(false);
	});

	it.each([
		[undefined, 'missing signature header'],
		['', 'missing signature header'],
		['sha1=abc', 'malformed signature header'],
		['sha256=', 'malformed signature header'],
		['sha256=xyz', 'malformed signature header'],
		[`sha256=${'a'.repeat(63)}`, 'malformed signature header'],
		[META_SIGNATURE.replace('sha256=', ''), 'malformed signature header'],
	])('rejects header %p as %s', (header, reason) => {
		expect(verifySignature(raw, header, SECRET)).toEqual({ ok: false, reason });
	});

	it('reports a missing raw body instead of guessing one', () => {
		expect(verifySignature(undefined, META_SIGNATURE, SECRET)).toEqual({ ok: false, reason: 'no raw body' });
	});

	it('matches an HMAC computed independently for arbitrary bytes', () => {
		const bytes = Buffer.from([0x7b, 0xff, 0x00, 0x7d]);
		const header = `sha256=${createHmac('sha256', 's3cret').update(bytes).digest('hex')}`;
		expect(verifySignature(bytes, header, 's3cret')).toEqual({ ok: true });
	});
});

describe('answerHandshake', () => {
	const query = { 'hub.mode': 'subscribe', 'hub.verify_token': 'vibecoding', 'hub.challenge': '1158201444' };

	it('returns the challenge for subscribe with the right token', () => {
		expect(answerHandshake(query, 'vibecoding')).toEqual({ ok: true, challenge: '1158201444' });
	});

	it.each([
		[{ ...query, 'hub.verify_token': 'wrong' }, 'verify token mismatch'],
		[{ ...query, 'hub.verify_token': 'vibecodin' }, 'verify token mismatch'],
		[{ ...query, 'hub.verify_token': undefined }, 'verify token mismatch'],
		[{ ...query, 'hub.verify_token': ['vibecoding'] }, 'verify token mismatch'],
		[{ ...query, 'hub.mode': 'unsubscribe' }, 'not a subscribe request'],
		[{ ...query, 'hub.mode': undefined }, 'not a subscribe request'],
		[{ ...query, 'hub.challenge': '' }, 'no challenge'],
		[{ ...query, 'hub.challenge': undefined }, 'no challenge'],
	])('refuses %p (%s)', (q, reason) => {
		expect(answerHandshake(q, 'vibecoding')).toEqual({ ok: false, reason });
	});

	it('never accepts when no verify token is configured', () => {
		expect(answerHandshake({ ...query, 'hub.verify_token': '' }, '')).toEqual({ ok: false, reason: 'verify token mismatch' });
	});
});

import { timingSafeEqualString } from '../../shared/crypto';

export interface HandshakeQuery {
	'hub.mode'?: unknown;
	'hub.verify_token'?: unknown;
	'hub.challenge'?: unknown;
}

export type HandshakeResult =
	| { ok: true; challenge: string }
	| { ok: false; reason: 'not a subscribe request' | 'verify token mismatch' | 'no challenge' };

/** Meta's GET verification: 200 with the challenge only for `subscribe` with our verify token. */
export function answerHandshake(query: HandshakeQuery, verifyToken: string): HandshakeResult {
	if (query['hub.mode'] !== 'subscribe') return { ok: false, reason: 'not a subscribe request' };
	const token = query['hub.verify_token'];
	if (typeof token !== 'string' || verifyToken === '' || !timingSafeEqualString(token, verifyToken)) {
		return { ok: false, reason: 'verify token mismatch' };
	}
	const challenge = query['hub.challenge'];
	if (typeof challenge !== 'string' || challenge === '') return { ok: false, reason: 'no challenge' };
	return { ok: true, challenge };
}

/**
 * An erasure asked for over WhatsApp runs only once the person confirms it: the request waits in
 * `awaiting_confirmation` behind an interactive message with two reply buttons ("Delete all my data" /
 * "Cancel", in the person's language) whose ids name the request. Only a tap on the confirm button, from
 * the number the request is about, within 10 minutes, runs it (a typed "yes" is just a message); Cancel or
 * a late tap denies it, and so does the desk's expiry once the 10 minutes are up (List Open, Get Status and the
 * store's purge: PrivacyDesk.expireUnverified), so no stale question stays open. The pending confirmation is a
 * record taken (deleted) by exactly one tap, whichever worker receives it.
 */
import { expiryOf, MINUTE_MS, SCOPES } from '../store/scopes';
import { sendButtons, sendText } from '../transport/messages';
import type { Person } from '../store/people';
import type { PrivacyDesk } from './desk';
import type { PrivacyServices } from './fulfil';
import type { PrivacyRequest } from './lifecycle';
import { ERASE_BUTTONS, privacyMessage, resolveLanguage } from './messages';

const { privacyErasureConfirmation: PENDING, privacyExpiry: EXPIRY } = SCOPES;

/** How long the question waits for the tap. */
export const CONFIRMATION_TTL_MS = PENDING.lifetimeMs;
const MINUTES = CONFIRMATION_TTL_MS / MINUTE_MS;

export type ErasureAnswer = 'confirm' | 'cancel';

/** The ids of the two reply buttons: `whatsauto:erase:confirm:<request id>` and `whatsauto:erase:cancel:<request id>`. */
export const eraseButtonId = (answer: ErasureAnswer, requestId: string) => `whatsauto:erase:${answer}:${requestId}`;

const BUTTON_ID = /^whatsauto:erase:(confirm|cancel):(PR-\d{8}-[A-Z2-9]{6})$/;

/** The answer and request named by a reply button's id; undefined for any other id. */
export function parseEraseButton(id: unknown): { answer: ErasureAnswer; requestId: string } | undefined {
	const match = typeof id === 'string' ? BUTTON_ID.exec(id) : null;
	return match ? { answer: match[1] as ErasureAnswer, requestId: match[2] } : undefined;
}

interface PendingConfirmation {
	/** When the tap comes too late, by the desk's clock. */
	expiresAt: string;
}

export const CANCELLED_REASON = 'Cancelled by the person: nothing was deleted.';
export const EXPIRED_REASON = `Not confirmed within ${MINUTES} minutes: nothing was deleted.`;

/**
 * received → awaiting_confirmation: records the pending confirmation and sends the question with its two reply
 * buttons. A question that cannot be sent fails the request (nobody could ever confirm it).
 */
export async function askToConfirmErasure(
	svc: PrivacyServices,
	request: PrivacyRequest,
	person: Person,
): Promise<{ request: PrivacyRequest; messageId?: string }> {
	const { desk } = svc;
	const waiting = await desk.advance(request, 'awaiting_confirmation', request.channel);
	const expiresAt = expiryOf(PENDING, desk.now().getTime());
	await desk.store.putRecord({
		scope: PENDING.name,
		key: request.id,
		value: { expiresAt: expiresAt.toISOString() } satisfies PendingConfirmation,
		expiresAt,
	});
	const language = resolveLanguage(request.language);
	let messageId: string;
	try {
		messageId = await sendButtons(svc.http, svc.meta, person.recipient, {
			body: privacyMessage('erase_confirm', language, { requestId: request.id, minutes: MINUTES }),
			buttons: [
				{ id: eraseButtonId('confirm', request.id), title: ERASE_BUTTONS[language].confirm },
				{ id: eraseButtonId('cancel', request.id), title: ERASE_BUTTONS[language].cancel },
			],
		});
	} catch (error) {
		await desk.store.deleteRecord(PENDING.name, request.id);
		const failed = await desk.advance(waiting, 'failed', 'system', { reason: `The confirmation question could not be sent over WhatsApp: ${(error as Error).message}` });
		return { request: failed };
	}
	await desk.note(waiting, 'system', 'confirmation_requested', { expiresInMinutes: MINUTES });
	return { request: waiting, messageId };
}

export type ErasureAnswerOutcome =
	/** The tap of the right person in time: the request (still awaiting_confirmation) is the caller's to run. */
	| { kind: 'confirmed'; request: PrivacyRequest }
	/** Cancel, or a tap too late: the request is denied, and the person was told. */
	| { kind: 'cancelled' | 'expired'; request: PrivacyRequest; messageIds: string[] }
	/** Nothing done: the request is not waiting (already answered, by this or another tap), or is someone else's. */
	| { kind: 'not_awaiting_confirmation' | 'contact_mismatch'; request: PrivacyRequest }
	| { kind: 'unknown_request' };

/** A tap on one of the two buttons, by `person` (the sender of the button reply, whichever of their ids it came with). */
export async function answerErasure(svc: PrivacyServices, requestId: string, person: Person, answer: ErasureAnswer): Promise<ErasureAnswerOutcome> {
	const { desk } = svc;
	const request = await desk.get(requestId);
	if (!request) return { kind: 'unknown_request' };
	if (request.state !== 'awaiting_confirmation') return { kind: 'not_awaiting_confirmation', request };
	if (!person.subject || person.subject !== request.subject) return { kind: 'contact_mismatch', request };

	const pending = (await desk.store.getRecord<PendingConfirmation>(PENDING.name, requestId))?.value;
	// The desk's clock decides, as it did when the question was sent: the store's own expiry uses another clock.
	const inTime = pending !== undefined && Date.parse(pending.expiresAt) > desk.now().getTime();
	// Exactly one tap takes the pending confirmation, on whichever worker; a purged one is simply late.
	const taken = await desk.store.deleteRecord(PENDING.name, requestId);
	if (!taken && pending !== undefined) return { kind: 'not_awaiting_confirmation', request: (await desk.get(requestId)) ?? request };
	// Whoever moves a waiting request holds its expiry claim: the desk may be denying this one as unanswered right now
	// (PrivacyDesk.expireUnverified, on another worker), and then this tap does nothing.
	if (!(await desk.store.claim(EXPIRY.name, requestId, EXPIRY.lifetimeMs))) {
		return { kind: 'not_awaiting_confirmation', request: (await desk.get(requestId)) ?? request };
	}
	if (inTime && answer === 'confirm') return { kind: 'confirmed', request };

	const kind = inTime ? 'cancelled' : 'expired';
	const denied = await desk.advance(request, 'denied', inTime ? request.channel : 'system', { reason: inTime ? CANCELLED_REASON : EXPIRED_REASON });
	const language = resolveLanguage(request.language);
	const text = privacyMessage(inTime ? 'erase_cancelled' : 'erase_expired', language, { requestId, minutes: MINUTES });
	const messageIds = [await sendText(svc.http, svc.meta, person.recipient, text)];
	await desk.note(denied, 'system', 'confirmed', { messages: messageIds.length });
	return { kind, request: denied, messageIds };
}

/**
 * Erasure questions of this person left unanswered past their time: denied (expired, EXPIRED_REASON), once, as
 * List Open, Get Status and the purge do for everyone (PrivacyDesk.expireUnverified). Run when the person asks for
 * erasure again.
 */
export async function expireUnanswered(desk: PrivacyDesk, subject: string): Promise<void> {
	for (const request of await desk.history(subject)) {
		if (request.state === 'awaiting_confirmation') await desk.current(request.id);
	}
}

/**
 * Hardening of the Privacy node, through n8n-core's engine with the fake Graph API:
 *
 * - the web form can be used neither to spam a number with codes nor to guess one: codes per number per hour
 *   and per day, wrong codes per number per day and codes per client per hour are counted in the store (claims
 *   with lifetimes, keyed by keyed hashes), so every worker sees the same counts; a limited submission sends
 *   nothing and looks the same whatever the number;
 * - no accidental privacy actions: a forwarded "delete my data" is not a command, an erasure asked for over
 *   WhatsApp runs only once the same person taps the "Delete all my data" reply button (Cancel or expiry
 *   deny it), and a "Stop promotions" quick reply on a marketing template objects to marketing only.
 */
import { codeIn, DETECT_NODE, EXECUTE_NODE, itemsOf, privacySuite, type PrivacyRig, type StoreHandle } from './privacy-harness';

import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import type { IDataObject, INodeParameters, INodeProperties } from 'n8n-workflow';

import { auditPaths } from './privacy-harness';
import { WhatsAutoPrivacy } from '../../nodes/WhatsAutoPrivacy/WhatsAutoPrivacy.node';
import { DEFAULT_LIMITS } from '../../nodes/shared/privacy/limits';
import { messageRef } from '../../nodes/shared/contact';
import { ERASE_BUTTONS, privacyMessage } from '../../nodes/shared/privacy/messages';
import { msg, type WebhookMessage } from '../../devkit/fakes/webhook-payloads';
import { ACCOUNT, REPLY_NODE, sentTexts, STORE_SECRET, WA } from './reply-harness';

jest.setTimeout(90_000);

const OTHER = '447700900456';
const OPERATOR = { controllerName: 'Lucky Shrub Ltd' };
const CLIENT = '203.0.113.7';

let rig: PrivacyRig;
const { freshStore } = privacySuite({ storePrefix: 'hardening', started: (started) => (rig = started) });

/** One web-form Execute for `contact`; the node's output and what it sent. */
async function requestCode(store: StoreHandle, contact: string, parameters: INodeParameters = {}) {
	const before = rig.graph.sent.length;
	const result = await rig.runPrivacy(
		itemsOf({ phone: `+${contact}` }),
		{ operation: 'execute', requestType: 'delete', channel: 'form', operator: OPERATOR, ...parameters },
		{ store },
	);
	expect(result.error).toBeUndefined();
	const sent = rig.graph.sent.slice(before);
	const text = sent[0]?.type === 'text' ? String((sent[0].body.text as IDataObject).body) : '';
	return { out: result.out[0], sent, code: codeIn(text) };
}

async function verify(store: StoreHandle, requestId: string, code: string, contact: string, parameters: INodeParameters = {}) {
	const result = await rig.runPrivacy(itemsOf({}), { operation: 'verify', requestId, contact, code, operator: OPERATOR, ...parameters }, { store });
	expect(result.error).toBeUndefined();
	return result.out[0];
}

const wrongFor = (code: string, n = 1) => String((Number(code) + n * 111_111) % 1_000_000).padStart(6, '0');

const RATE_LIMITED = { type: 'delete', channel: 'form', codeSent: false, reason: 'rate_limited' };

// ---------------------------------------------------------------- web form limits

describe('web form: limits per number and per client, held in the store', () => {
	it('sends at most 3 codes per number per hour by default: the 4th submission sends nothing and opens no request', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		for (let i = 0; i < 3; i++) {
			const { out, sent } = await requestCode(store, WA);
			expect(out).toMatchObject({ state: 'awaiting_identity', codeSent: true });
			expect(sent).toHaveLength(1);
		}
		const requests = await raw.listRecords('privacy-request');
		const audit = await raw.listAudit();
		const limited = await requestCode(store, WA);
		expect(limited.out).toEqual(RATE_LIMITED);
		expect(limited.sent).toEqual([]);
		expect(await raw.listRecords('privacy-request')).toHaveLength(requests.length);
		expect(await raw.listAudit()).toHaveLength(audit.length);
		// another number is not affected
		expect((await requestCode(store, OTHER)).sent).toHaveLength(1);
	});

	it('answers a limited number exactly as any other: whether the business knows the number or not, the output is the same', async () => {
		const store = freshStore();
		const known = WA;
		const unknown = '15550009999';
		// the business knows WA: it wrote on WhatsApp and asked for its data
		const access = await rig.runPrivacy(itemsOf({ waId: known }), { operation: 'execute', requestType: 'access' }, { store });
		expect(access.out[0]).toMatchObject({ state: 'completed' });
		const shapes: string[][] = [];
		for (const contact of [known, unknown]) {
			for (let i = 0; i < 3; i++) shapes.push(Object.keys((await requestCode(store, contact)).out).sort());
		}
		expect(new Set(shapes.map((keys) => keys.join())).size).toBe(1);
		const a = await requestCode(store, known);
		const b = await requestCode(store, unknown);
		expect(a.out).toEqual(b.out);
		expect(a.out).toEqual(RATE_LIMITED);
		expect([a.sent, b.sent]).toEqual([[], []]);
	});

	it('sends at most 5 codes per number per day; both limits are node parameters', async () => {
		const store = freshStore();
		const hourly = { limits: { codesPerNumberPerHour: 10 } };
		for (let i = 0; i < 5; i++) expect((await requestCode(store, WA, hourly)).out).toMatchObject({ codeSent: true });
		expect((await requestCode(store, WA, hourly)).out).toEqual(RATE_LIMITED);
		// a higher daily limit lets one more through; 0 turns a limit off
		expect((await requestCode(store, WA, { limits: { codesPerNumberPerHour: 10, codesPerNumberPerDay: 6 } })).out).toMatchObject({ codeSent: true });
		expect((await requestCode(store, WA, { limits: { codesPerNumberPerHour: 0, codesPerNumberPerDay: 0 } })).out).toMatchObject({ codeSent: true });
	});

	it('limits each client: once a client key reaches its hourly limit it gets no code for any number, other clients still do', async () => {
		const store = freshStore();
		const numbers = ['15550001001', '15550001002', '15550001003'];
		const client = { clientKey: CLIENT, limits: { codesPerClientPerHour: 2 } };
		expect((await requestCode(store, numbers[0], client)).out).toMatchObject({ codeSent: true });
		expect((await requestCode(store, numbers[1], client)).out).toMatchObject({ codeSent: true });
		const limited = await requestCode(store, numbers[2], client);
		expect(limited.out).toEqual(RATE_LIMITED);
		expect(limited.sent).toEqual([]);
		// another client, and no client key at all, are not limited by it
		expect((await requestCode(store, numbers[2], { ...client, clientKey: '198.51.100.2' })).out).toMatchObject({ codeSent: true });
		expect((await requestCode(store, numbers[2])).out).toMatchObject({ codeSent: true });
		// the refused submission used none of the number's own budget: a third code still goes
		expect((await requestCode(store, numbers[2])).out).toMatchObject({ codeSent: true });
		expect((await requestCode(store, numbers[2])).out).toEqual(RATE_LIMITED);
		// by default a client gets 10 codes an hour
		const many = freshStore();
		for (let i = 0; i < 10; i++) expect((await requestCode(many, `1555000200${i}`, { clientKey: CLIENT })).out).toMatchObject({ codeSent: true });
		expect((await requestCode(many, '15550002010', { clientKey: CLIENT })).out).toEqual(RATE_LIMITED);
	});

	it('counts in the store, not in a process: two store connections (two workers) and concurrent submissions share one budget', async () => {
		const store = freshStore();
		// a second connection to the same database file, as a second n8n worker has
		const folder = join(rig.base.storeFolder, `${store.id}-worker-b`);
		mkdirSync(folder, { recursive: true });
		symlinkSync(String(store.credential.sqlitePath), join(folder, 'store.sqlite'));
		const workerB = rig.addStore(`${store.id}-worker-b`, { backend: 'sqlite', sqlitePath: join(folder, 'store.sqlite'), secretKey: STORE_SECRET });
		expect(await rig.storeOf(workerB)).not.toBe(await rig.storeOf(store));

		const results = await Promise.all([store, workerB, store, workerB, store, workerB].map(async (handle) => await requestCode(handle, WA)));
		expect(results.filter((r) => r.out.codeSent === true)).toHaveLength(3);
		expect(results.filter((r) => r.out.reason === 'rate_limited')).toHaveLength(3);
		expect(rig.graph.sent).toHaveLength(3);
	});

	it('keys its counters by keyed hashes: the claims hold neither the number, nor its pseudonym, nor the client address', async () => {
		const store = freshStore();
		await requestCode(store, WA, { clientKey: CLIENT });
		const form = await requestCode(store, OTHER, { clientKey: CLIENT });
		expect((await verify(store, String(form.out.id), wrongFor(form.code!), OTHER)).reason).toBe('wrong_code');
		const db = new DatabaseSync(String(store.credential.sqlitePath));
		try {
			const claims = db.prepare("SELECT scope, key FROM claims WHERE scope LIKE 'privacy-limit-%'").all() as Array<{ scope: string; key: string }>;
			expect([...new Set(claims.map((c) => c.scope))].sort()).toEqual([
				'privacy-limit-code-client-hour',
				'privacy-limit-code-number-day',
				'privacy-limit-code-number-hour',
				'privacy-limit-wrong-code-number-day',
			]);
			const keys = rig.keysOf(store);
			const needles = [WA, OTHER, CLIENT, keys.pseudonymise(WA), keys.pseudonymise(OTHER)];
			for (const claim of claims) for (const needle of needles) expect(claim.key).not.toContain(needle);
		} finally {
			db.close();
		}
	});

	it('caps wrong codes per number per day (10 by default) across requests: then even the right code is refused, and no new code goes', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const erase = jest.spyOn(raw, 'eraseContact');
		const codes = { limits: { codesPerNumberPerHour: 10 } };
		try {
			// three requests, three wrong codes each: 9 wrong codes
			for (let r = 0; r < 3; r++) {
				const form = await requestCode(store, WA, codes);
				for (let n = 1; n <= 3; n++) expect((await verify(store, String(form.out.id), wrongFor(form.code!, n), WA)).reason).toBe(n < 3 ? 'wrong_code' : 'too_many_attempts');
			}
			const fourth = await requestCode(store, WA, codes);
			const id = String(fourth.out.id);
			expect(await verify(store, id, wrongFor(fourth.code!), WA)).toMatchObject({ verified: false, reason: 'wrong_code', attemptsLeft: 2 });
			// the tenth wrong code was the last the number gets today: the right one is not even compared
			rig.base.resetFakes();
			const refused = await verify(store, id, fourth.code!, WA);
			expect(refused).toMatchObject({ verified: false, reason: 'rate_limited', state: 'denied' });
			expect((await (await rig.deskOf(store)).get(id))?.reason).toBe('Identity could not be verified: Too many wrong verification codes for this number today.');
			expect(erase).not.toHaveBeenCalled();
			expect(rig.graph.sent).toEqual([]);
			// and no more codes go to the number today
			expect((await requestCode(store, WA, codes)).out).toEqual(RATE_LIMITED);
			expect(rig.graph.sent).toEqual([]);
			// another number is not affected
			const other = await requestCode(store, OTHER);
			expect(await verify(store, String(other.out.id), other.code!, OTHER)).toMatchObject({ verified: true, state: 'completed' });
		} finally {
			erase.mockRestore();
		}
	});

	it('takes the wrong-code cap from the Verify node too', async () => {
		const store = freshStore();
		const form = await requestCode(store, WA);
		const id = String(form.out.id);
		const cap = { limits: { wrongCodesPerNumberPerDay: 1 } };
		expect(await verify(store, id, wrongFor(form.code!), WA, cap)).toMatchObject({ reason: 'wrong_code', attemptsLeft: 2 });
		expect(await verify(store, id, form.code!, WA, cap)).toMatchObject({ verified: false, reason: 'rate_limited', state: 'denied' });
	});

	it('shows the default limits as the Limits parameters of Execute and Verify', () => {
		const limits = new WhatsAutoPrivacy().description.properties.filter((p) => p.name === 'limits');
		expect(limits.map((p) => p.displayOptions?.show?.operation)).toEqual([['execute'], ['verify']]);
		for (const field of limits) {
			for (const option of field.options as INodeProperties[]) expect({ [option.name]: option.default }).toEqual({ [option.name]: DEFAULT_LIMITS[option.name as keyof typeof DEFAULT_LIMITS] });
		}
		expect(DEFAULT_LIMITS).toEqual({ codesPerNumberPerHour: 3, codesPerNumberPerDay: 5, wrongCodesPerNumberPerDay: 10, codesPerClientPerHour: 10 });
	});

	it('closes a request whose code page timed out (Verify without a code): denied, nothing run, the code gone', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const form = await requestCode(store, WA);
		const id = String(form.out.id);
		rig.base.resetFakes();
		expect(await verify(store, id, '', WA)).toMatchObject({ verified: false, reason: 'no_code', state: 'denied' });
		expect((await (await rig.deskOf(store)).get(id))?.reason).toBe('Identity could not be verified: No verification code was entered in time.');
		expect(await raw.getRecord('privacy-verification', id)).toBeUndefined();
		expect(rig.graph.sent).toEqual([]);
	});
});

// ---------------------------------------------------------------- no accidental privacy actions

/** Customer messages through the trigger (content by reference) → Detect → Execute | Auto-Reply. */
async function deliver(store: StoreHandle, messages: WebhookMessage[]) {
	const payload = rig.base.envelopeFor(messages);
	rig.graph.noteInbound(payload);
	const flow = await rig.runFlow(payload, { store, trigger: { options: { contentByReference: true } } });
	expect(flow.status).toBe(200);
	expect(flow.error).toBeUndefined();
	return flow;
}

const say = async (store: StoreHandle, text: string, from = WA) => await deliver(store, [msg.text(from, text)]);

/** The customer taps a reply button of the message `replyTo` (what WhatsApp sends: an interactive button_reply quoting it). */
const tap = async (store: StoreHandle, from: string, reply: { id: string; title: string }, replyTo: string) =>
	await deliver(store, [msg.buttonReply(from, reply, { context: { from: ACCOUNT.displayPhoneNumber, id: replyTo } })]);

interface Buttons {
	id: string;
	messageId: string;
	confirm: { id: string; title: string };
	cancel: { id: string; title: string };
	body: string;
}

/** The interactive reply-button message the last request sent. */
function buttonsSent(): Buttons {
	const sent = rig.graph.sent.filter((s) => s.type === 'interactive');
	expect(sent).toHaveLength(1);
	const interactive = sent[0].body.interactive as { type: string; body: { text: string }; action: { buttons: Array<{ type: string; reply: { id: string; title: string } }> } };
	expect(interactive.type).toBe('button');
	expect(interactive.action.buttons.map((b) => b.type)).toEqual(['reply', 'reply']);
	const [confirm, cancel] = interactive.action.buttons.map((b) => b.reply);
	const id = /^whatsauto:erase:confirm:(PR-\d{8}-[A-Z2-9]{6})$/.exec(confirm.id)?.[1];
	expect(id).toBeDefined();
	expect(cancel.id).toBe(`whatsauto:erase:cancel:${id}`);
	return { id: id!, messageId: sent[0].id, confirm, cancel, body: interactive.body.text };
}

/** A person with something to erase: a corrected name (profile) and an answered message (reply record). */
async function personWithData(store: StoreHandle, contact = WA) {
	await say(store, 'Do you have ferns?', contact);
	await say(store, 'correct my name to Ana Souza', contact);
	const desk = await rig.deskOf(store);
	expect(await desk.profile(desk.subjectOf(contact))).toMatchObject({ name: 'Ana Souza' });
	rig.base.resetFakes();
	return desk;
}

describe('erasure over WhatsApp waits for the "Delete all my data" button', () => {
	it('asks once, with two reply buttons in the language of the command, and erases nothing yet', async () => {
		const store = freshStore();
		const desk = await personWithData(store);
		const flow = await say(store, 'borrar mis datos');
		const request = flow.output(EXECUTE_NODE)[0].json;
		expect(request).toMatchObject({ type: 'delete', channel: 'whatsapp', language: 'es', state: 'awaiting_confirmation', confirmationMessageId: expect.any(String) });
		expect(rig.graph.sent.map((s) => s.type)).toEqual(['interactive']);
		const buttons = buttonsSent();
		expect(buttons.id).toBe(request.id);
		// the output names Meta's message by a keyed reference (the item's ids are pseudonymous: content by reference)
		expect(messageRef(rig.keysOf(store).pseudonymise, buttons.messageId)).toBe(request.confirmationMessageId);
		expect([buttons.confirm.title, buttons.cancel.title]).toEqual([ERASE_BUTTONS.es.confirm, ERASE_BUTTONS.es.cancel]);
		expect(buttons.body).toBe(privacyMessage('erase_confirm', 'es', { requestId: buttons.id, minutes: 10 }));
		// nothing erased
		expect(await desk.profile(desk.subjectOf(WA))).toMatchObject({ name: 'Ana Souza' });
		const raw = await rig.storeOf(store);
		const trail = await raw.listAudit({ requestId: buttons.id });
		expect(trail.map((entry) => entry.action)).toEqual(['received', 'transition', 'confirmation_requested']);
		expect(auditPaths(trail).get(buttons.id)).toEqual(['received', 'awaiting_confirmation']);
		expect(trail[2].detail).toEqual({ expiresInMinutes: 10 });
	});

	it('runs on the button of the same contact only: a typed "yes" or the same button from another number does nothing', async () => {
		const store = freshStore();
		const desk = await personWithData(store);
		await say(store, 'delete my data');
		const buttons = buttonsSent();
		rig.base.resetFakes();

		// typing is not confirming: "yes" is a message for the assistant
		const typed = await say(store, 'yes');
		expect(typed.runs(EXECUTE_NODE)).toBe(0);
		expect(typed.output(REPLY_NODE)[0].json).toMatchObject({ status: 'replied' });
		// nor is the button's title typed out
		const title = await say(store, buttons.confirm.title);
		expect(title.output(EXECUTE_NODE)[0].json).toMatchObject({ state: 'awaiting_confirmation' });
		expect((await desk.get(buttons.id))?.state).toBe('awaiting_confirmation');
		rig.base.resetFakes();

		// someone else's number with the same button id
		const stranger = await tap(store, OTHER, buttons.confirm, buttons.messageId);
		expect(stranger.output(EXECUTE_NODE)[0].json).toMatchObject({ confirmed: false, reason: 'contact_mismatch' });
		expect(rig.graph.sent).toEqual([]);
		expect((await desk.get(buttons.id))?.state).toBe('awaiting_confirmation');
		expect(await desk.profile(desk.subjectOf(WA))).toMatchObject({ name: 'Ana Souza' });

		// the person's own tap
		const confirmed = await tap(store, WA, buttons.confirm, buttons.messageId);
		expect(confirmed.output(DETECT_NODE, 0)[0].json.privacy).toMatchObject({ type: 'delete', confirmation: 'confirm', requestId: buttons.id });
		const done = confirmed.output(EXECUTE_NODE)[0].json;
		expect(done).toMatchObject({ id: buttons.id, type: 'delete', state: 'completed', confirmed: true });
		expect(sentTexts(rig.graph)).toEqual([privacyMessage('delete_done', 'en', { requestId: buttons.id })]);
		expect(await desk.profile(desk.subjectOf(WA))).toBeUndefined();
		const raw = await rig.storeOf(store);
		expect(auditPaths(await raw.listAudit({ requestId: buttons.id })).get(buttons.id)).toEqual(['received', 'awaiting_confirmation', 'in_progress', 'completed']);
		// a second tap (or a redelivery) runs nothing again
		rig.base.resetFakes();
		const again = await tap(store, WA, buttons.confirm, buttons.messageId);
		expect(again.output(EXECUTE_NODE)[0].json).toMatchObject({ confirmed: false, reason: 'not_awaiting_confirmation', state: 'completed' });
		expect(rig.graph.sent).toEqual([]);
	});

	it('Cancel denies the request and deletes nothing, and says so', async () => {
		const store = freshStore();
		const desk = await personWithData(store);
		await say(store, 'delete my data');
		const buttons = buttonsSent();
		rig.base.resetFakes();
		const cancelled = await tap(store, WA, buttons.cancel, buttons.messageId);
		expect(cancelled.output(EXECUTE_NODE)[0].json).toMatchObject({ id: buttons.id, state: 'denied', confirmed: false, reason: 'Cancelled by the person: nothing was deleted.' });
		expect(sentTexts(rig.graph)).toEqual([privacyMessage('erase_cancelled', 'en', { requestId: buttons.id })]);
		expect(await desk.profile(desk.subjectOf(WA))).toMatchObject({ name: 'Ana Souza' });
		// the confirm button of a cancelled request does nothing
		rig.base.resetFakes();
		expect((await tap(store, WA, buttons.confirm, buttons.messageId)).output(EXECUTE_NODE)[0].json).toMatchObject({ reason: 'not_awaiting_confirmation' });
		expect(await desk.profile(desk.subjectOf(WA))).toMatchObject({ name: 'Ana Souza' });
	});

	it('expires after 10 minutes: a late tap denies the request, deletes nothing and tells how to ask again', async () => {
		const store = freshStore();
		const desk = await personWithData(store);
		const raw = await rig.storeOf(store);
		await say(store, 'hapus data saya');
		const buttons = buttonsSent();
		const pending = await raw.getRecord<IDataObject>('privacy-erasure-confirmation', buttons.id);
		expect(pending).toBeDefined();
		expect(pending!.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(10 * 60_000);
		const past = new Date(Date.now() - 1000);
		await raw.putRecord({ scope: 'privacy-erasure-confirmation', key: buttons.id, value: { ...pending!.value, expiresAt: past.toISOString() }, expiresAt: past });
		rig.base.resetFakes();
		const late = await tap(store, WA, buttons.confirm, buttons.messageId);
		expect(late.output(EXECUTE_NODE)[0].json).toMatchObject({ state: 'denied', confirmed: false, reason: 'Not confirmed within 10 minutes: nothing was deleted.' });
		expect(sentTexts(rig.graph)).toEqual([privacyMessage('erase_expired', 'id', { requestId: buttons.id, minutes: 10 })]);
		expect(await desk.profile(desk.subjectOf(WA))).toMatchObject({ name: 'Ana Souza' });
	});
});

describe('forwarded messages are never commands', () => {
	it('sends a forwarded "delete my data" or STOP to Not Privacy, whatever the spelling of the flag', async () => {
		const store = freshStore();
		const [forwarded, often] = rig.base.inbound([
			msg.text(WA, 'delete my data', { context: { forwarded: true } }),
			msg.text(WA, 'STOP', { context: { frequently_forwarded: true } }),
		]);
		expect(forwarded.json.context).toMatchObject({ forwarded: true });
		expect(often.json.context).toMatchObject({ frequentlyForwarded: true });
		const snake = { json: { kind: 'message', messageId: 'wamid.fwd-3', type: 'text', text: 'delete my data', from: { waId: WA }, context: { frequently_forwarded: true } } };
		const typed = { json: { kind: 'message', messageId: 'wamid.own-4', type: 'text', text: 'delete my data', from: { waId: WA } } };
		const run = await rig.runPrivacy([forwarded, often, snake, typed], { operation: 'detect' }, { store });
		expect(run.outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 3 }]);
		expect(run.outputs[1].map((item) => item.pairedItem)).toEqual([0, 1, 2].map((item) => ({ item })));

		// through the whole flow: the assistant answers, nothing is requested
		const flow = await deliver(store, [msg.text(WA, 'delete my data', { context: { forwarded: true } })]);
		expect(flow.runs(EXECUTE_NODE)).toBe(0);
		expect(flow.output(REPLY_NODE)[0].json).toMatchObject({ status: 'replied' });
		expect(await (await rig.storeOf(store)).listRecords('privacy-request')).toEqual([]);
	});
});

describe('quick-reply buttons of templates', () => {
	it('"Stop promotions" on a marketing template objects to marketing only: the assistant goes on answering', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const subject = rig.keysOf(store).pseudonymise(WA);
		const flow = await deliver(store, [msg.button(WA, { payload: 'Stop promotions', text: 'Stop promotions' })]);
		expect(flow.output(DETECT_NODE, 0)[0].json.privacy).toMatchObject({ type: 'object', scope: 'marketing', source: 'template_button' });
		const request = flow.output(EXECUTE_NODE)[0].json;
		expect(request).toMatchObject({ type: 'object', channel: 'whatsapp', scope: 'marketing', state: 'completed' });
		expect((await raw.getRecord('suppression', subject))?.value).toEqual({ ai: false, marketing: true, since: expect.any(String) });
		expect(sentTexts(rig.graph)).toEqual([privacyMessage('object_marketing_done', 'en', { requestId: String(request.id) })]);
		rig.base.resetFakes();
		expect((await say(store, 'Which plants are good for a dark room?')).output(REPLY_NODE)[0].json).toMatchObject({ status: 'replied' });
	});

	it('reads the payload when the label is not a command, and keeps typed STOP a full objection', async () => {
		const store = freshStore();
		const items = rig.base.inbound([msg.button(WA, { payload: 'STOP', text: 'No thanks' }), msg.button(WA, { payload: 'resume-offers', text: 'Resume promotions' }), msg.text(WA, 'STOP')]);
		const run = await rig.runPrivacy(items, { operation: 'detect' }, { store });
		expect(run.outputs[0].map((item) => item.json.privacy)).toEqual([
			expect.objectContaining({ type: 'object', scope: 'marketing', source: 'template_button' }),
			expect.objectContaining({ type: 'object', scope: 'all', source: 'message' }),
		]);
		expect(run.outputs[1].map((item) => item.pairedItem)).toEqual([{ item: 1 }]);
	});
});

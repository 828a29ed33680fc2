/**
 * The Privacy node's operations run directly (Input → Privacy) by n8n-core's engine, against the fake Graph
 * API and a store of their own: Execute (access export as a WhatsApp document or binary data, correction,
 * deadlines, failures), the two identity paths (WhatsApp sender; web form with a 6-digit code: expiry,
 * three attempts, wrong contact, repeated requests), Get Status, List Open and Extend.
 */
import { auditPaths, codeIn, holdsCode, itemsOf, PRIVACY_NODE, privacySuite, type PrivacyRig, type PrivacyRunOptions, type StoreHandle } from './privacy-harness';

import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import { NodeConnectionTypes, type IDataObject, type INodeParameters } from 'n8n-workflow';

import { keepByReference } from '../../nodes/shared/store/contentByReference';
import { checkCode, CODE_TTL_MS, issueCode } from '../../nodes/shared/privacy/identity';
import { dueDate, extend, type PrivacyRequest } from '../../nodes/shared/privacy/lifecycle';
import { privacyMessage } from '../../nodes/shared/privacy/messages';
import { msg } from '../../devkit/fakes/webhook-payloads';
import { REPLY_NODE, sentTexts, WA } from './reply-harness';

jest.setTimeout(60_000);

const DAY = 24 * 60 * 60 * 1000;
const OTHER = '447700900456';
const OPERATOR = { controllerName: 'Lucky Shrub Ltd', contact: 'privacy@luckyshrub.example', supervisoryAuthority: 'CNIL (cnil.fr)' };
/** Every code sent in this file: none may appear anywhere but in the fake Graph API's record of the send. */
const CODES: string[] = [];

let rig: PrivacyRig;
const { freshStore } = privacySuite({
	storePrefix: 'requests',
	started: async (started) => {
		rig = started;
		await Container.get(BinaryDataService).init();
	},
});

const run = async (store: StoreHandle, items: IDataObject[], parameters: INodeParameters, options: Partial<PrivacyRunOptions> = {}) =>
	await rig.runPrivacy(itemsOf(...items), { operator: OPERATOR, ...parameters }, { store, ...options });

const execute = async (store: StoreHandle, parameters: INodeParameters, item: IDataObject = { waId: WA }) => {
	const result = await run(store, [item], { operation: 'execute', ...parameters });
	expect(result.error).toBeUndefined();
	return result.out[0];
};

/** These tests are about codes, not about how many a number gets (privacy-hardening.engine.test.ts): no code limits. */
const NO_CODE_LIMITS = { limits: { codesPerNumberPerHour: 0, codesPerNumberPerDay: 0 } };

/** A web-form request: the code it sent (read from the fake Graph API) and the node's output. */
async function formRequest(store: StoreHandle, parameters: INodeParameters = {}, contact = WA) {
	const before = rig.graph.sent.length;
	const out = await execute(store, { requestType: 'delete', channel: 'form', ...NO_CODE_LIMITS, ...parameters }, { phone: `+${contact}` });
	const sent = rig.graph.sent.slice(before);
	expect(sent).toHaveLength(1);
	const text = sent[0].type === 'text' ? String((sent[0].body.text as IDataObject).body) : '';
	const code = sent[0].type === 'template' ? String(((sent[0].body.template as IDataObject).components as Array<{ parameters: Array<{ text: string }> }>)[0].parameters[0].text) : codeIn(text)!;
	expect(code).toMatch(/^\d{6}$/);
	CODES.push(code);
	return { out, id: String(out.id), code, sent: sent[0], text };
}

const verify = async (store: StoreHandle, requestId: string, code: string, contact = WA, parameters: INodeParameters = {}) => {
	const result = await run(store, [{}], { operation: 'verify', requestId, contact, code, ...parameters });
	expect(result.error).toBeUndefined();
	for (const c of CODES) expect(holdsCode(JSON.stringify(result.outputs), c)).toBe(false);
	return result.out[0];
};

// ---------------------------------------------------------------- Execute: access

describe('Execute: access', () => {
	const MEMORY = 'Please keep my order 7781 for Friday';
	const EXPIRED = 'This one has expired already';
	const OTHERS = 'Someone else entirely';
	let store: StoreHandle;
	let ids: Record<string, string>;

	beforeAll(async () => {
		store = freshStore();
		const raw = await rig.storeOf(store);
		const keys = rig.keysOf(store);
		ids = {};
		// reply history: one message answered by the Auto-Reply node on this store
		const reply = rig.base.replyNode({ credentials: { whatsAutoStoreApi: store.id } });
		const answered = await rig.runNodes(rig.base.inbound([msg.text(WA, 'Do you have monstera plants?')]), [reply], {
			Input: { main: [[{ node: REPLY_NODE, type: NodeConnectionTypes.Main, index: 0 }]] },
		});
		expect(answered.output(REPLY_NODE)[0].json).toMatchObject({ status: 'replied' });
		// conversation memory kept by reference: one within its time-to-live, one expired, one of someone else
		await keepByReference(raw, keys, { kind: 'message', messageId: 'wamid.mem-1', type: 'text', contactKey: WA, text: MEMORY }, 3_600_000);
		await keepByReference(raw, keys, { kind: 'message', messageId: 'wamid.mem-2', type: 'text', contactKey: WA, text: EXPIRED }, 1);
		await keepByReference(raw, keys, { kind: 'message', messageId: 'wamid.mem-3', type: 'text', contactKey: OTHER, text: OTHERS }, 3_600_000);
		await new Promise((resolve) => setTimeout(resolve, 20));
		// profile and a marketing objection
		ids.correct = String((await execute(store, { requestType: 'correct', correctedName: 'Ana Souza', correctedLanguage: 'pt' })).id);
		ids.marketing = String((await execute(store, {}, { waId: WA, privacy: { type: 'object', scope: 'marketing', source: 'user_preferences' } })).id);
	});

	it('sends the export as a WhatsApp document (upload, document message, summary text) with everything held', async () => {
		rig.base.resetFakes();
		const out = await execute(store, { requestType: 'access', delivery: 'whatsapp' });
		ids.access = String(out.id);
		expect(out).toMatchObject({ type: 'access', channel: 'whatsapp', state: 'completed' });
		expect(out).not.toHaveProperty('subject');
		expect(out.confirmationIds).toHaveLength(2);

		// upload, then the document with it, then the summary
		expect(rig.graph.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
			'POST /v23.0/106540352242922/media',
			'POST /v23.0/106540352242922/messages',
			'POST /v23.0/106540352242922/messages',
		]);
		expect(rig.graph.uploads).toHaveLength(1);
		const upload = rig.graph.uploads[0];
		expect(upload).toMatchObject({ mimeType: 'text/plain', filename: `${ids.access}-personal-data.txt` });
		expect(rig.graph.sent.map((s) => [s.type, s.to])).toEqual([
			['document', WA],
			['text', WA],
		]);
		const document = rig.graph.sent[0].body.document as IDataObject;
		expect(document).toEqual({ id: upload.id, filename: upload.filename, caption: privacyMessage('access_done', 'en', { requestId: ids.access }) });
		expect(sentTexts(rig.graph)[0]).toBe(
			privacyMessage('access_summary', 'en', {
				requestId: ids.access,
				summary: ['Profile: yes', 'Messages still held (encrypted, expiring): 1', 'Reply records: 1', 'Privacy requests: 3', 'AI replies: active, marketing: objected'].join('\n'),
			}),
		);

		const exported = JSON.parse(rig.graph.getMedia(upload.id)!.bytes.toString('utf8')) as IDataObject;
		expectExport(exported, ids.access);
		// the node's output carries none of it
		const output = JSON.stringify(out);
		for (const needle of [MEMORY, 'Ana Souza']) expect(output).not.toContain(needle);
	});

	function expectExport(exported: IDataObject, requestId: string): void {
		const subject = rig.keysOf(store).pseudonymise(WA);
		expect(exported).toMatchObject({
			format: 'whatsauto-access-export/v1',
			requestId,
			subject: { whatsappId: WA, pseudonym: subject },
			profile: { name: 'Ana Souza', language: 'pt', updatedAt: expect.any(String) },
			processingState: { aiReplies: 'active', marketing: 'objected', since: expect.any(String) },
		});
		// memory within its time-to-live only, and only this person's
		const memory = exported.conversationMemory as Array<{ content: { content: IDataObject }; expiresAt: string }>;
		expect(memory).toHaveLength(1);
		expect(memory[0].content.content).toMatchObject({ text: MEMORY });
		expect(Date.parse(memory[0].expiresAt)).toBeGreaterThan(Date.now());
		const text = JSON.stringify(exported);
		expect(text).not.toContain(EXPIRED);
		expect(text).not.toContain(OTHERS);
		expect(text).not.toContain(OTHER);
		// reply history: the Auto-Reply outcome, metadata only
		const replies = exported.replyHistory as IDataObject[];
		expect(replies).toHaveLength(1);
		// reply records keep Meta's message ids as keyed references only (a wamid is the number in base64)
		expect(replies[0]).toMatchObject({ status: 'replied', graphMessageIds: [expect.stringMatching(/^m:[0-9a-f]{64}$/)], recordedAt: expect.any(String) });
		// request history, this request included
		const requests = exported.privacyRequests as IDataObject[];
		expect(requests.map((r) => r.id)).toEqual(expect.arrayContaining([ids.correct, ids.marketing, requestId]));
		expect(requests.find((r) => r.id === requestId)).toMatchObject({ type: 'access', state: 'in_progress' });
		expect(requests.find((r) => r.id === ids.marketing)).toMatchObject({ type: 'object', channel: 'meta_preferences', state: 'completed' });
		// Art. 15 information: controller, recipients naming OpenAI and Meta, retention, rights, complaint
		const information = exported.information as IDataObject;
		expect(information).toMatchObject({
			controller: { name: OPERATOR.controllerName, contact: OPERATOR.contact },
			complaint: { authority: OPERATOR.supervisoryAuthority },
		});
		const recipients = (information.recipients as IDataObject[]).map((r) => r.name);
		expect(recipients).toEqual(expect.arrayContaining(['OpenAI', 'Meta Platforms']));
		expect(JSON.stringify(information.recipients)).toContain('not used to train');
		expect((information.rights as IDataObject[]).map((r) => r.right)).toEqual(expect.arrayContaining(['access', 'rectification', 'erasure', 'objection', 'portability']));
		expect(information).toHaveProperty('retention.messageContent');
		expect(information).toHaveProperty('automatedDecisionMaking.privacyActions');
	}

	it('hands the export over as binary data instead (e.g. for an e-mail), confirming on WhatsApp without a document', async () => {
		rig.base.resetFakes();
		const result = await run(store, [{ waId: WA }], { operation: 'execute', requestType: 'access', delivery: 'binary' });
		expect(result.error).toBeUndefined();
		const [item] = result.outputs[0];
		const id = String(item.json.id);
		expect(item.binary?.data).toMatchObject({ mimeType: 'application/json', fileName: `${id}-personal-data.json` });
		const exported = JSON.parse((await Container.get(BinaryDataService).getAsBuffer(item.binary!.data)).toString('utf8')) as IDataObject;
		expectExport(exported, id);
		expect(rig.graph.uploads).toEqual([]);
		expect(sentTexts(rig.graph)).toEqual([privacyMessage('access_done', 'en', { requestId: id })]);
	});

	it('does both when asked, and sends nothing at all without confirmations', async () => {
		rig.base.resetFakes();
		const both = await run(store, [{ waId: WA }], { operation: 'execute', requestType: 'access', delivery: 'both' });
		expect(both.outputs[0][0].binary?.data).toBeDefined();
		expect(rig.graph.uploads).toHaveLength(1);
		expect(rig.graph.sent.map((s) => s.type)).toEqual(['document', 'text']);

		rig.base.resetFakes();
		const quiet = await run(store, [{ waId: WA }], { operation: 'execute', requestType: 'access', delivery: 'binary', sendConfirmation: false });
		expect(quiet.outputs[0][0].binary?.data).toBeDefined();
		expect(quiet.out[0]).toMatchObject({ state: 'completed', confirmationIds: [] });
		expect(rig.graph.requests).toEqual([]);
	});
});

// ---------------------------------------------------------------- Execute: correction, deadlines, failures

describe('Execute: correction, deadlines and failures', () => {
	it('updates the profile with a correction, keeps fields it was not asked to change, and says what changed', async () => {
		const store = freshStore();
		const desk = await rig.deskOf(store);
		const first = await execute(store, { requestType: 'correct', correctedName: '  Ana Souza ', correctedLanguage: 'pt', language: 'pt' });
		expect(first).toMatchObject({ type: 'correct', state: 'completed', fields: ['name', 'language'], results: [{ store: 'profile', outcome: 'done', count: 2 }] });
		expect(await desk.profile(desk.subjectOf(WA))).toMatchObject({ name: 'Ana Souza', language: 'pt' });
		expect(sentTexts(rig.graph)).toEqual([privacyMessage('correct_done', 'pt', { requestId: String(first.id), fields: 'name, language' })]);

		const second = await execute(store, { requestType: 'correct', correctedName: 'Ana Souza Lima' });
		expect(second).toMatchObject({ fields: ['name'], state: 'completed' });
		expect(await desk.profile(desk.subjectOf(WA))).toMatchObject({ name: 'Ana Souza Lima', language: 'pt' });
		expect(JSON.stringify([first, second])).not.toContain('Ana Souza');

		rig.base.resetFakes();
		const nothing = await execute(store, { requestType: 'correct' });
		expect(nothing).toMatchObject({ state: 'completed', results: [{ store: 'profile', outcome: 'none', count: 0 }] });
		expect(sentTexts(rig.graph)).toEqual([privacyMessage('correct_nothing', 'en', { requestId: String(nothing.id) })]);
	});

	it('sets the deadline to one month (GDPR) or 45 days (CCPA) from receipt', async () => {
		const store = freshStore();
		const month = (await execute(store, { requestType: 'object', deadline: 'one_month' })) as unknown as PrivacyRequest;
		expect(month.dueAt).toBe(dueDate(new Date(month.receivedAt), 'one_month').toISOString());
		const days = (await execute(store, { requestType: 'resume', deadline: '45_days' })) as unknown as PrivacyRequest;
		expect(Date.parse(days.dueAt) - Date.parse(days.receivedAt)).toBe(45 * DAY);
		const audit = await (await rig.storeOf(store)).listAudit({ requestId: days.id });
		expect(audit[0].detail).toMatchObject({ dueAt: days.dueAt, type: 'resume', channel: 'whatsapp' });
	});

	it('fails a request cleanly when the store fails mid-way: state failed, audit entry, "failed" confirmation in the language', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const erase = jest.spyOn(raw, 'eraseContact').mockRejectedValue(new Error('disk I/O error at /var/lib/whatsauto'));
		try {
			// an erasure over WhatsApp runs once the person taps "Delete all my data"
			const asked = await execute(store, { requestType: 'delete', language: 'pt' });
			expect(asked).toMatchObject({ type: 'delete', state: 'awaiting_confirmation' });
			const out = await execute(store, {}, { waId: WA, privacy: { type: 'delete', confirmation: 'confirm', requestId: String(asked.id) } });
			expect(out).toMatchObject({ id: asked.id, type: 'delete', state: 'failed', reason: 'Internal error: Error' });
			expect(JSON.stringify(out)).not.toContain('/var/lib');
			expect(sentTexts(rig.graph)).toEqual([privacyMessage('failed', 'pt', { requestId: String(out.id), business: OPERATOR.controllerName })]);
			const paths = auditPaths(await raw.listAudit({ requestId: String(out.id) }));
			expect(paths.get(String(out.id))).toEqual(['received', 'awaiting_confirmation', 'in_progress', 'failed']);
		} finally {
			erase.mockRestore();
		}
	});

	it('explains what is missing: a contact, a request type, a store secret; continue-on-fail goes on with the next item', async () => {
		const store = freshStore();
		const noContact = await run(store, [{}], { operation: 'execute', requestType: 'access' });
		expect(noContact.error?.message).toMatch(/^No contact: set "Contact"/);
		const noType = await run(store, [{ waId: WA, privacy: { type: 'summon' } }], { operation: 'execute' });
		expect(noType.error?.message).toBe('Unknown request type "summon". Connect the privacy output of Detect or choose a type.');
		const both = await run(store, [{}, { waId: WA }], { operation: 'execute', requestType: 'object' }, { continueOnFail: true });
		expect(both.out).toEqual([{ error: expect.stringMatching(/^No contact: set "Contact"/) }, expect.objectContaining({ type: 'object', state: 'completed' })]);
		expect(both.outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);

		const keyless = rig.addStore('requests-keyless', { backend: 'sqlite', sqlitePath: `${rig.base.storeFolder}/keyless.sqlite` });
		const noKey = await run(keyless, [{ waId: WA }], { operation: 'execute', requestType: 'access' });
		expect(noKey.error?.message).toMatch(/needs a WhatsAuto: Store API credential with a Secret Key/);
	});
});

// ---------------------------------------------------------------- identity

describe('identity: the WhatsApp sender', () => {
	it('needs no code: received → in_progress → completed, nothing but the confirmation sent', async () => {
		const store = freshStore();
		const out = await execute(store, { requestType: 'object', channel: 'whatsapp' });
		expect(out).toMatchObject({ channel: 'whatsapp', state: 'completed' });
		expect(rig.graph.sent).toHaveLength(1);
		expect(codeIn(sentTexts(rig.graph)[0])).toBeUndefined();
		const raw = await rig.storeOf(store);
		expect(auditPaths(await raw.listAudit()).get(String(out.id))).toEqual(['received', 'in_progress', 'completed']);
		expect(await raw.listRecords('privacy-verification')).toEqual([]);
	});
});

describe('identity: web form with a code', () => {
	it('sends a 6-digit code over WhatsApp, keeps only its hash, and runs the request once it is verified', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const form = await formRequest(store, { language: 'ar' });
		expect(form.out).toMatchObject({ type: 'delete', channel: 'form', state: 'awaiting_identity', codeSentTo: '••••234', codeMessageId: expect.any(String) });
		expect(form.sent).toMatchObject({ type: 'text', to: WA });
		expect(form.text).toBe(privacyMessage('verification_code', 'ar', { business: OPERATOR.controllerName, code: form.code, minutes: 10 }));
		const pending = await raw.getRecord<IDataObject>('privacy-verification', form.id);
		expect(Object.keys(pending!.value).sort()).toEqual(['codeHash', 'expiresAt']);
		expect(holdsCode(JSON.stringify(pending), form.code)).toBe(false);
		expect(Date.parse(String(pending!.value.expiresAt)) - Date.now()).toBeLessThanOrEqual(CODE_TTL_MS);

		rig.base.resetFakes();
		const done = await verify(store, form.id, ` ${form.code.slice(0, 3)} ${form.code.slice(3)} `, `+${WA}`);
		expect(done).toMatchObject({ id: form.id, verified: true, state: 'completed' });
		expect(sentTexts(rig.graph)).toEqual([privacyMessage('delete_done', 'ar', { requestId: form.id })]);
		expect(await raw.getRecord('privacy-verification', form.id)).toBeUndefined();
		const audit = await raw.listAudit({ requestId: form.id });
		expect(audit.map((entry) => entry.action)).toEqual(['received', 'transition', 'code_sent', 'identity_verified', 'transition', 'transition', 'confirmed']);
		expect(auditPaths(audit).get(form.id)).toEqual(['received', 'awaiting_identity', 'in_progress', 'completed']);
	});

	it('sends the code in an approved template when one is named (needed outside the 24-hour window)', async () => {
		const store = freshStore();
		const form = await formRequest(store, { channel: 'email', codeTemplateName: 'verification_code', codeTemplateLanguage: 'pt_BR' });
		expect(form.sent.type).toBe('template');
		expect(form.sent.body.template).toMatchObject({ name: 'verification_code', language: { code: 'pt_BR' } });
		expect((await verify(store, form.id, form.code)).state).toBe('completed');
	});

	it('expires the code after 10 minutes (record expiry): denied, and the right code cannot revive it', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const form = await formRequest(store);
		const pending = await raw.getRecord<IDataObject>('privacy-verification', form.id);
		const past = new Date(Date.now() - 1000);
		await raw.putRecord({ scope: 'privacy-verification', key: form.id, value: { ...pending!.value, expiresAt: past.toISOString() }, expiresAt: past });

		rig.base.resetFakes();
		const expired = await verify(store, form.id, form.code);
		expect(expired).toMatchObject({ verified: false, reason: 'expired', state: 'denied' });
		expect((await rig.deskOf(store).then((desk) => desk.get(form.id)))?.reason).toBe('Identity could not be verified: The verification code expired.');
		expect(await verify(store, form.id, form.code)).toMatchObject({ verified: false, reason: 'not_awaiting_identity', state: 'denied' });
		expect(rig.graph.sent).toEqual([]); // nothing was erased, nothing confirmed
		expect(auditPaths(await raw.listAudit({ requestId: form.id })).get(form.id)).toEqual(['received', 'awaiting_identity', 'denied']);
	});

	it('expires the code by the desk clock too: 10 minutes later it no longer verifies, a second earlier it does', async () => {
		const store = freshStore();
		const base = Date.now();
		let offset = 0;
		const desk = await rig.deskOf(store, () => new Date(base + offset));
		const late = await desk.open('access', 'form', WA);
		const lateCode = await issueCode(desk, late.id);
		offset = CODE_TTL_MS + 1000;
		expect(await checkCode(desk, late.id, lateCode)).toEqual({ ok: false, reason: 'expired', attemptsLeft: 0 });

		offset = 0;
		const early = await desk.open('access', 'form', WA);
		const earlyCode = await issueCode(desk, early.id);
		offset = CODE_TTL_MS - 1000;
		expect(await checkCode(desk, early.id, earlyCode)).toEqual({ ok: true });
	});

	it('allows three attempts: two wrong codes leave 2 and 1 tries, the third denies for good', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const form = await formRequest(store);
		const wrong = form.code === '000000' ? '000001' : '000000';
		rig.base.resetFakes();
		expect(await verify(store, form.id, wrong)).toMatchObject({ verified: false, reason: 'wrong_code', attemptsLeft: 2, state: 'awaiting_identity' });
		expect(await verify(store, form.id, 'abc')).toMatchObject({ verified: false, reason: 'wrong_code', attemptsLeft: 1, state: 'awaiting_identity' });
		expect(await verify(store, form.id, wrong)).toMatchObject({ verified: false, reason: 'too_many_attempts', state: 'denied' });
		expect(await verify(store, form.id, form.code)).toMatchObject({ verified: false, reason: 'not_awaiting_identity', state: 'denied' });
		expect(rig.graph.sent).toEqual([]);
		const audit = await raw.listAudit({ requestId: form.id });
		expect(audit.filter((entry) => entry.action === 'verification_failed').map((entry) => entry.detail)).toEqual([{ attemptsLeft: 2 }, { attemptsLeft: 1 }]);
		expect(audit.at(-1)).toMatchObject({ toState: 'denied', detail: { reason: 'Identity could not be verified: Too many wrong verification codes.' } });
	});

	it('counts concurrent guesses together: three attempts in all, the right code after them is refused', async () => {
		const store = freshStore();
		const desk = await rig.deskOf(store);
		const request = await desk.open('delete', 'form', WA);
		const code = await issueCode(desk, request.id);
		const wrong = code === '999999' ? '999998' : '999999';
		const results = await Promise.all(Array.from({ length: 8 }, async () => await checkCode(desk, request.id, wrong)));
		expect(results.filter((r) => !r.ok && r.reason === 'wrong_code')).toHaveLength(2);
		expect(results.every((r) => !r.ok)).toBe(true);
		expect(await checkCode(desk, request.id, code)).toMatchObject({ ok: false });
	});

	it('denies the request when the code comes back with another number, running nothing', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		const erase = jest.spyOn(raw, 'eraseContact');
		try {
			const form = await formRequest(store);
			rig.base.resetFakes();
			const denied = await verify(store, form.id, form.code, OTHER);
			expect(denied).toMatchObject({ verified: false, reason: 'contact_mismatch', state: 'denied' });
			expect((await (await rig.deskOf(store)).get(form.id))?.reason).toBe('Identity could not be verified: The number does not match the request.');
			expect(erase).not.toHaveBeenCalled();
			expect(rig.graph.sent).toEqual([]);
			expect(await verify(store, form.id, form.code, WA)).toMatchObject({ reason: 'not_awaiting_identity', state: 'denied' });
			expect(erase).not.toHaveBeenCalled();
			const empty = await verify(store, (await formRequest(store)).id, CODES.at(-1)!, '');
			expect(empty).toMatchObject({ reason: 'contact_mismatch', state: 'denied' });
		} finally {
			erase.mockRestore();
		}
	});

	it('never lets a repeated request skip verification', async () => {
		const store = freshStore();
		const raw = await rig.storeOf(store);
		// the same number already proved itself on WhatsApp: the form still asks for a code
		expect(await execute(store, { requestType: 'access', channel: 'whatsapp' })).toMatchObject({ state: 'completed' });
		// (access requests: a verified erasure would unlink the person's other requests, which is tested elsewhere)
		const first = await formRequest(store, { requestType: 'access' });
		const second = await formRequest(store, { requestType: 'access' });
		expect(first.out.state).toBe('awaiting_identity');
		expect(second.out.state).toBe('awaiting_identity');
		expect(second.id).not.toBe(first.id);
		// codes are bound to their request: the first code does not open the second request
		if (first.code !== second.code) {
			expect(await verify(store, second.id, first.code)).toMatchObject({ verified: false, reason: 'wrong_code', state: 'awaiting_identity' });
		}
		expect(await verify(store, second.id, second.code)).toMatchObject({ verified: true, state: 'completed' });
		expect(await verify(store, first.id, first.code)).toMatchObject({ verified: true, state: 'completed' });

		// replaying a successful verification runs nothing again
		rig.base.resetFakes();
		const trail = await raw.listAudit({ requestId: second.id });
		expect(await verify(store, second.id, second.code)).toMatchObject({ verified: false, reason: 'not_awaiting_identity', state: 'completed' });
		expect(rig.graph.sent).toEqual([]);
		expect(await raw.listAudit({ requestId: second.id })).toEqual(trail);

		// the same request twice in one batch: two requests, two codes, both waiting
		const batch = await run(store, [{ waId: WA }, { waId: WA }], { operation: 'execute', requestType: 'delete', channel: 'form', ...NO_CODE_LIMITS });
		expect(batch.out.map((o) => o.state)).toEqual(['awaiting_identity', 'awaiting_identity']);
		expect(new Set(batch.out.map((o) => o.id)).size).toBe(2);
		expect(rig.graph.sent).toHaveLength(2);
		for (const text of sentTexts(rig.graph)) CODES.push(codeIn(text)!);
		// a request that never waited for a code cannot be "verified"
		const direct = await execute(store, { requestType: 'object', channel: 'whatsapp' });
		expect(await verify(store, String(direct.id), '123456')).toMatchObject({ verified: false, reason: 'not_awaiting_identity', state: 'completed' });
		const unknown = await run(store, [{}], { operation: 'verify', requestId: 'PR-20260101-ZZZZZZ', contact: WA, code: '123456' });
		expect(unknown.error?.message).toBe('No privacy request PR-20260101-ZZZZZZ.');
	});

	it('applies a verified correction from the form fields', async () => {
		const store = freshStore();
		const form = await formRequest(store, { requestType: 'correct', correctedName: 'Ana Souza' });
		expect(form.out.fields).toEqual(['name']);
		const done = await verify(store, form.id, form.code, WA, { correctedName: 'Ana Souza' });
		expect(done).toMatchObject({ verified: true, state: 'completed', results: [{ store: 'profile', outcome: 'done', count: 1 }] });
		const desk = await rig.deskOf(store);
		expect(await desk.profile(desk.subjectOf(WA))).toMatchObject({ name: 'Ana Souza' });
	});
});

// ---------------------------------------------------------------- Get Status, List Open, Extend

describe('Get Status', () => {
	it('reports a request by id, and says when there is none', async () => {
		const store = freshStore();
		const form = await formRequest(store);
		const status = await run(store, [{ requestId: form.id }], { operation: 'getStatus' });
		expect(status.out).toEqual([expect.objectContaining({ id: form.id, type: 'delete', channel: 'form', state: 'awaiting_identity', dueAt: form.out.dueAt })]);
		expect(status.out[0]).not.toHaveProperty('subject');
		const byId = await run(store, [{ id: form.id }], { operation: 'getStatus' });
		expect(byId.out[0].id).toBe(form.id);
		const missing = await run(store, [{ requestId: 'PR-20260101-QQQQQQ' }, { requestId: form.id }], { operation: 'getStatus' }, { continueOnFail: true });
		expect(missing.out).toEqual([{ error: 'No privacy request PR-20260101-QQQQQQ.' }, expect.objectContaining({ id: form.id })]);
	});
});

describe('List Open and Extend', () => {
	let store: StoreHandle;
	const ids: Record<string, string> = {};

	beforeAll(async () => {
		store = freshStore();
		const now = Date.now();
		const receivedAgo = async (days: number, deadline: 'one_month' | '45_days' = 'one_month') => {
			const desk = await rig.deskOf(store, () => new Date(now - days * DAY));
			// verified and being worked on (one still waiting for its code after a day would be denied as not verified)
			const waiting = await desk.advance(await desk.open('access', 'form', WA, { deadline }), 'awaiting_identity', 'form');
			return await desk.advance(waiting, 'in_progress', 'form');
		};
		ids.overdue = (await receivedAgo(40)).id; // due ~9 days ago
		ids.soon = (await receivedAgo(25)).id; // due in 3–6 days (a month is 28–31 days)
		ids.month = (await formRequest(store)).id; // due in a month
		ids.days45 = (await formRequest(store, { deadline: '45_days' })).id;
		ids.extended = (await formRequest(store)).id;
		ids.completed = String((await execute(store, { requestType: 'access' })).id);
		const denied = await formRequest(store);
		await verify(store, denied.id, denied.code, OTHER);
		ids.denied = denied.id;
	});

	it('extends a deadline with its reason, recorded in the request and the audit log', async () => {
		const before = await (await rig.deskOf(store)).get(ids.extended);
		const result = await run(store, [{ requestId: ids.extended }], { operation: 'extend', extensionMonths: 2, extensionReason: 'We are searching three archives' });
		expect(result.error).toBeUndefined();
		const due = new Date(extend(before!, 2, 'same rule as the unit tests').dueAt);
		expect(due.getTime()).toBeGreaterThan(Date.parse(before!.dueAt) + 58 * DAY);
		expect(result.out[0]).toMatchObject({ id: ids.extended, dueAt: due.toISOString(), extension: { dueAt: due.toISOString(), reason: 'We are searching three archives', at: expect.any(String) } });
		const audit = await (await rig.storeOf(store)).listAudit({ requestId: ids.extended });
		expect(audit.at(-1)).toMatchObject({ actor: 'operator', action: 'deadline_extended', detail: { dueAt: due.toISOString(), reason: 'We are searching three archives' } });
		expect((await (await rig.deskOf(store)).get(ids.extended))?.dueAt).toBe(due.toISOString());
	});

	it('refuses a second extension, one without a reason, a finished request and an unknown id', async () => {
		const again = await run(store, [{ requestId: ids.extended }], { operation: 'extend', extensionMonths: 1, extensionReason: 'More time' });
		expect(again.error?.message).toBe('This request has already been extended.');
		const noReason = await run(store, [{ requestId: ids.month }], { operation: 'extend', extensionReason: '   ' });
		expect(noReason.error?.message).toBe('An extension needs a reason the person will be told.');
		const finished = await run(store, [{ requestId: ids.completed }], { operation: 'extend', extensionReason: 'Late' });
		expect(finished.error?.message).toBe('A finished request cannot be extended.');
		const unknown = await run(store, [{ requestId: 'PR-20260101-XXXXXX' }], { operation: 'extend', extensionReason: 'Why not' });
		expect(unknown.error?.message).toBe('No privacy request PR-20260101-XXXXXX.');
		// one month instead of two
		const before = await (await rig.deskOf(store)).get(ids.days45);
		const month = await run(store, [{ requestId: ids.days45 }], { operation: 'extend', extensionMonths: 1, extensionReason: 'Backlog' });
		expect(month.out[0]).toMatchObject({ dueAt: extend(before!, 1, 'Backlog').dueAt, extension: { reason: 'Backlog' } });
	});

	it('lists open requests due soonest first, finished ones left out, with days left and overdue', async () => {
		const all = await run(store, [{}], { operation: 'listOpen', withinDays: 0 });
		expect(all.error).toBeUndefined();
		expect(all.out.map((o) => o.id)).toEqual([ids.overdue, ids.soon, ids.month, ids.days45, ids.extended]);
		expect(all.out.map((o) => o.overdue)).toEqual([true, false, false, false, false]);
		const days = all.out.map((o) => Number(o.daysLeft));
		expect(days[0]).toBeLessThan(0);
		expect(days[1]).toBeGreaterThanOrEqual(2);
		expect(days[1]).toBeLessThanOrEqual(6);
		expect(days).toEqual([...days].sort((a, b) => a - b));
		for (const o of all.out) {
			expect(['received', 'awaiting_identity', 'in_progress']).toContain(o.state);
			expect(o).not.toHaveProperty('subject');
		}
		expect(all.outputs[0].every((item) => item.pairedItem && (item.pairedItem as { item: number }).item === 0)).toBe(true);
	});

	it('limits the list to requests due within the given days (overdue ones included)', async () => {
		const week = await run(store, [{}], { operation: 'listOpen', withinDays: 7 });
		expect(week.out.map((o) => o.id)).toEqual([ids.overdue, ids.soon]);
		const defaults = await run(store, [{}], { operation: 'listOpen' });
		expect(defaults.out.map((o) => o.id)).toEqual([ids.overdue, ids.soon]);
		const fifty = await run(store, [{}], { operation: 'listOpen', withinDays: 50 });
		expect(fifty.out.map((o) => o.id)).toEqual([ids.overdue, ids.soon, ids.month]); // days45 was extended by a month
	});
});

// ---------------------------------------------------------------- codes and content never leak

describe('codes', () => {
	it('never appear in a node output, the execution data, a log line or the store — only in the message sent', async () => {
		const store = freshStore();
		const form = await formRequest(store);
		expect(CODES).toContain(form.code);
		const status = await run(store, [{ requestId: form.id }], { operation: 'getStatus' });
		expect(holdsCode(JSON.stringify(status.run.data), form.code)).toBe(false);
		const verified = await rig.runPrivacy(itemsOf({}), { operation: 'verify', requestId: form.id, contact: WA, code: form.code }, { store });
		expect(verified.out[0]).toMatchObject({ verified: true });
		expect(holdsCode(JSON.stringify(verified.run.data.resultData.runData[PRIVACY_NODE]), form.code)).toBe(false);

		const raw = await rig.storeOf(store);
		expect(holdsCode(JSON.stringify([await raw.listAudit(), await raw.listRecords('privacy-request'), await raw.listRecords('privacy-verification')]), form.code)).toBe(false);
		for (const code of CODES) {
			const lines = rig.base.logs.filter((line) => holdsCode(`${line.message} ${line.metadata}`, code));
			expect({ code, lines }).toEqual({ code, lines: [] });
			expect(rig.base.errors.filter((error) => holdsCode(error, code))).toEqual([]);
		}
		// where it does appear: the one verification message to the person
		expect(rig.graph.sent.filter((sent) => holdsCode(JSON.stringify(sent.body), form.code)).map((sent) => sent.to)).toEqual([WA]);
	});
});

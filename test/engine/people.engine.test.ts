/**
 * One person, whichever id they write with — through n8n-core's engine (WhatsAuto Trigger → Privacy Detect →
 * [privacy] Execute / [not privacy] Auto-Reply), on a fresh SQLite store per test:
 *
 * - people known only by a WhatsApp username (business-scoped user id, no number): the Auto-Reply answers them
 *   (`recipient`, not `to`), STOP holds, erasure removes their rows, Execute and Verify take a user id as Contact;
 * - people known by number and user id: one canonical key (the number's), the user id an alias of it, so STOP sent
 *   by number holds when the next message names only the user id, also after an erasure;
 * - identity changes (`user_changed_number`, `user_changed_user_id`): everything follows the person to the new id,
 *   a retried delivery changes nothing, and erasure under the new id takes what was written under the old one;
 * - content by reference: items, the Auto-Reply's and Privacy node's outputs, n8n's execution data and every value
 *   the store keeps show neither the number, the user id, the name nor any wamid; the nodes still reach the person.
 */
import { EXECUTE_NODE, itemsOf, privacySuite, type PrivacyRig, type StoreHandle } from './privacy-harness';

import { DatabaseSync } from 'node:sqlite';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { pseudonymise, deriveKeys } from '../../nodes/shared/crypto';
import { privacyMessage } from '../../nodes/shared/privacy/messages';
import { ACCOUNT, REPLY_NODE, sentTexts, STORE_SECRET, TRIGGER_NODE, WA } from './reply-harness';
import { msg, type MessageOpts, type WebhookMessage } from '../../devkit/fakes/webhook-payloads';

jest.setTimeout(60_000);

const USER = 'US.13491208655302741918';
const NEW_USER = 'US.99887766554433221100';
const OTHER_USER = 'BR.5566778899001122';
const NEW_NUMBER = '447700900777';
const NAME = 'Sheena Nelson';
const USERNAME = 'sheena.n';

let rig: PrivacyRig;
const pseudonymKey = deriveKeys(STORE_SECRET).pseudonymKey;
const ps = (id: string) => pseudonymise(pseudonymKey, id);

const { freshStore } = privacySuite({ storePrefix: 'people', started: (started) => (rig = started) });

/** A message from a person known by user id only (a username, no number: no `from`). */
const byUser = (userId: string, text: string, o: MessageOpts = {}) => msg.text('', text, { ...o, omitFrom: true, fromUserId: userId });
/** A message naming both number and user id, as Meta sends them from 2026 on. */
const byBoth = (waId: string, userId: string, text: string) => msg.text(waId, text, { fromUserId: userId });

interface Delivered {
	flow: Awaited<ReturnType<PrivacyRig['runFlow']>>;
	message: WebhookMessage;
}

/** One message through the trigger (content by reference unless `inline`), Detect, Execute / Auto-Reply. */
async function deliver(store: StoreHandle, message: WebhookMessage, options: { inline?: boolean; trigger?: IDataObject; execute?: IDataObject } = {}): Promise<Delivered> {
	const payload = rig.base.envelopeFor([message], NAME);
	rig.graph.noteInbound(payload);
	const flow = await rig.runFlow(payload, {
		store,
		trigger: (options.trigger ?? (options.inline ? {} : { options: { contentByReference: true } })) as INodeParameters,
		...(options.execute ? { execute: options.execute as never } : {}),
	});
	expect(flow.status).toBe(200);
	expect(flow.error).toBeUndefined();
	return { flow, message };
}

const replyOf = (d: Delivered) => d.flow.output(REPLY_NODE)[0]?.json;
const requestOf = (d: Delivered) => d.flow.output(EXECUTE_NODE)[0]?.json;

/** Asks for erasure and taps "Delete all my data" under the question, from `tap` (the same person). */
async function erase(store: StoreHandle, ask: WebhookMessage, tap: (button: { id: string; title: string }) => WebhookMessage): Promise<IDataObject> {
	const asked = await deliver(store, ask);
	expect(requestOf(asked)).toMatchObject({ type: 'delete', state: 'awaiting_confirmation' });
	const question = rig.graph.sent.find((s) => s.type === 'interactive')!;
	const confirm = (question.body.interactive as { action: { buttons: Array<{ reply: { id: string; title: string } }> } }).action.buttons[0].reply;
	const done = await deliver(store, tap(confirm));
	return requestOf(done)!;
}

// ---------------------------------------------------------------- raw reads of the store's database

/** Every `table.column: value` of the store's SQLite file holding one of `needles` (tables and columns from its schema). */
function scan(store: StoreHandle, needles: string[]): string[] {
	const db = new DatabaseSync(String(store.credential.sqlitePath), { readOnly: true });
	try {
		const hits: string[] = [];
		const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
		for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>) {
			for (const row of db.prepare(`SELECT * FROM ${quote(name)}`).all() as Array<Record<string, unknown>>) {
				for (const [column, value] of Object.entries(row)) {
					const text = value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : String(value ?? '');
					for (const needle of needles) if (needle && text.includes(needle)) hits.push(`${name}.${column} ∋ ${needle.slice(0, 24)}: ${text.slice(0, 80)}`);
				}
			}
		}
		return hits;
	} finally {
		db.close();
	}
}

function rows(store: StoreHandle, sql: string, ...params: string[]): Array<Record<string, unknown>> {
	const db = new DatabaseSync(String(store.credential.sqlitePath), { readOnly: true });
	try {
		return db.prepare(sql).all(...params) as Array<Record<string, unknown>>;
	} finally {
		db.close();
	}
}

// ---------------------------------------------------------------- usernames

describe('a person known only by a username (business-scoped user id, no number)', () => {
	it('gets an answer from the Auto-Reply, sent to their user id with `recipient`', async () => {
		for (const inline of [true, false]) {
			rig.base.resetFakes();
			const store = freshStore();
			const hello = await deliver(store, byUser(OTHER_USER, 'Do you ship to Porto?'), { inline });
			expect(replyOf(hello)).toMatchObject({ status: 'replied' });
			expect(rig.graph.sent).toHaveLength(1);
			expect(rig.graph.sent[0].body).toMatchObject({ recipient: OTHER_USER });
			expect(rig.graph.sent[0].body).not.toHaveProperty('to');
			expect(rig.graph.sent[0]).toMatchObject({ userId: OTHER_USER, inWindow: true });
			// the read receipt went out for the real message id
			expect(rig.graph.readReceipts.map((r) => r.messageId)).toEqual([hello.message.id]);
			// the reply record is kept under the user id's pseudonym (the person's canonical key), never as digits
			expect(rows(store, "SELECT contact_key FROM records WHERE scope = 'reply'")).toEqual([{ contact_key: ps(OTHER_USER) }]);
		}
	});

	it('STOP holds: the next message gets no reply; START lets it speak again', async () => {
		const store = freshStore();
		const stop = await deliver(store, byUser(USER, 'STOP'));
		expect(requestOf(stop)).toMatchObject({ type: 'object', state: 'completed' });
		expect(rig.graph.sent.map((s) => s.body.recipient)).toEqual([USER]); // the confirmation, to the user id
		expect(sentTexts(rig.graph)).toEqual([privacyMessage('object_done', 'en', { requestId: String(requestOf(stop)!.id) })]);

		rig.base.resetFakes();
		const next = await deliver(store, byUser(USER, 'Hello again, what are your opening hours?'));
		expect(replyOf(next)).toMatchObject({ status: 'skipped', reason: 'objected' });
		expect(rig.graph.sent).toEqual([]);
		expect(rig.ai.chatRequests).toHaveLength(0);

		await deliver(store, byUser(USER, 'START'));
		rig.base.resetFakes();
		expect(replyOf(await deliver(store, byUser(USER, 'And on Sundays?')))).toMatchObject({ status: 'replied' });
	});

	it('erasure over WhatsApp asks the user id and removes their rows; STOP stays under the user id', async () => {
		const store = freshStore();
		await deliver(store, byUser(USER, 'My order 7781 is late'));
		await deliver(store, byUser(USER, 'correct my name to Ana Souza'));
		await deliver(store, byUser(USER, 'STOP'));
		expect(scan(store, [ps(USER)]).length).toBeGreaterThan(3);

		rig.base.resetFakes();
		const done = await erase(store, byUser(USER, 'delete my data'), (confirm) => msg.buttonReply('', confirm, { omitFrom: true, fromUserId: USER }));
		expect(done).toMatchObject({ type: 'delete', state: 'partially_completed', confirmed: true });
		expect(rig.graph.sent.every((s) => s.body.recipient === USER && s.body.to === undefined)).toBe(true);
		// nothing is left under the pseudonym but the suppression entry's key
		expect(scan(store, [ps(USER)]).map((hit) => hit.split(' ∋')[0])).toEqual(['records.key']);
		expect(scan(store, [USER, '13491208655302741918'])).toEqual([]);
	});

	it('Execute and Verify take a user id as Contact, unmangled; a code template Meta refuses for user ids (131062) goes as text', async () => {
		const store = freshStore();
		const objected = await rig.runPrivacy(itemsOf({}), { operation: 'execute', requestType: 'object', channel: 'whatsapp', contact: ` ${USER} ` }, { store });
		expect(objected.error).toBeUndefined();
		expect(objected.out[0]).toMatchObject({ type: 'object', state: 'completed' });
		expect(rig.graph.sent[0].body).toMatchObject({ recipient: USER });
		const desk = await rig.deskOf(store);
		expect(await desk.suppression(ps(USER))).toMatchObject({ ai: true });
		expect(await desk.suppression(ps(USER.replace(/\D/g, '')))).toBeUndefined();

		// A web form request for a user id: Meta takes no authentication template for user ids.
		const strict = await rig.base.addGraph('meta-auth', {
			pairRateLimit: false,
			globalRateLimit: false,
			window131047: 'off',
			templates: [{ name: 'verification_code', language: 'en_US', category: 'AUTHENTICATION' }],
		});
		const options = { store, credentials: { whatsAutoMetaApi: 'meta-auth' } };
		const asked = await rig.runPrivacy(itemsOf({}), { operation: 'execute', requestType: 'access', channel: 'form', contact: USER, codeTemplateName: 'verification_code' }, options);
		expect(asked.error).toBeUndefined();
		expect(asked.out[0]).toMatchObject({ codeSent: true, state: 'awaiting_identity', codeSentTo: '••••918' });
		expect(strict.requests.filter((r) => r.path.endsWith('/messages')).map((r) => r.status)).toEqual([400, 200]);
		expect(strict.sent).toHaveLength(1);
		expect(strict.sent[0]).toMatchObject({ type: 'text', userId: USER });
		const code = /(\d{6})/.exec(String((strict.sent[0].body.text as { body: string }).body))![1];
		const verified = await rig.runPrivacy(
			itemsOf({}),
			{ operation: 'verify', contact: USER, requestId: String(asked.out[0].id), code, delivery: 'binary', sendConfirmation: false },
			options,
		);
		expect(verified.error).toBeUndefined();
		expect(verified.out[0]).toMatchObject({ verified: true, state: 'completed' });
		const exported = JSON.parse(Buffer.from(verified.outputs[0][0].binary!.data.data, 'base64').toString('utf8')) as IDataObject;
		expect(exported.subject).toEqual({ userId: USER, pseudonym: ps(USER) });
	});
});

// ---------------------------------------------------------------- number and user id

describe('a person known by number and user id', () => {
	it('STOP sent while known by number silences the reply to a message that names only the user id', async () => {
		const store = freshStore();
		await deliver(store, byBoth(WA, USER, 'STOP'));
		rig.base.resetFakes();
		const next = await deliver(store, byUser(USER, 'Is the shop open today?'));
		expect(replyOf(next)).toMatchObject({ status: 'skipped', reason: 'objected' });
		expect(rig.graph.sent).toEqual([]);
		// one canonical key: the number's; the user id is an alias of it
		expect(rows(store, "SELECT key, contact_key FROM records WHERE scope = 'contact-alias'")).toEqual([{ key: ps(USER), contact_key: ps(WA) }]);
		expect(rows(store, "SELECT DISTINCT contact_key FROM records WHERE scope = 'privacy-request'")).toEqual([{ contact_key: ps(WA) }]);
	});

	it('a STOP given by number before the user id was known holds too, and what the user id left alone joins the number', async () => {
		const store = freshStore();
		await deliver(store, msg.text(WA, 'STOP'));
		await deliver(store, byUser(USER, 'Earlier question, by username only'));
		expect(rows(store, "SELECT contact_key FROM records WHERE scope = 'reply'")).toEqual([{ contact_key: ps(USER) }]);
		await deliver(store, byBoth(WA, USER, 'Now with my number'));
		expect(rows(store, "SELECT DISTINCT contact_key FROM records WHERE scope = 'reply'")).toEqual([{ contact_key: ps(WA) }]);
		rig.base.resetFakes();
		expect(replyOf(await deliver(store, byUser(USER, 'Hello?')))).toMatchObject({ status: 'skipped', reason: 'objected' });
	});

	it('after an erasure, STOP still holds for the user id alone; the erasure took what both ids left', async () => {
		const store = freshStore();
		await deliver(store, byBoth(WA, USER, 'My order 7781 is late'));
		await deliver(store, byBoth(WA, USER, 'STOP'));
		const done = await erase(store, byBoth(WA, USER, 'delete my data'), (confirm) => msg.buttonReply(WA, confirm, { fromUserId: USER }));
		expect(done).toMatchObject({ state: 'partially_completed' });
		expect(scan(store, [ps(WA), ps(USER)]).map((hit) => hit.split(' ∋')[0]).sort()).toEqual(['records.key', 'records.key']);
		rig.base.resetFakes();
		expect(replyOf(await deliver(store, byUser(USER, 'Still there?')))).toMatchObject({ status: 'skipped', reason: 'objected' });
	});
});

// ---------------------------------------------------------------- identity changes

describe('identity changes: everything follows the person to the new id', () => {
	it('an objection under the old number holds for the new number after user_changed_number', async () => {
		const store = freshStore();
		await deliver(store, msg.text(WA, 'STOP'));
		const change = msg.system(WA, { newWaId: NEW_NUMBER });
		await deliver(store, change);
		rig.base.resetFakes();
		const next = await deliver(store, msg.text(NEW_NUMBER, 'Hi, it is me with my new number'));
		expect(replyOf(next)).toMatchObject({ status: 'skipped', reason: 'objected' });
		expect(rig.graph.sent).toEqual([]);

		// Meta redelivers the change (and a later copy of it): nothing moves back, nothing breaks
		const again = await rig.runFlow(rig.base.envelopeFor([change]), { store, trigger: { options: { contentByReference: true } } });
		expect(again).toMatchObject({ status: 200, started: false });
		expect(await (await rig.deskOf(store)).suppression(ps(NEW_NUMBER))).toMatchObject({ ai: true });
		expect(await (await rig.deskOf(store)).suppression(ps(WA))).toBeUndefined();
	});

	it('erasure under the new number removes everything, including what was written under the old one', async () => {
		const store = freshStore();
		await deliver(store, msg.text(WA, 'Where is my order 7781?'));
		await deliver(store, msg.text(WA, 'correct my name to Ana Souza'));
		expect(scan(store, [ps(WA)]).length).toBeGreaterThan(3);
		await deliver(store, msg.system(WA, { newWaId: NEW_NUMBER }));
		expect(scan(store, [ps(WA)])).toEqual([]);
		const desk = await rig.deskOf(store);
		expect(await desk.profile(ps(NEW_NUMBER))).toMatchObject({ name: 'Ana Souza' });
		expect(await desk.verifyAuditLog()).toMatchObject({ ok: true });

		const done = await erase(store, msg.text(NEW_NUMBER, 'delete my data'), (confirm) => msg.buttonReply(NEW_NUMBER, confirm));
		expect(done).toMatchObject({ type: 'delete', state: 'completed' });
		expect(scan(store, [ps(WA), ps(NEW_NUMBER)])).toEqual([]);
		expect(await desk.verifyAuditLog()).toMatchObject({ ok: true });
	});

	it('user_changed_user_id moves a username-only person, and only the alias of someone known by number', async () => {
		const store = freshStore();
		await deliver(store, byUser(USER, 'STOP'));
		await deliver(store, msg.userIdChanged(USER, NEW_USER));
		rig.base.resetFakes();
		expect(replyOf(await deliver(store, byUser(NEW_USER, 'Hello from my new id')))).toMatchObject({ status: 'skipped', reason: 'objected' });
		expect(scan(store, [ps(USER)])).toEqual([]);

		const other = freshStore();
		await deliver(other, byBoth(WA, USER, 'STOP'));
		await deliver(other, msg.userIdChanged(USER, NEW_USER, { from: WA }));
		expect(rows(other, "SELECT key, contact_key FROM records WHERE scope = 'contact-alias'")).toEqual([{ key: ps(NEW_USER), contact_key: ps(WA) }]);
		rig.base.resetFakes();
		expect(replyOf(await deliver(other, byUser(NEW_USER, 'Hello?')))).toMatchObject({ status: 'skipped', reason: 'objected' });
	});

	it('a store failure while moving answers 500 and gives the claim back, so Meta’s retry moves the person', async () => {
		const store = freshStore();
		await deliver(store, msg.text(WA, 'STOP'));
		const raw = await rig.storeOf(store);
		const failing = jest.spyOn(raw, 'rekeyContact').mockRejectedValueOnce(new Error('database is locked'));
		const change = msg.system(WA, { newWaId: NEW_NUMBER });
		try {
			const failed = await rig.runFlow(rig.base.envelopeFor([change]), { store, trigger: { options: { contentByReference: true } } });
			expect(failed).toMatchObject({ status: 500, started: false });
		} finally {
			failing.mockRestore();
		}
		await deliver(store, change);
		expect(await (await rig.deskOf(store)).suppression(ps(NEW_NUMBER))).toMatchObject({ ai: true });
	});
});

// ---------------------------------------------------------------- pseudonymous items

describe('content by reference: numbers stay pseudonymous outside the store', () => {
	it('items, outputs, the execution data and every stored value hold no number, user id, name or wamid; the nodes still reach the person', async () => {
		const store = freshStore();
		const opts = { trigger: { options: { contentByReference: true } } };
		const hello = byBoth(WA, USER, 'Do you ship to Porto?');
		const payload = rig.base.envelopeFor([hello], NAME);
		payload.entry[0].changes[0].value.contacts = [{ profile: { name: NAME, username: USERNAME }, wa_id: WA, user_id: USER }];
		rig.graph.noteInbound(payload);
		const chat = await rig.runFlow(payload, { store, ...opts });
		expect(chat.error).toBeUndefined();
		const [item] = chat.output(TRIGGER_NODE);
		expect(item.json).toMatchObject({ kind: 'message', type: 'text', contactKey: `wa:${ps(WA)}`, messageId: expect.stringMatching(/^m:[0-9a-f]{64}$/) });
		expect(item.json).not.toHaveProperty('from');
		const reply = chat.output(REPLY_NODE)[0].json;
		expect(reply).toMatchObject({ status: 'replied', to: `wa:${ps(WA)}`, messageId: item.json.messageId, graphMessageIds: [expect.stringMatching(/^m:/)] });
		expect(rig.graph.sent[0]).toMatchObject({ waId: WA, type: 'text' }); // the right number, found in the store
		expect(rig.graph.readReceipts.map((r) => r.messageId)).toEqual([hello.id]);

		// Privacy Execute with the item's contactKey (the node's default Contact): the export reaches the number.
		const access = await deliver(store, byBoth(WA, USER, 'send me my data'), opts);
		expect(requestOf(access)).toMatchObject({ type: 'access', state: 'completed', confirmationIds: [expect.stringMatching(/^m:/), expect.stringMatching(/^m:/)] });
		expect(rig.graph.sent.slice(1).map((s) => [s.type, s.waId])).toEqual([['document', WA], ['text', WA]]);
		const stop = await deliver(store, byBoth(WA, USER, 'STOP'), opts);
		expect(requestOf(stop)).toMatchObject({ type: 'object', state: 'completed' });

		const wamids = [hello.id, access.message.id, stop.message.id, ...rig.graph.sent.map((s) => s.id)];
		const needles = [WA, USER, NAME, USERNAME, ...wamids, ...wamids.map((id) => id.slice('wamid.'.length, 'wamid.'.length + 16))];
		for (const run of [chat, access.flow, stop.flow]) {
			const data = JSON.stringify(run.run.data);
			for (const needle of needles) expect({ needle, found: data.includes(needle) }).toEqual({ needle, found: false });
		}
		expect(scan(store, needles)).toEqual([]);

		// Once the contact record is gone (24 h after the last message), a `wa:` Contact still names the person: the
		// request runs, only no confirmation can go.
		rig.base.resetFakes();
		await (await rig.storeOf(store)).deleteRecord('contact', ps(WA));
		const late = await rig.runPrivacy(itemsOf({ contactKey: `wa:${ps(WA)}` }), { operation: 'execute', requestType: 'resume', channel: 'whatsapp' }, { store });
		expect(late.error).toBeUndefined();
		expect(late.out[0]).toMatchObject({ type: 'resume', state: 'completed', confirmationIds: [] });
		expect(rig.graph.sent).toEqual([]);
		expect(await (await rig.deskOf(store)).suppression(ps(WA))).toBeUndefined();
		expect(await (await rig.deskOf(store)).suppression(ps(USER))).toBeUndefined();
	});

	it('Show Contact Number puts the number and user id (never the name) back on the item', async () => {
		const store = freshStore();
		const d = await deliver(store, byBoth(WA, USER, 'Hello'), { trigger: { options: { contentByReference: true, showContactNumber: true } } });
		const [item] = d.flow.output(TRIGGER_NODE);
		expect(item.json).toMatchObject({ contactKey: `wa:${ps(WA)}`, from: { waId: WA, userId: USER } });
		expect(JSON.stringify(item.json)).not.toContain(NAME);
		expect(replyOf(d)).toMatchObject({ status: 'replied' });
	});

	it('statuses and marketing preferences carry the contact reference too, and a late 131047 still reaches the number', async () => {
		const store = freshStore();
		const trigger = { options: { contentByReference: true }, emitStatuses: true };
		await deliver(store, msg.text(WA, 'Hello'), { trigger });
		const ourReply = rig.graph.sent[0];
		const failed = { id: ourReply.id, status: 'failed', timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: WA, errors: [{ code: 131047, title: 'Re-engagement message' }] };
		const statusPayload = rig.base.statusEnvelope([failed as never]);
		const result = await rig.base.runChain(statusPayload, {
			triggerParameters: trigger,
			connectStatuses: true,
			credentials: { whatsAutoStoreApi: store.id },
			options: { outsideWindow: 'template', templateName: 'hello_world', templateLanguage: 'en_US' },
		});
		const [status] = result.run.data.resultData.runData[TRIGGER_NODE][0].data!.main[1]!;
		expect(status.json).toMatchObject({ kind: 'status', status: 'failed', contactKey: `wa:${ps(WA)}`, messageId: expect.stringMatching(/^m:/) });
		expect(JSON.stringify(status.json)).not.toContain(WA);
		expect(result.out[0]).toMatchObject({ status: 'template', reason: 'window_closed_async' });
		expect(rig.graph.sent.at(-1)).toMatchObject({ type: 'template', waId: WA });

		const prefs = await rig.runFlow(
			{ object: 'whatsapp_business_account', entry: [{ id: ACCOUNT.businessAccountId, changes: [{ field: 'user_preferences', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: ACCOUNT.displayPhoneNumber, phone_number_id: ACCOUNT.phoneNumberId }, contacts: [{ wa_id: WA }], user_preferences: [{ wa_id: WA, category: 'marketing_messages', value: 'stop', timestamp: Math.floor(Date.now() / 1000) }] } }] }] },
			{ store, trigger: { options: { contentByReference: true } } },
		);
		expect(prefs.error).toBeUndefined();
		const [event] = prefs.output(TRIGGER_NODE, 2);
		expect(event.json).toMatchObject({ kind: 'user_preferences', contactKey: `wa:${ps(WA)}` });
		expect(JSON.stringify(event.json)).not.toContain(WA);
		expect(prefs.output(EXECUTE_NODE)[0].json).toMatchObject({ type: 'object', scope: 'marketing', state: 'completed' });
		expect(await (await rig.deskOf(store)).suppression(ps(WA))).toMatchObject({ marketing: true });
	});
});

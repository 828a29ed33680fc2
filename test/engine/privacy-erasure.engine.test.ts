/**
 * Erasure on both store backends, through n8n-core's engine: a person talks to the Auto-Reply node, corrects
 * their name, sends STOP, asks for their data, starts a web-form request, then writes "delete my data".
 * Afterwards a scan of every column of every table of the store (tables and columns read from the database's
 * own schema) finds neither their phone number nor its pseudonym — except in the suppression entry that
 * keeps their STOP working: the audit log keeps every entry, unlinked from them. Get Status still answers,
 * from the record or the audit log; the audit chain verifies, and detects tampering, also by a database writer
 * who re-hashes what they changed (the chain is keyed with the store secret).
 */
import { createHash } from 'node:crypto';

import { auditPaths, codeIn, EXECUTE_NODE, itemsOf, MODEL_ANSWER, privacySuite, type PrivacyRig, type StoreHandle } from './privacy-harness';

import { DatabaseSync } from 'node:sqlite';

import type { IDataObject } from 'n8n-workflow';

import { keepByReference } from '../../nodes/shared/store/contentByReference';
import { messageRef } from '../../nodes/shared/contact';
import { toContentKeys } from '../../nodes/shared/store/access';
import { privacyMessage } from '../../nodes/shared/privacy/messages';
import { quoteIdent } from '../../nodes/shared/store/postgres';
import type { WhatsAutoStore } from '../../nodes/shared/store';
import { envelope, msg, userPreferencesChange, type WebhookMessage } from '../../devkit/fakes/webhook-payloads';
import type { PostgresServer } from './privacy-postgres';
import { ACCOUNT, REPLY_NODE, sentTexts, STORE_SECRET, WA } from './reply-harness';

jest.setTimeout(60_000);

const OTHER = '447700900456';
const NAME = 'Ana Souza';
/** Free text people wrote (commands such as STOP are words the records legitimately use). */
const CHAT: string[] = [];
const chat = (text: string) => {
	CHAT.push(text);
	return text;
};
/** Everything sent, for the log check. */
const SAID: string[] = [];

let rig: PrivacyRig;
let pg: PostgresServer;
privacySuite({ started: (started) => (rig = started), postgres: (server) => (pg = server), resetEachTest: false });

// ---------------------------------------------------------------- raw scans of the database

interface Hit {
	table: string;
	column: string;
	row: Record<string, unknown>;
}

interface Scanner {
	/** Every table of the store, from the database's schema. */
	tables(): Promise<string[]>;
	/** Every column of a table, from the database's schema. */
	columns(table: string): Promise<string[]>;
	rows(table: string): Promise<Array<Record<string, unknown>>>;
	/** Runs a raw statement (tampering); `?` placeholders. */
	exec(sql: string, ...params: Array<string | number>): Promise<number>;
	close(): Promise<void>;
}

function sqliteScanner(path: string): Scanner {
	const db = new DatabaseSync(path);
	const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
	return {
		tables: async () => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name),
		columns: async (table) => (db.prepare(`PRAGMA table_info(${quote(table)})`).all() as Array<{ name: string }>).map((r) => r.name),
		rows: async (table) => db.prepare(`SELECT * FROM ${quote(table)}`).all() as Array<Record<string, unknown>>,
		exec: async (sql, ...params) => Number(db.prepare(sql).run(...params).changes),
		close: async () => db.close(),
	};
}

function postgresScanner(schema: string): Scanner {
	const s = quoteIdent(schema);
	return {
		tables: async () =>
			(
				await pg.admin.query<{ table_name: string }>(
					"SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name",
					[schema],
				)
			).rows.map((r) => r.table_name),
		columns: async (table) =>
			(
				await pg.admin.query<{ column_name: string }>(
					'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
					[schema, table],
				)
			).rows.map((r) => r.column_name),
		rows: async (table) => (await pg.admin.query(`SELECT * FROM ${s}.${quoteIdent(table)}`)).rows as Array<Record<string, unknown>>,
		exec: async (sql, ...params) => {
			let n = 0;
			const text = sql.replace(/\?/g, () => `$${++n}`).replace(/\b(audit_log|audit_head|records|content|claims)\b/, (table) => `${s}.${table}`);
			return (await pg.admin.query(text, params)).rowCount ?? 0;
		},
		close: async () => undefined,
	};
}

/** Every (table, column, row) whose value holds one of `needles`: text as is, binary columns byte for byte. */
async function scan(scanner: Scanner, needles: string[]): Promise<Hit[]> {
	const hits: Hit[] = [];
	for (const table of await scanner.tables()) {
		const columns = await scanner.columns(table);
		expect(columns.length).toBeGreaterThan(0);
		for (const row of await scanner.rows(table)) {
			expect(Object.keys(row).sort()).toEqual([...columns].sort());
			for (const column of columns) {
				const value = row[column];
				const found = needles.some((needle) =>
					value instanceof Uint8Array ? Buffer.from(value).includes(Buffer.from(needle, 'utf8')) : String(value ?? '').includes(needle),
				);
				if (found) hits.push({ table, column, row });
			}
		}
	}
	return hits;
}

const pseudonymiser = () => toContentKeys({ secretKey: STORE_SECRET })!.pseudonymise;

/** The person's tap on "Delete all my data" in the message the erasure request sent (an interactive button_reply quoting it). */
function confirmButtonOf(request: IDataObject): WebhookMessage {
	// the output names the question by a keyed reference of its wamid (the items' ids are pseudonymous: content by reference)
	const shown = (id: string) => [id, messageRef(pseudonymiser(), id)];
	const prompt = rig.graph.sent.find((sent) => shown(sent.id).includes(String(request.confirmationMessageId)))!;
	const [confirm] = (prompt.body.interactive as { action: { buttons: Array<{ reply: { id: string; title: string } }> } }).action.buttons;
	expect(confirm.reply.id).toBe(`whatsauto:erase:confirm:${String(request.id)}`);
	return msg.buttonReply(WA, confirm.reply, { context: { from: ACCOUNT.displayPhoneNumber, id: prompt.id } });
}

function sortedJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
	if (value !== null && typeof value === 'object') {
		const object = value as Record<string, unknown>;
		return `{${Object.keys(object).sort().map((key) => `${JSON.stringify(key)}:${sortedJson(object[key])}`).join(',')}}`;
	}
	return JSON.stringify(value);
}

/** The audit hash as documented before it was keyed (SHA-256 over a JSON array), over a raw `audit_log` row. */
function sha256Hash(prevHash: string, row: Record<string, unknown>): string {
	const canonical = JSON.stringify([
		'whatsauto.audit.v1',
		prevHash,
		Number(row.seq),
		Number(row.at),
		row.request_id,
		row.subject ?? '',
		row.actor,
		row.action,
		row.from_state,
		row.to_state,
		sortedJson(JSON.parse(String(row.detail))),
	]);
	return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

const where = (hit: Hit) => `${hit.table}.${hit.column}${hit.table === 'records' ? ` (${String(hit.row.scope)})` : ''}`;

// ---------------------------------------------------------------- the run, on each backend

type Backend = 'sqlite' | 'postgres';

describe.each<[Backend]>([['sqlite'], ['postgres']])('erasure on %s', (backend) => {
	let store: StoreHandle;
	let raw: WhatsAutoStore;
	let scanner: Scanner;
	let pseudonym: string;
	let otherPseudonym: string;
	let auditKey: Buffer;
	const ids: Record<string, string> = {};

	/** One customer message through Trigger (content by reference) → Detect → Execute | Auto-Reply. */
	const say = async (text: string, from = WA) => await deliver(msg.text(from, text), text);
	const deliver = async (message: WebhookMessage, said?: string) => {
		if (said) SAID.push(said);
		const payload = rig.base.envelopeFor([message]);
		rig.graph.noteInbound(payload);
		const flow = await rig.runFlow(payload, { store, trigger: { options: { contentByReference: true } } });
		expect(flow.error).toBeUndefined();
		return flow;
	};

	beforeAll(async () => {
		const schema = pg.schema('erasure');
		store =
			backend === 'sqlite'
				? rig.sqliteStore(`erasure-${backend}`)
				: rig.addStore(`erasure-${backend}`, { backend: 'postgres', ...pg.base, ssl: false, schema, secretKey: STORE_SECRET });
		raw = await rig.storeOf(store);
		scanner = backend === 'sqlite' ? sqliteScanner(store.credential.sqlitePath as string) : postgresScanner(schema);
		expect(raw.backend).toBe(backend);
		pseudonym = rig.keysOf(store).pseudonymise(WA);
		otherPseudonym = rig.keysOf(store).pseudonymise(OTHER);
		auditKey = rig.keysOf(store).auditKey;
	});

	afterAll(async () => {
		await scanner?.close();
	});

	it('builds up everything a person leaves: replies, memory, profile, STOP, an export and an open web-form request', async () => {
		rig.base.resetFakes();
		const first = await say(chat('Hello, do you deliver to Porto?'));
		expect(first.output(REPLY_NODE)[0].json).toMatchObject({ status: 'replied' });
		expect((await say('Hi there, are you open on Sunday?', OTHER)).output(REPLY_NODE)[0].json).toMatchObject({ status: 'replied' });

		// conversation memory that is still within its time-to-live (not yet answered), for both people
		const keys = rig.keysOf(store);
		await keepByReference(raw, keys, { kind: 'message', messageId: 'wamid.memory-1', type: 'text', contactKey: WA, text: chat('My order number is 7781, size M') }, 3_600_000);
		await keepByReference(raw, keys, { kind: 'message', messageId: 'wamid.memory-2', type: 'text', contactKey: OTHER, text: 'Other person memory' }, 3_600_000);

		const correction = await say(`correct my name to ${NAME}`);
		ids.correct = String(correction.output(EXECUTE_NODE)[0].json.id);
		expect(correction.output(EXECUTE_NODE)[0].json).toMatchObject({ type: 'correct', state: 'completed' });

		const stop = await say('STOP');
		ids.object = String(stop.output(EXECUTE_NODE)[0].json.id);
		const access = await say('send me my data');
		ids.access = String(access.output(EXECUTE_NODE)[0].json.id);
		expect(access.output(EXECUTE_NODE)[0].json).toMatchObject({ type: 'access', state: 'completed' });

		// Meta's own marketing stop, through the trigger's Other Events output
		const preferences = await rig.runFlow(envelope(ACCOUNT, [userPreferencesChange(ACCOUNT, OTHER, 'stop')]), { store });
		expect(preferences.output(EXECUTE_NODE)[0].json).toMatchObject({ type: 'object', channel: 'meta_preferences', scope: 'marketing', state: 'completed' });

		const form = await rig.runPrivacy(itemsOf({ phone: `+${WA}` }), { operation: 'execute', requestType: 'delete', channel: 'form' }, { store });
		expect(form.out[0]).toMatchObject({ state: 'awaiting_identity' });
		ids.form = String(form.out[0].id);
		expect(codeIn(sentTexts(rig.graph).at(-1)!)).toMatch(/^\d{6}$/);

		// the scanner sees the pseudonym wherever the store keeps the person's rows
		const before = await scan(scanner, [pseudonym]);
		const places = new Set(before.map(where));
		for (const place of ['content.contact_key', 'records.contact_key (reply)', 'records.contact_key (sent)', 'records.contact_key (profile)', 'records.contact_key (privacy-request)', 'records.key (suppression)', 'audit_subjects.contact_key']) {
			expect({ place, found: places.has(place) }).toEqual({ place, found: true });
		}
	});

	it('erases on "delete my data" once confirmed: nothing of the number or its pseudonym is left but the suppression entry, audit log included', async () => {
		// "delete my data" asks first; the person taps "Delete all my data"
		const asked = await say('delete my data');
		expect(asked.output(EXECUTE_NODE)[0].json).toMatchObject({ type: 'delete', state: 'awaiting_confirmation' });
		const erasure = await deliver(confirmButtonOf(asked.output(EXECUTE_NODE)[0].json));
		const request = erasure.output(EXECUTE_NODE)[0].json;
		ids.delete = String(request.id);
		// the STOP is kept, and said so: partially completed, in the person's language
		expect(request).toMatchObject({ type: 'delete', channel: 'whatsapp', state: 'partially_completed' });
		expect(request).not.toHaveProperty('subject');
		expect((request.results as IDataObject[]).map((r) => [r.store, r.outcome])).toEqual([
			['content and records', 'done'],
			['suppression list', 'kept'],
		]);
		expect(sentTexts(rig.graph).at(-1)).toBe(
			privacyMessage('delete_partial', 'en', { requestId: ids.delete, kept: String(request.reason), authority: '' }),
		);

		const hits = await scan(scanner, [WA, pseudonym]);
		const unexpected = hits.filter((hit) => !(hit.table === 'records' && hit.column === 'key' && hit.row.scope === 'suppression' && hit.row.key === pseudonym));
		expect(unexpected.map((hit) => `${where(hit)}: ${JSON.stringify(hit.row).slice(0, 200)}`)).toEqual([]);
		// the suppression entry is there (and holds no number); the audit log still accounts for everything, unlinked
		expect(hits.some((hit) => hit.table === 'records' && hit.row.scope === 'suppression')).toBe(true);
		expect(hits.every((hit) => !String(hit.row[hit.column]).includes(WA))).toBe(true);
		expect(await raw.listAudit({ subject: pseudonym })).toEqual([]);
		expect((await raw.listAudit({ limit: 10_000 })).filter((entry) => entry.requestId === ids.access).length).toBeGreaterThan(2);

		// nothing of what the person wrote or the corrected name remains readable anywhere, audit log included
		expect((await scan(scanner, [NAME, ...CHAT])).map(where)).toEqual([]);

		// the other person's data is untouched
		const others = new Set((await scan(scanner, [otherPseudonym])).map(where));
		for (const place of ['content.contact_key', 'records.contact_key (reply)', 'records.key (suppression)']) {
			expect({ place, kept: others.has(place) }).toEqual({ place, kept: true });
		}
		expect(await raw.listContent(otherPseudonym)).toHaveLength(1);
	});

	it('keeps every request record, unlinked from the person: Get Status answers from it', async () => {
		const desk = await rig.deskOf(store);
		expect(await desk.history(pseudonym)).toEqual([]);
		for (const [kind, id] of Object.entries(ids)) {
			const status = await rig.runPrivacy(itemsOf({ requestId: id }), { operation: 'getStatus' }, { store });
			expect(status.error).toBeUndefined();
			expect({ kind, ...status.out[0] }).toMatchObject({ kind, id, state: kind === 'form' ? 'denied' : kind === 'delete' ? 'partially_completed' : 'completed' });
			expect(status.out[0]).not.toHaveProperty('subject');
			expect((await desk.get(id))?.subject).toBe('');
		}
	});

	it('answers Get Status from the audit log once the record itself is gone', async () => {
		expect(await raw.deleteRecord('privacy-request', ids.delete)).toBe(true);
		const status = await rig.runPrivacy(itemsOf({ requestId: ids.delete }), { operation: 'getStatus' }, { store });
		expect(status.error).toBeUndefined();
		const trail = await raw.listAudit({ requestId: ids.delete });
		expect(status.out[0]).toEqual({ id: ids.delete, state: 'partially_completed', fromAuditLog: true, auditEntries: trail.length });
		expect(trail.map((entry) => entry.action)).toEqual(['received', 'transition', 'confirmation_requested', 'transition', 'transition', 'confirmed']);

		const unknown = await rig.runPrivacy(itemsOf({ requestId: 'PR-20260101-AAAAAA' }), { operation: 'getStatus' }, { store });
		expect(unknown.error?.message).toBe('No privacy request PR-20260101-AAAAAA.');
	});

	it('keeps STOP working after the erasure: the next message gets no reply', async () => {
		rig.base.resetFakes();
		const flow = await say(chat('Hello again'));
		expect(flow.output(REPLY_NODE)[0].json).toMatchObject({ status: 'skipped', skipped: true, reason: 'objected', graphMessageIds: [] });
		expect(rig.graph.sent).toEqual([]);
		expect(rig.ai.requests).toEqual([]);
	});

	it('has an audit log whose chain verifies and whose every request walked the state machine, pseudonyms only', async () => {
		const entries = await raw.listAudit({ limit: 10_000 });
		expect(await raw.verifyAuditChain(auditKey)).toEqual({ ok: true, entries: entries.length });
		const paths = auditPaths(entries);
		expect(paths.get(ids.delete)).toEqual(['received', 'awaiting_confirmation', 'in_progress', 'partially_completed']);
		expect(paths.get(ids.access)).toEqual(['received', 'in_progress', 'completed']);
		// a request still waiting for its code cannot be verified once the number is erased: denied, with the reason
		expect(paths.get(ids.form)).toEqual(['received', 'awaiting_identity', 'denied']);
		for (const entry of entries) {
			// unlinked: the erased person's pseudonym is on no entry, the other person's still is on theirs
			expect([otherPseudonym, '']).toContain(entry.subject);
			const text = JSON.stringify(entry);
			for (const needle of [WA, OTHER, NAME, MODEL_ANSWER, ...CHAT]) expect({ seq: entry.seq, leaked: text.includes(needle) ? needle : '' }).toEqual({ seq: entry.seq, leaked: '' });
		}
		// who, what, when: the erasure names its actor and its outcome per store
		const done = entries.find((entry) => entry.requestId === ids.delete && entry.toState === 'partially_completed')!;
		expect(done).toMatchObject({ actor: 'whatsapp', action: 'transition', fromState: 'in_progress', subject: '' });
		expect(entries.some((entry) => entry.subject === otherPseudonym)).toBe(true);
		expect(done.detail).toMatchObject({ results: [{ store: 'content and records', outcome: 'done' }, { store: 'suppression list', outcome: 'kept' }] });
		expect(done.at).toBeInstanceOf(Date);
	});

	it('detects tampering with the audit log: an altered entry, then a removed one', async () => {
		const entries = await raw.listAudit({ limit: 10_000 });
		const victim = entries.find((entry) => entry.requestId === ids.delete && entry.toState === 'partially_completed')!;
		const original = (await scanner.rows('audit_log')).find((row) => Number(row.seq) === victim.seq)!;

		// someone rewrites the outcome to hide what was kept
		expect(await scanner.exec('UPDATE audit_log SET to_state = ? WHERE seq = ?', 'completed', victim.seq)).toBe(1);
		expect(await raw.verifyAuditChain(auditKey)).toMatchObject({ ok: false, brokenAtSeq: victim.seq, reason: expect.stringContaining('altered') });

		// … and re-hashes it with SHA-256, with every entry after it and the head, as one without the store secret would
		const rows = (await scanner.rows('audit_log')).sort((a, b) => Number(a.seq) - Number(b.seq));
		let prevHash = String(original.prev_hash);
		for (const row of rows.filter((r) => Number(r.seq) >= victim.seq)) {
			const hash = sha256Hash(prevHash, row);
			expect(await scanner.exec('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?', prevHash, hash, Number(row.seq))).toBe(1);
			prevHash = hash;
		}
		expect(await scanner.exec('UPDATE audit_head SET hash = ? WHERE id = 1', prevHash)).toBe(1);
		expect(await raw.verifyAuditChain(auditKey)).toMatchObject({ ok: false, brokenAtSeq: victim.seq, reason: expect.stringContaining('altered') });

		// put back as it was, it verifies again
		for (const row of rows.filter((r) => Number(r.seq) >= victim.seq)) {
			const toState = Number(row.seq) === victim.seq ? String(original.to_state) : String(row.to_state);
			expect(await scanner.exec('UPDATE audit_log SET to_state = ?, prev_hash = ?, hash = ? WHERE seq = ?', toState, String(row.prev_hash), String(row.hash), Number(row.seq))).toBe(1);
		}
		expect(await scanner.exec('UPDATE audit_head SET hash = ? WHERE id = 1', String(rows.at(-1)!.hash))).toBe(1);
		expect(await raw.verifyAuditChain(auditKey)).toEqual({ ok: true, entries: entries.length });

		// someone removes the record that a request was received
		const received = entries.find((entry) => entry.requestId === ids.access && entry.action === 'received')!;
		expect(await scanner.exec('DELETE FROM audit_log WHERE seq = ?', received.seq)).toBe(1);
		const next = entries[entries.indexOf(received) + 1];
		expect(await raw.verifyAuditChain(auditKey)).toMatchObject({ ok: false, brokenAtSeq: next.seq });
	});

	it('leaves nothing the person wrote in a log line or an error message', () => {
		expect(rig.base.leaks([...SAID, NAME])).toEqual([]);
	});
});

describe('erasure after Meta marketing preferences', () => {
	/**
	 * KNOWN BUG (outside the privacy code): the trigger's dedupe claim for a user_preferences event is keyed
	 * `user_preferences:{phoneNumberId}:{waId}:…` (nodes/shared/whatsapp/parse.ts dedupeKey), so the phone number
	 * itself sits in the claims table — which has no contact key and which erasure cannot reach — for the 8-day
	 * dedupe TTL. Marked `failing` so the suite stays green while it documents the bug; once dedupeKey
	 * pseudonymises or hashes the number this test will start passing, and jest will report it: drop `.failing` then.
	 */
	it('leaves neither the number nor its pseudonym outside the audit log and the suppression entry', async () => {
		const store = rig.sqliteStore('erasure-preferences');
		const raw = await rig.storeOf(store);
		const pseudonym = rig.keysOf(store).pseudonymise(WA);
		const stop = await rig.runFlow(envelope(ACCOUNT, [userPreferencesChange(ACCOUNT, WA, 'stop')]), { store });
		expect(stop.output(EXECUTE_NODE)[0].json).toMatchObject({ type: 'object', scope: 'marketing', state: 'completed' });
		const payload = rig.base.envelopeFor([msg.text(WA, 'delete my data')]);
		rig.graph.noteInbound(payload);
		const asked = await rig.runFlow(payload, { store });
		const confirmation = rig.base.envelopeFor([confirmButtonOf(asked.output(EXECUTE_NODE)[0].json)]);
		rig.graph.noteInbound(confirmation);
		const erasure = await rig.runFlow(confirmation, { store });
		expect(erasure.output(EXECUTE_NODE)[0].json).toMatchObject({ type: 'delete', state: 'partially_completed' });
		expect(raw.backend).toBe('sqlite');

		const scanner = sqliteScanner(store.credential.sqlitePath as string);
		try {
			const hits = await scan(scanner, [WA, pseudonym]);
			const unexpected = hits.filter(
				(hit) => hit.table !== 'audit_log' && !(hit.table === 'records' && hit.column === 'key' && hit.row.scope === 'suppression'),
			);
			expect(unexpected.map((hit) => `${where(hit)}: ${String(hit.row[hit.column])}`)).toEqual([]);
		} finally {
			await scanner.close();
		}
	});
});

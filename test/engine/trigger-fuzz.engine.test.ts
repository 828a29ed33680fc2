/**
 * Fuzzes the WhatsAuto Trigger's real receive path: every case is a POST through n8n-core's WebhookContext into
 * the node's `webhook()` (signature check, parse, route, dedupe claim in the real SQLite store in a temp
 * folder, items), with generated bodies and headers (./trigger-fuzz-cases). Each answer is compared with an
 * oracle written from the README's table: 413 over the cap, 401 without a valid signature, 400 for signed
 * bodies that are not a WhatsApp Business webhook (or nest deeper than 64), 200 otherwise, never 500; no
 * exception escapes; no execution without a valid signature; the body is never quoted in a log line or answer.
 *
 *   WHATSAUTO_FUZZ_SEED=<n>   another seed (the one used is printed)
 *   WHATSAUTO_FUZZ_RUNS=<n>   another number of cases (default 10,000)
 *   WHATSAUTO_FUZZ_CASE=<i>   only case i of the seed (each case has its own PRNG stream)
 */
import type { INodeParameters } from 'n8n-workflow';

import {
	caseRng,
	deepText,
	expectedAnswer,
	forgedHeader,
	MARKER,
	MAX_BODY_BYTES,
	mutate,
	plant,
	serialise,
	sign,
	text,
	anyValue,
	whatsappBody,
	type Rng,
	US,
	type Verdict,
} from './trigger-fuzz-cases';
import type { FakeRequest } from './harness';
import { APP_SECRET, metaCredential, triggerRig } from './trigger-fuzz-harness';

jest.setTimeout(300_000);

const SEED = Number(process.env.WHATSAUTO_FUZZ_SEED ?? 20261127) >>> 0;
const RUNS = Number(process.env.WHATSAUTO_FUZZ_RUNS ?? 10_000);
const ONLY = process.env.WHATSAUTO_FUZZ_CASE === undefined ? undefined : Number(process.env.WHATSAUTO_FUZZ_CASE);

const rig = triggerRig();
afterAll(async () => await rig.close());

const ALL_EVENTS = ['user_preferences', 'smb_message_echoes', 'errors', 'unknown_field'];
const SECRETS = { 'meta-empty': '', 'meta-blank': ' \t ' } as const;
for (const [id, secret] of Object.entries(SECRETS)) rig.addMeta(id, metaCredential(secret));

const PARAMETERS: Record<string, [INodeParameters, string]> = {
	default: [{}, 'meta-1'],
	everything: [{ emitStatuses: true, events: ALL_EVENTS, options: { includeRaw: true, anyPhoneNumber: true, staleMessages: 'flag' } }, 'meta-1'],
	byReference: [{ emitStatuses: true, events: ['user_preferences', 'smb_message_echoes'], options: { contentByReference: true, maxAgeMinutes: 0 } }, 'meta-1'],
	typed: [{ messageTypes: ['text', 'image'], events: ['errors', 'unknown_field'], options: { maxAgeMinutes: 5 } }, 'meta-1'],
	emptySecret: [{ emitStatuses: true, events: ALL_EVENTS }, 'meta-empty'],
	blankSecret: [{ emitStatuses: true, events: ALL_EVENTS }, 'meta-blank'],
};
const workflows = Object.fromEntries(Object.entries(PARAMETERS).map(([name, [parameters, metaId]]) => [name, rig.workflow(parameters, metaId)]));
const SIGNED_WORKFLOWS = ['default', 'everything', 'byReference', 'typed'] as const;

// ---------------------------------------------------------------- cases

interface Call {
	workflow: keyof typeof PARAMETERS;
	raw: Buffer;
	header: string | undefined;
	/** The credential's app secret, for the oracle. */
	secret: string;
	adjust?: (request: FakeRequest) => void;
	/** Overrides the oracle (e.g. no raw body at all). */
	expect?: Verdict;
	/** Extra check of the answer; a string is a failure. */
	check?: (result: Answer) => string | undefined;
}

interface Answer {
	status: number;
	body: unknown;
	outputs?: unknown[][];
}

type Category = (r: Rng, now: number) => Call[];

const anyWorkflow = (r: Rng) => r.pick(SIGNED_WORKFLOWS);
const signedCall = (r: Rng, raw: Buffer, workflow: Call['workflow'] = anyWorkflow(r)): Call => ({ workflow, raw, header: sign(APP_SECRET, raw), secret: APP_SECRET });
const NINE_DAYS = 9 * 86_400;

function setAll(value: unknown, key: string, to: unknown): void {
	const pending: object[] = [value as object];
	for (let next = pending.pop(); next; next = pending.pop()) {
		for (const [k, child] of Object.entries(next)) {
			if (k === key) (next as Record<string, unknown>)[k] = to;
			else if (typeof child === 'object' && child !== null) pending.push(child);
		}
	}
}

const CATEGORIES: Record<string, [weight: number, make: Category]> = {
	'valid WhatsApp body': [40, (r, now) => [signedCall(r, serialise(r, whatsappBody(r, now)))]],

	'replayed delivery': [
		10,
		(r, now) => {
			const call = signedCall(r, serialise(r, whatsappBody(r, now)));
			const replay: Call = { ...call, check: (a) => (a.outputs ? 'the replay started an execution' : undefined) };
			return [call, replay];
		},
	],

	'old delivery replayed (9 days)': [
		6,
		(r, now) => {
			const body = whatsappBody(r, now);
			setAll(body, 'timestamp', String(now - NINE_DAYS - r.int(0, 86_400)));
			const workflow = r.pick(['default', 'everything', 'typed'] as const);
			return [
				{
					...signedCall(r, serialise(r, body), workflow),
					check: (a) => {
						if (!a.outputs) return undefined;
						const json = (item: unknown) => (item as { json: { stale?: boolean; kind?: string } }).json;
						// only "Flag" passes old messages on (flagged); old statuses and events never; errors and other fields carry no time
						const messages = a.outputs[0].every((item) => workflow === 'everything' && json(item).stale === true);
						const events = a.outputs[2].every((item) => json(item).kind === 'error' || json(item).kind === 'unknown_field');
						return messages && a.outputs[1].length === 0 && events ? undefined : `an old status or event (or an unflagged old message) was passed on: ${JSON.stringify(a.outputs.map((o) => o.map((item) => [json(item).kind, json(item).stale])))}`;
					},
				},
			];
		},
	],

	'mutated (wrong types, arrays, deletions, unknown fields)': [
		42,
		(r, now) => {
			const body = whatsappBody(r, now);
			for (let i = r.int(1, 4); i > 0; i--) mutate(r, body);
			return [signedCall(r, serialise(r, body))];
		},
	],

	'prototype-pollution keys': [
		8,
		(r, now) => {
			const body = whatsappBody(r, now);
			for (let i = r.int(1, 3); i > 0; i--) mutate(r, body, 'prototype key');
			if (r.chance(0.3)) Object.defineProperty(body, '__proto__', { value: { object: 'x', polluted: MARKER }, enumerable: true });
			return [signedCall(r, serialise(r, body))];
		},
	],

	'unicode edge cases': [
		8,
		(r, now) => {
			let raw = Buffer.from(JSON.stringify(whatsappBody(r, now)), 'utf8'); // raw UTF-8, not Meta's escapes
			const where = raw.indexOf(MARKER);
			switch (r.int(0, 4)) {
				case 0: // invalid UTF-8 inside a string
					if (where > 0) raw = Buffer.concat([raw.subarray(0, where), Buffer.from(r.pick([[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf]])), raw.subarray(where)]);
					break;
				case 1: // byte order mark before the JSON
					raw = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), raw]);
					break;
				case 2: // whitespace JSON allows around the value, and some it does not
					raw = Buffer.concat([Buffer.from(r.pick([' \n\t', '\u00a0', '\r\n'])), raw, Buffer.from(r.pick(['\n', ' ', '\u2028']))]);
					break;
				case 3: // NUL after the JSON
					raw = Buffer.concat([raw, Buffer.from([0])]);
					break;
				default: // escaped and unescaped lone surrogates, NULs and line separators as text
					raw = Buffer.from(raw.toString('utf8').split(MARKER).join(`${MARKER}\\ud83d\\u0000\u2028\\udfff`), 'utf8');
			}
			return [signedCall(r, raw)];
		},
	],

	'deep nesting': [
		14,
		(r, now) => {
			const body = whatsappBody(r, now);
			const where = r.int(0, 3);
			if (where === 0) plant(r, body, '@@deep'); // anywhere
			else if (where === 1) (body as Record<string, unknown>).extra = '@@deep'; // beside the envelope
			else {
				// in what the trigger passes on as it came: another field's value (an Events item, dedupe key over it)
				const value = { messaging_product: 'whatsapp', metadata: { phone_number_id: US.phoneNumberId }, event: '@@deep' };
				(body.entry as Array<{ changes: unknown[] }>)[0].changes.push({ field: 'account_update', value });
			}
			const depth = r.pick([() => r.int(1, 40), () => r.int(50, 70), () => r.int(100, 5_000), () => r.int(5_000, 20_000)])(); // the last past the stack of any recursion (~3,000 levels)
			return [signedCall(r, serialise(r, body, { '@@deep': deepText(r, depth) }), where >= 2 ? r.pick(['everything', 'typed'] as const) : anyWorkflow(r))];
		},
	],

	'truncated or corrupted JSON': [
		14,
		(r, now) => {
			const raw = serialise(r, whatsappBody(r, now));
			const cut = r.int(0, raw.length - 1);
			const variants = [
				() => raw.subarray(0, cut),
				() => Buffer.concat([raw.subarray(0, cut), Buffer.from([r.int(0, 255)]), raw.subarray(cut + 1)]),
				() => Buffer.concat([raw, Buffer.from(r.pick([',', '}', ']', '{"a":1}', 'garbage']))]),
				() => Buffer.from(raw.toString('utf8').replace(/"/g, "'")),
			];
			return [signedCall(r, r.pick(variants)())];
		},
	],

	'signed garbage and non-WhatsApp JSON': [
		14,
		(r) => {
			const bodies: Array<() => string | Buffer> = [
				() => Buffer.alloc(0),
				() => Buffer.from(Array.from({ length: r.int(1, 2000) }, () => r.int(0, 255))),
				() => JSON.stringify(anyValue(r)),
				() => '{"object":"page","entry":[]}',
				() => '{"object":"whatsapp_business_account"}',
				() => '{"object":"whatsapp_business_account","entry":{}}',
				() => '{"object":"whatsapp_business_account","entry":[]}',
				() => '{"object":"whatsapp_business_account","entry":[null,1,"x",[],{}]}',
				() => '[{"object":"whatsapp_business_account","entry":[]}]',
				() => '{"object":["whatsapp_business_account"],"entry":[]}',
				() => '{"object":"WHATSAPP_BUSINESS_ACCOUNT","entry":[]}',
				() => 'object=whatsapp_business_account&entry=%5B%5D',
				() => '<xml><object>whatsapp_business_account</object></xml>',
				() => '"whatsapp_business_account"',
				() => 'null',
				() => `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":${JSON.stringify(anyValue(r))}}]}`,
				() => `{"object":"whatsapp_business_account","entry":[{"id":${JSON.stringify(anyValue(r))},"changes":[{"field":${JSON.stringify(text(r))},"value":${JSON.stringify(anyValue(r))}}]}]}`,
			];
			const raw = r.pick(bodies)();
			return [signedCall(r, Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'))];
		},
	],

	'forged or malformed signature': [
		28,
		(r, now) => {
			const raw = r.chance(0.8) ? serialise(r, whatsappBody(r, now)) : Buffer.from(JSON.stringify(anyValue(r)));
			const { header } = forgedHeader(r, raw, APP_SECRET);
			return [{ workflow: anyWorkflow(r), raw, header, secret: APP_SECRET, expect: { status: 401 } }];
		},
	],

	'accepted header forms (uppercase hex, padding)': [
		4,
		(r, now) => {
			const raw = serialise(r, whatsappBody(r, now));
			const correct = sign(APP_SECRET, raw);
			const header = r.pick([`sha256=${correct.slice(7).toUpperCase()}`, `SHA256=${correct.slice(7)}`, ` ${correct} `]);
			return [{ workflow: anyWorkflow(r), raw, header, secret: APP_SECRET, expect: { status: 200 } }];
		},
	],

	'empty or blank app secret': [
		6,
		(r, now) => {
			const workflow = r.pick(['emptySecret', 'blankSecret'] as const);
			const secret = SECRETS[workflow === 'emptySecret' ? 'meta-empty' : 'meta-blank'];
			const raw = serialise(r, whatsappBody(r, now));
			const header = r.pick([sign('', raw), sign(secret, raw), sign(APP_SECRET, raw), undefined]);
			return [{ workflow, raw, header, secret, expect: { status: 401 } }];
		},
	],

	'huge bodies (around the 4 MiB cap)': [
		1,
		(r, now) => {
			const body = { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { messages: [{ id: `wamid.${r.hex(16)}`, from: '1', timestamp: String(now), type: 'text', text: { body: '@@pad' } }] } }] }] };
			const shell = serialise(r, body).toString('utf8');
			const target = r.pick([MAX_BODY_BYTES, MAX_BODY_BYTES + 1, MAX_BODY_BYTES - r.int(1, 100_000), MAX_BODY_BYTES + r.int(2, 1_000_000)]);
			const pad = r.pick(['a', 'é']); // 'é' as raw UTF-8: two bytes a character
			const padBytes = Buffer.byteLength(pad);
			const room = target - (Buffer.byteLength(shell) - Buffer.byteLength('"@@pad"')) - 2;
			const raw = Buffer.from(shell.replace('"@@pad"', `"${pad.repeat(Math.floor(room / padBytes))}${'a'.repeat(room % padBytes)}"`), 'utf8');
			const signed = r.chance(0.7);
			return [{ ...signedCall(r, raw), header: signed ? sign(APP_SECRET, raw) : undefined }];
		},
	],

	'raw body read lazily (readRawBody)': [
		4,
		(r, now) => [
			{
				...signedCall(r, serialise(r, whatsappBody(r, now))),
				adjust: (request) => {
					const raw = request.rawBody;
					delete request.rawBody;
					request.readRawBody = async () => {
						request.rawBody = raw;
					};
				},
			},
		],
	],

	'no raw body at all': [
		1,
		(r, now) => [{ ...signedCall(r, serialise(r, whatsappBody(r, now))), adjust: (request) => delete request.rawBody, expect: { status: 401 } }],
	],
};

const SCHEDULE: string[] = Object.entries(CATEGORIES).flatMap(([name, [weight]]) => Array<string>(weight).fill(name));

// ---------------------------------------------------------------- running

interface Failure {
	index: number;
	category: string;
	call: number;
	problem: string;
}

describe('WhatsAuto Trigger fuzz', () => {
	it(`answers ${RUNS} generated deliveries as the README says`, async () => {
		const started = Date.now();
		const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort().join();
		const byCategory: Record<string, number> = {};
		const byStatus: Record<number, number> = {};
		const msByCategory: Record<string, number> = {};
		const items = [0, 0, 0];
		let calls = 0;
		let executions = 0;
		const failures: Failure[] = [];

		const indices = ONLY === undefined ? Array.from({ length: RUNS }, (_, i) => i) : [ONLY];
		for (const index of indices) {
			const r = caseRng(SEED, index);
			const category = SCHEDULE[index % SCHEDULE.length];
			byCategory[category] = (byCategory[category] ?? 0) + 1;
			const now = Math.floor(Date.now() / 1000);
			const caseStarted = performance.now();
			const generated = CATEGORIES[category][1](r, now);
			for (const [n, call] of generated.entries()) {
				const fail = (problem: string) => failures.push({ index, category, call: n, problem });
				const expected = call.expect ?? expectedAnswer(call.raw, call.header, call.secret);
				calls++;
				rig.takeLogs();
				let result;
				try {
					result = await rig.post(workflows[call.workflow], call.raw, call.header === undefined ? {} : { 'x-hub-signature-256': call.header }, call.adjust);
				} catch (error) {
					fail(`exception escaped: ${(error as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
					continue;
				}
				const logs = rig.takeLogs();
				const { response } = result;
				const outputs = result.result.workflowData;
				byStatus[response.statusCode] = (byStatus[response.statusCode] ?? 0) + 1;
				if (response.statusCode !== expected.status)
					fail(`answered ${response.statusCode} (${String(response.body).slice(0, 120)}), expected ${expected.status}${'why' in expected ? ` (${expected.why})` : ''}`);
				if (response.finished !== 1) fail(`response finished ${response.finished} times`);
				if (result.result.noWebhookResponse !== true) fail('noWebhookResponse is not set');
				if (outputs && response.statusCode !== 200) fail(`execution started although answered ${response.statusCode}`);
				if (response.statusCode !== 200 && logs.length !== 1) fail(`${logs.length} log lines for a rejection`);
				if (String(response.body ?? '').includes(MARKER)) fail('the answer quotes the body');
				const leak = logs.find((line) => line.message.includes(MARKER));
				if (leak) fail(`a log line quotes the body: ${leak.message.slice(0, 120)}`);
				if (outputs) {
					executions++;
					if (outputs.length !== 3 || !outputs.every((output) => Array.isArray(output))) fail('workflowData is not three outputs');
					outputs.forEach((output, i) => (items[i] += output.length));
					if (outputs.some((output) => output.some((item) => typeof item?.json !== 'object' || item.json === null))) fail('an item without json');
					try {
						JSON.stringify(outputs); // what n8n does with the execution's data
					} catch (error) {
						fail(`the items cannot be serialised: ${(error as Error).message}`);
					}
				}
				const extra = call.check?.({ status: response.statusCode, body: response.body, outputs });
				if (extra) fail(extra);
			}
			msByCategory[category] = (msByCategory[category] ?? 0) + performance.now() - caseStarted;
		}
		const seconds = (Date.now() - started) / 1000;

		const polluted = Object.getOwnPropertyNames(Object.prototype).sort().join() !== prototypeBefore || ({} as Record<string, unknown>).polluted !== undefined;
		if (polluted) failures.push({ index: -1, category: 'all', call: 0, problem: 'Object.prototype was polluted' });

		const list = (counts: Record<string | number, number>) => Object.entries(counts).map(([key, count]) => `${key}: ${count}`).join(', ');
		console.log(
			[
				`trigger fuzz: seed ${SEED} (WHATSAUTO_FUZZ_SEED), ${indices.length} cases, ${calls} webhook calls through n8n-core in ${seconds.toFixed(1)} s`,
				`  cases by category — ${list(byCategory)}`,
				`  ms by category — ${list(Object.fromEntries(Object.entries(msByCategory).map(([k, v]) => [k, Math.round(v)])))}`,
				`  answers by status — ${list(byStatus)}`,
				`  executions started: ${executions} (items: ${items[0]} messages, ${items[1]} statuses, ${items[2]} events); failures: ${failures.length}`,
				...(failures.length ? [`  failures by category — ${list(failures.reduce<Record<string, number>>((counts, f) => ({ ...counts, [f.category]: (counts[f.category] ?? 0) + 1 }), {}))}`] : []),
				...failures.slice(0, 20).map((f) => `  FAIL case ${f.index} (${f.category}, call ${f.call}): ${f.problem} — rerun alone with WHATSAUTO_FUZZ_SEED=${SEED} WHATSAUTO_FUZZ_CASE=${f.index}`),
			].join('\n'),
		);
		expect(failures).toEqual([]);
		expect(byStatus[500]).toBeUndefined();
	});
});

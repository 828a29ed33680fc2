/**
 * Hardening of the WhatsAuto Trigger's POST path, through n8n-core's WebhookContext and the real SQLite store:
 * old deliveries replayed later, an empty App Secret, deeply nested JSON.
 */
import { signWebhook, webhookBytes } from '../../devkit/fakes/meta-json';
import {
	echo,
	echoesChange,
	envelope,
	messagesChange,
	msg,
	status,
	statusesChange,
	userPreferencesChange,
	wamid,
} from '../../devkit/fakes/webhook-payloads';
import { ACCOUNT, APP_SECRET, metaCredential, triggerRig } from './trigger-fuzz-harness';

jest.setTimeout(30_000);

const rig = triggerRig();
afterAll(async () => await rig.close());

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);
const signed = (raw: Buffer, secret = APP_SECRET) => ({ 'x-hub-signature-256': signWebhook(secret, raw) });

describe('a validly signed but old delivery replayed later changes nothing', () => {
	const everything = { emitStatuses: true, events: ['user_preferences', 'smb_message_echoes', 'errors', 'unknown_field'] };

	it.each([['drop'], ['flag']])('drops a 9-day-old user_preferences change (Old Messages = %s)', async (staleMessages) => {
		const built = rig.workflow({ ...everything, options: { staleMessages } });
		const raw = webhookBytes(envelope(ACCOUNT, [userPreferencesChange(ACCOUNT, '16505551234', 'resume', { timestamp: daysAgo(9) })]));
		const call = await rig.post(built, raw, signed(raw));
		expect(call.response.statusCode).toBe(200);
		expect(call.result.workflowData).toBeUndefined();
		expect(rig.takeLogs().some((l) => l.message.includes('1 stale'))).toBe(true);
	});

	it.each([['drop'], ['flag']])('drops 9-day-old statuses and business-app echoes (Old Messages = %s)', async (staleMessages) => {
		const built = rig.workflow({ ...everything, options: { staleMessages } });
		const outbound = wamid('16505551234', 'out');
		const raw = webhookBytes(
			envelope(ACCOUNT, [
				statusesChange(ACCOUNT, [status(outbound, '16505551234', 'read', { timestamp: daysAgo(9) })]),
				echoesChange(ACCOUNT, [echo(ACCOUNT, '16505551234', 'old human answer', { timestamp: daysAgo(9) })]),
			]),
		);
		const call = await rig.post(built, raw, signed(raw));
		expect(call.response.statusCode).toBe(200);
		expect(call.result.workflowData).toBeUndefined();
	});

	it('still passes fresh events and statuses, and old ones when the age check is off', async () => {
		const outbound = wamid('16505551234', 'out');
		const fresh = webhookBytes(
			envelope(ACCOUNT, [
				userPreferencesChange(ACCOUNT, '16505551234', 'stop'),
				statusesChange(ACCOUNT, [status(outbound, '16505551234', 'delivered')]),
			]),
		);
		const call = await rig.post(rig.workflow(everything), fresh, signed(fresh));
		expect(call.result.workflowData?.map((output) => output.map((item) => item.json.kind))).toEqual([[], ['status'], ['user_preferences']]);

		const old = webhookBytes(envelope(ACCOUNT, [userPreferencesChange(ACCOUNT, '16505551235', 'stop', { timestamp: daysAgo(9) })]));
		const unchecked = await rig.post(rig.workflow({ ...everything, options: { maxAgeMinutes: 0 } }), old, signed(old));
		expect(unchecked.result.workflowData?.[2].map((item) => item.json.waId)).toEqual(['16505551235']);
	});
});

describe('an empty App Secret is refused, never used as an HMAC key', () => {
	it.each([
		['empty', 'meta-empty', ''],
		['whitespace-only', 'meta-blank', ' \t '],
	])('answers 401 with one log line for a body signed with the %s key', async (_label, id, secret) => {
		rig.addMeta(id, metaCredential(secret));
		const built = rig.workflow({}, id);
		const raw = webhookBytes(envelope(ACCOUNT, [messagesChange(ACCOUNT, [msg.text('16505551234', 'signed with nothing')])]));
		rig.takeLogs();
		for (const key of new Set([secret, secret.trim()])) {
			const call = await rig.post(built, raw, signed(raw, key));
			expect(call.response.statusCode).toBe(401);
			expect(call.result.workflowData).toBeUndefined();
			const logs = rig.takeLogs();
			expect(logs).toHaveLength(1);
			expect(logs[0].level).toBe('warn');
			expect(logs[0].message).toMatch(/credential has no app secret/);
		}
	});
});

describe('deeply nested JSON is answered 400, never 500', () => {
	/** `{"k":{"k":…"leaf"…}}` `depth` levels deep, built as text (JSON.stringify itself would overflow). */
	const deepObject = (depth: number) => '{"k":'.repeat(depth) + '"leaf"' + '}'.repeat(depth);
	const deepArray = (depth: number) => '['.repeat(depth) + '1' + ']'.repeat(depth);
	const head = `{"object":"whatsapp_business_account","entry":[{"id":"${ACCOUNT.businessAccountId}","changes":[{"field":`;
	const meta = `"messaging_product":"whatsapp","metadata":{"display_phone_number":"${ACCOUNT.displayPhoneNumber}","phone_number_id":"${ACCOUNT.phoneNumberId}"}`;
	const now = Math.floor(Date.now() / 1000);

	const bodies: Array<[string, (deep: string) => string]> = [
		['an unknown field’s value', (deep) => `${head}"account_update","value":{${meta},"event":${deep}}}]}]}`],
		['a message', (deep) => `${head}"messages","value":{${meta},"messages":[{"from":"16505551234","id":"wamid.DEEP${Math.random()}","timestamp":"${now}","type":"text","text":{"body":"x"},"extra":${deep}}]}}]}]}`],
		['a value-level error', (deep) => `${head}"messages","value":{${meta},"errors":[{"code":131000,"title":"x","error_data":${deep}}]}}]}]}`],
		['the envelope', (deep) => `{"object":"whatsapp_business_account","extra":${deep},"entry":[]}`],
	];
	const everything = { emitStatuses: true, events: ['user_preferences', 'smb_message_echoes', 'errors', 'unknown_field'] };

	it.each(bodies)('in %s', async (_where, body) => {
		for (const deep of [deepObject(200_000), deepArray(500_000), deepObject(100)]) {
			const raw = Buffer.from(body(deep), 'utf8');
			const call = await rig.post(rig.workflow(everything), raw, signed(raw));
			expect(call.response.statusCode).toBe(400);
			expect(String(call.response.body)).toMatch(/nest/);
			expect(call.result.workflowData).toBeUndefined();
		}
	});

	it('keeps answering 200 for a realistic body after them (the store is fine)', async () => {
		const raw = webhookBytes(envelope(ACCOUNT, [messagesChange(ACCOUNT, [msg.text('16505551234', 'still here')])]));
		const call = await rig.post(rig.workflow(), raw, signed(raw));
		expect(call.response.statusCode).toBe(200);
		expect(call.result.workflowData?.[0]).toHaveLength(1);
	});
});

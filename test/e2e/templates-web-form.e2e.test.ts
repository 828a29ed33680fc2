/**
 * The "Privacy requests from a web form" template (workflows/privacy-requests-web-form.json) end to end through
 * n8n 2.41.1's real form URLs: the Form Trigger page, its multipart POST, the `/form-waiting/<execution>` page of
 * the "Enter Code" Form node, the 6-digit code read from what the fake Graph API received, and the completion
 * page. Also the "Privacy deadline monitor" template, run through n8n's CLI.
 */
import { deriveKeys, pseudonymise } from '../../nodes/shared/crypto';
import { nodeBinary } from '../../devkit/n8n';
import { openDb } from '../../devkit/n8n/sqlite';
import {
	executeWorkflowCli,
	loadTemplate,
	runByHand,
	sentText,
	STORE_SECRET,
	useTemplatesEnv,
	waitUntil,
	WORKFLOW_IDS,
	type Json,
	type Template,
	type TemplatesEnv,
} from './templates-env';
import { confirmCompletion, getPage, postForm, visibleText, waitForFormStatus, type Page } from './templates-forms';

jest.setTimeout(300_000);

const WF = WORKFLOW_IDS.webForm;
const MANUAL_MONITOR_ID = 'tplWhatsAutoDeaM';
const QUICK_TIMEOUT_ID = 'tplWhatsAutoFoTO';
const QUICK_TIMEOUT_FORM = '5e1a7c3b-2d4f-4a6b-8c9d-0e1f2a3b4c5d';

/**
 * The web form as it is, but with its code page waiting 3 seconds instead of the code's 10 minutes: the time-out
 * branch as the template wires it, in a test's time. Own form paths (webhook ids), so both can be published.
 */
function quickTimeoutForm(): Template {
	const workflow = loadTemplate('webForm');
	for (const node of workflow.nodes) {
		if (node.type === 'n8n-nodes-base.formTrigger') node.webhookId = QUICK_TIMEOUT_FORM;
		else if (node.webhookId) node.webhookId = `${node.webhookId.slice(0, -12)}${'0'.repeat(11)}1`;
		if (node.name === 'Enter Code') {
			expect(node.parameters).toMatchObject({ limitWaitTime: true, resumeAmount: 10, resumeUnit: 'minutes' });
			node.parameters.resumeAmount = 0.05;
		}
	}
	return { ...workflow, name: `${workflow.name} (3-second code page)` };
}

/**
 * The deadline monitor as it is, but started by hand: `n8n execute` runs only workflows that start with a Manual
 * (or Execute Workflow) Trigger, and the template's Schedule Trigger fires at 9:00. Same name, same connections.
 */
const manualMonitor = (): Template => runByHand(loadTemplate('deadlineMonitor'), 'Every Morning');

const REQUEST_ID = /PR-\d{8}-[A-Z2-9]{6}/;
const keys = deriveKeys(STORE_SECRET);

let nextNumber = 100;
const customer = () => `4477009${String(500 + nextNumber++).padStart(5, '0')}`;
/** How a person types their number into the form. */
const typed = (waId: string) => `+${waId.slice(0, 2)} ${waId.slice(2, 6)} ${waId.slice(6)}`;

const textOf = sentText;

describe('template: privacy requests from a web form, in real n8n', () => {
	let env: TemplatesEnv;

	useTemplatesEnv(
		{
			activate: ['webForm', 'deadlineMonitor'],
			extra: [
				{ id: MANUAL_MONITOR_ID, workflow: manualMonitor() },
				{ id: QUICK_TIMEOUT_ID, workflow: quickTimeoutForm(), activate: true },
			],
		},
		(started) => (env = started),
	);

	const requestRecord = (id: string) => {
		const [row] = env.store('SELECT value, contact_key FROM records WHERE scope = ? AND key = ?', 'privacy-request', id);
		return row ? ({ ...(JSON.parse(String(row.value)) as Json), contactKey: row.contact_key } as Json) : undefined;
	};

	/** Opens the form, asks for `request`, and returns the "Enter Code" page and the code WhatsApp received. */
	async function ask(waId: string, request: string, correctName = ''): Promise<{ waitingUrl: string; code: string; codePage: Page }> {
		// the person wrote to the business recently: a plain message can carry the code
		env.graph.setLastInbound(waId, Date.now() - 60_000);
		const page = await getPage(env.formUrl);
		expect(page.status).toBe(200);
		expect(page.html).toContain('Your data, your choice');
		expect(page.fields).toEqual(['field-0', 'field-1', 'field-2']);
		for (const option of ['access', 'correct', 'delete', 'object', 'resume']) expect(page.html).toContain(`value='${option}'`);

		const before = env.sentTo(waId).length;
		const posted = await postForm(env.formUrl, [typed(waId), request, correctName]);
		expect(posted.status).toBe(200);
		const { formWaitingUrl } = JSON.parse(posted.text) as { formWaitingUrl: string };
		expect(formWaitingUrl).toMatch(new RegExp(`^${env.n8n.baseUrl}/form-waiting/\\d+\\?signature=`));
		expect(await waitForFormStatus(formWaitingUrl)).toBe('form-waiting');

		const message = (await env.waitForSent(waId, before + 1))[before];
		expect(message.type).toBe('text');
		expect(textOf(message)).toMatch(/^Your Your Business verification code is \d{6}\. It expires in 10 minutes\./);
		const code = /\b(\d{6})\b/.exec(textOf(message))![1];

		const codePage = await getPage(formWaitingUrl);
		expect(codePage.status).toBe(200);
		expect(codePage.html).toContain('Check your WhatsApp');
		expect(codePage.fields).toEqual(['field-0']);
		return { waitingUrl: formWaitingUrl, code, codePage };
	}

	/** Submits a code on the "Enter Code" page; returns the next page n8n shows (another code page or the result). */
	async function submitCode(waitingUrl: string, code: string): Promise<Page> {
		const posted = await postForm(waitingUrl, [code]);
		expect(posted.status).toBeLessThan(400);
		expect(await waitForFormStatus(waitingUrl)).toBe('form-waiting');
		return await getPage(waitingUrl);
	}

	async function finish(waitingUrl: string) {
		expect(await confirmCompletion(waitingUrl)).toBe(200);
		const executionId = Number(/\/form-waiting\/(\d+)/.exec(waitingUrl)![1]);
		await waitUntil(`execution ${executionId} to end`, () => env.executionRows(WF).find((r) => r.id === executionId && r.ended));
		expect(await waitForFormStatus(waitingUrl)).not.toMatch(/error|crashed|canceled/);
	}

	it('access: form → code on WhatsApp → right code → "Done", the export on WhatsApp, the request completed', async () => {
		const wa = customer();
		const { waitingUrl, code } = await ask(wa, 'access');
		const result = await submitCode(waitingUrl, code);
		const text = visibleText(result.html);
		expect(text).toContain('Done');
		expect(text).toMatch(/Request PR-\d{8}-[A-Z2-9]{6}: completed\. We also confirmed it on WhatsApp\./);
		const id = REQUEST_ID.exec(text)![0];
		await finish(waitingUrl);

		expect(requestRecord(id)).toMatchObject({ id, type: 'access', channel: 'form', state: 'completed', contactKey: pseudonymise(keys.pseudonymKey, wa) });
		const [, document, summary] = await env.waitForSent(wa, 3);
		expect(document.type).toBe('document');
		expect(textOf(document)).toContain(`Your access request ${id} is complete`);
		expect(textOf(summary)).toContain(`Summary of the data we hold about you (request ${id})`);
		const upload = env.graph.uploads.find((u) => u.filename?.startsWith(id))!;
		expect(JSON.parse(env.graph.getMedia(upload.id)!.bytes.toString('utf8'))).toMatchObject({ requestId: id, subject: { whatsappId: wa } });
	});

	it('delete: a wrong code first, then the right one on the same page', async () => {
		const wa = customer();
		const { waitingUrl, code } = await ask(wa, 'delete');
		const wrong = code === '000000' ? '111111' : '000000';
		const again = await submitCode(waitingUrl, wrong);
		expect(again.html).toContain('Check your WhatsApp');
		expect(visibleText(again.html)).toContain('2 attempts left');
		expect(again.fields).toEqual(['field-0']);
		const result = visibleText((await submitCode(waitingUrl, code)).html);
		expect(result).toMatch(/Done.*Request PR-\d{8}-[A-Z2-9]{6}: completed\. We also confirmed it on WhatsApp\./);
		await finish(waitingUrl);
		const id = REQUEST_ID.exec(result)![0];
		expect(requestRecord(id)).toMatchObject({ type: 'delete', state: 'completed' });
		const confirmation = (await env.waitForSent(wa, 2))[1];
		expect(textOf(confirmation)).toMatch(new RegExp(`^Your erasure request ${id} is complete`));
	});

	it('three wrong codes: denied, nothing done, nothing confirmed', async () => {
		const wa = customer();
		const { waitingUrl, code } = await ask(wa, 'object');
		const wrong = [1, 2, 3].map((n) => String((Number(code) + n * 111_111) % 1_000_000).padStart(6, '0'));
		let page = await submitCode(waitingUrl, wrong[0]);
		expect(visibleText(page.html)).toContain('2 attempts left');
		page = await submitCode(waitingUrl, wrong[1]);
		expect(visibleText(page.html)).toContain('1 attempt left');
		page = await submitCode(waitingUrl, wrong[2]);
		const text = visibleText(page.html);
		expect(text).toContain('We could not verify your number');
		await finish(waitingUrl);
		const id = REQUEST_ID.exec(text)![0];
		expect(requestRecord(id)).toMatchObject({ type: 'object', state: 'denied' });
		expect(String(requestRecord(id)!.reason)).toContain('Too many wrong verification codes');
		// the code was the only message: no confirmation, no objection recorded
		expect(env.sentTo(wa)).toHaveLength(1);
		expect(env.store('SELECT key FROM records WHERE scope = ? AND key = ?', 'suppression', pseudonymise(keys.pseudonymKey, wa))).toEqual([]);
	});

	it('limits codes per number: the fourth request within the hour gets the "try later" page and no code', async () => {
		const wa = customer();
		for (let i = 0; i < 3; i++) {
			const { waitingUrl, code } = await ask(wa, 'object');
			expect(visibleText((await submitCode(waitingUrl, code)).html)).toContain('Done');
			await finish(waitingUrl);
		}
		const before = env.sentTo(wa).length;
		const posted = await postForm(env.formUrl, [typed(wa), 'delete', '']);
		expect(posted.status).toBe(200);
		const { formWaitingUrl } = JSON.parse(posted.text) as { formWaitingUrl: string };
		expect(await waitForFormStatus(formWaitingUrl)).toBe('form-waiting');
		const page = await getPage(formWaitingUrl);
		expect(visibleText(page.html)).toContain('Please try again later');
		expect(page.html).not.toContain('Check your WhatsApp');
		expect(page.fields).toEqual([]);
		await finish(formWaitingUrl);
		// no code, no request: the same page for any number
		expect(env.sentTo(wa)).toHaveLength(before);
		const subject = pseudonymise(keys.pseudonymKey, wa);
		const requests = env.store('SELECT value FROM records WHERE scope = ? AND contact_key = ?', 'privacy-request', subject).map((r) => JSON.parse(String(r.value)) as Json);
		expect(requests.map((r) => r.type)).toEqual(['object', 'object', 'object']);
	});

	it('closes an abandoned code page after the code lifetime: the request denied, no execution left waiting with the number', async () => {
		const wa = customer();
		env.graph.setLastInbound(wa, Date.now() - 60_000);
		const formUrl = `${env.n8n.baseUrl}/form/${QUICK_TIMEOUT_FORM}`;
		const posted = await postForm(formUrl, [typed(wa), 'delete', '']);
		expect(posted.status).toBe(200);
		const { formWaitingUrl } = JSON.parse(posted.text) as { formWaitingUrl: string };
		expect(await waitForFormStatus(formWaitingUrl)).toBe('form-waiting');
		await env.waitForSent(wa, 1);
		const executionId = Number(/\/form-waiting\/(\d+)/.exec(formWaitingUrl)![1]);
		// nobody types the code; n8n looks for waiting executions whose time is up once a minute
		await waitUntil(`abandoned execution ${executionId} to end`, () => env.executionRows(QUICK_TIMEOUT_ID).find((r) => r.id === executionId && r.ended), 150_000);
		const subject = pseudonymise(keys.pseudonymKey, wa);
		const [row] = env.store('SELECT key, value FROM records WHERE scope = ? AND contact_key = ?', 'privacy-request', subject);
		expect(JSON.parse(String(row.value))).toMatchObject({
			type: 'delete',
			channel: 'form',
			state: 'denied',
			reason: 'Identity could not be verified: No verification code was entered in time.',
		});
		expect(env.store('SELECT key FROM records WHERE scope = ? AND key = ?', 'privacy-verification', String(row.key))).toEqual([]);
		expect(await waitForFormStatus(formWaitingUrl)).not.toBe('form-waiting');
		// nothing but the code was sent: no confirmation, no erasure
		expect(env.sentTo(wa)).toHaveLength(1);
	});

	it('every form execution has ended, and n8n kept none of them (the template saves no execution data)', async () => {
		const rows = await env.waitForEnded(WF, 7);
		expect(rows.every((r) => r.deletedAt !== null)).toBe(true);
	});

	it('deadline monitor: lists the open requests due within 7 days, never the person', async () => {
		// a request received 27 days ago through the form, verified and being worked on: due in 4 days (one still
		// waiting for its code would have been denied as not verified a day after its code expired)
		const received = new Date(Date.now() - 27 * 86_400_000);
		const due = new Date(received);
		due.setUTCMonth(due.getUTCMonth() + 1);
		const id = `PR-${received.toISOString().slice(0, 10).replaceAll('-', '')}-DUE4DA`;
		const wa = customer();
		const subject = pseudonymise(keys.pseudonymKey, wa);
		const request = { id, type: 'delete', channel: 'form', state: 'in_progress', subject, receivedAt: received.toISOString(), dueAt: due.toISOString(), results: [] };
		const db = openDb(env.storePath, { readOnly: false, fallbackNode: nodeBinary() });
		try {
			// as the desk writes it: indexed by its state and due date, which List Open reads
			db.run(
				'INSERT INTO records (scope, key, contact_key, value, created_at, expires_at, state, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
				'privacy-request',
				id,
				subject,
				JSON.stringify(request),
				received.getTime(),
				Date.now() + 365 * 86_400_000,
				'in_progress',
				due.getTime(),
			);
		} finally {
			db.close();
		}
		// the template itself is published, its schedule registered (startTemplatesEnv waits for that)
		expect(env.executionRows(WORKFLOW_IDS.deadlineMonitor)).toEqual([]);
		const run = (await executeWorkflowCli(env.n8n, MANUAL_MONITOR_ID)) as {
			data: { resultData: { runData: Record<string, Array<{ data: { main: Array<Array<{ json: Json }>> } }>> } };
		};
		const listed = run.data.resultData.runData['Notify the Team'][0].data.main[0].map((i) => i.json);
		expect(listed).toEqual([expect.objectContaining({ id, type: 'delete', state: 'in_progress', overdue: false, daysLeft: expect.any(Number) })]);
		expect(listed[0].daysLeft).toBeLessThanOrEqual(4);
		expect(JSON.stringify(listed)).not.toContain(wa);
		expect(JSON.stringify(listed)).not.toContain(subject);
	});
});

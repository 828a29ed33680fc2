/**
 * The waitlist notifier template (workflows/whatsapp-waitlist-notifier.json) in a real n8n 2.41.1 with this package
 * installed: Schedule Trigger (every 15 minutes) → Notify Waitlist (the Auto-Reply's Notify Waitlist, Only When There
 * Is Room, no template) → Log It (Replace Me) (No-Op).
 *
 * Set up as templates-usage-report.e2e.test.ts: the template imported as it is (credential references bound by id,
 * see templates-env.ts), its three credentials pointing at the fake Graph API, the fake OpenAI and the SQLite store
 * at its documented default path (<N8N_USER_FOLDER>/.n8n/whatsauto.sqlite), with a known secret key. The test puts
 * three people on the waitlist in that store file with the package's own joinWaitlist (as the Reply does at
 * capacity): two who wrote an hour or two ago, one whose last message is 30 hours old. Then it runs a copy of the
 * template whose Schedule Trigger is a Manual Trigger (same name, same wiring, every other node as shipped) once with
 * `n8n execute --id=… --rawOutput`; the template saves no execution data, so the run data is read from what the CLI
 * prints. The template itself is imported and published next to it, its schedule registered.
 *
 * The published template's schedule fires at every quarter hour (n8n 2.41.1: `<random second> *\/15 * * * *`): a
 * scheduled run between filling the waitlist and the run by hand would notify the people first. So the test fills
 * the waitlist only when the next quarter hour is far enough away (waiting past it otherwise).
 */
import { join } from 'node:path';

import { LIMIT_DEFAULTS } from '../../nodes/WhatsAutoReply/actions/reply/options';
import { contactRef, pseudonymOf } from '../../nodes/shared/contact';
import { isActive, joinWaitlist, onWaitlist } from '../../nodes/shared/conversation/capacity';
import { conversationText } from '../../nodes/shared/conversation/messages';
import { openStore } from '../../nodes/shared/store';
import { type Language } from '../../nodes/shared/privacy/messages';
import { toContentKeys } from '../../nodes/shared/store/access';
import {
	ACCOUNT,
	BUSINESS_NAME,
	executeWorkflowCli,
	sentText,
	sleep,
	STORE_SECRET,
	useScheduledTemplate,
	type Json,
} from './templates-env';

jest.setTimeout(600_000);

const TEMPLATE_ID = 'tplWhatsAutoWait';
const MANUAL_ID = 'tplWhatsAutoWaiM';
const TRIGGER = 'Every 15 Minutes';
const NOTIFY = 'Notify Waitlist';
const LOG = 'Log It (Replace Me)';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The Auto-Reply's default Waitlist TTL (Days). */
const WAITLIST_TTL = LIMIT_DEFAULTS.waitlistDays * DAY;
/** From filling the waitlist to the end of the run by hand, with room to spare (`n8n execute` took ~5 s here). */
const QUIET_NEEDED = 2 * MINUTE;

type RunData = {
	data: { resultData: { error?: unknown; lastNodeExecuted?: string; runData: Record<string, Array<{ data: { main: Array<Array<{ json: Json }>> } }>> } };
};

/**
 * Waits, if need be, until the published template's next scheduled run is at least `quietMs` away: past the coming
 * quarter hour plus the schedule's random second (≤ 59 s) and a few seconds for that run to finish.
 */
async function awayFromSchedule(quietMs: number): Promise<void> {
	const quarter = 15 * MINUTE;
	const now = Date.now();
	const next = Math.ceil(now / quarter) * quarter;
	if (next - now >= quietMs) return;
	await sleep(next - now + 75_000);
}

describe('template: waitlist notifier in a real n8n', () => {
	const env = useScheduledTemplate('whatsapp-waitlist-notifier.json', { scheduleName: TRIGGER, ids: { template: TEMPLATE_ID, manual: MANUAL_ID }, modelNote: 'not expected: notifying the waitlist calls no model' });

	it('is set up as documented: room-bound, the Auto-Reply’s default capacity, no template, no execution data', () => {
		const notify = env.template.nodes.find((n) => n.name === NOTIFY)!;
		expect(notify.type).toBe('n8n-nodes-whatsauto.whatsAutoReply');
		expect(notify.parameters).toMatchObject({
			operation: 'notifyWaitlist',
			onlyWhenRoom: true,
			maxActiveConversations: LIMIT_DEFAULTS.maxActiveConversations,
			activeWindowMinutes: LIMIT_DEFAULTS.activeWindowMinutes,
			businessName: BUSINESS_NAME,
			message: '',
			templateName: '',
		});
		expect(env.template.settings).toMatchObject({ saveDataSuccessExecution: 'none', saveDataErrorExecution: 'none', saveManualExecutions: false, saveExecutionProgress: false });
	});

	it('tells the two people inside the 24-hour window the bot is back and leaves the third waiting, numbers nowhere in the items', async () => {
		const started = env.n8n;
		const fake = env.graph;
		// the store credential's SQLite path is empty: the documented default next to n8n's own data
		const storePath = join(started.userFolder, '.n8n', 'whatsauto.sqlite');
		const keys = toContentKeys({ secretKey: STORE_SECRET })!;
		const subjectOf = (waId: string) => pseudonymOf(keys.pseudonymise, { kind: 'phone', waId });
		// UK drama numbers, each written once
		const people: Array<{ waId: string; ago: number; language?: Language }> = [
			{ waId: '447700900731', ago: 30 * HOUR, language: 'pt' }, // waiting longest, window closed
			{ waId: '447700900152', ago: 2 * HOUR, language: 'es' },
			{ waId: '447700900468', ago: 1 * HOUR, language: undefined }, // no language known: English
		];
		const [closed, spanish, english] = people;
		const NUMBERS = people.map((p) => p.waId);

		await awayFromSchedule(QUIET_NEEDED);
		const store = await openStore({ backend: 'sqlite', path: storePath });
		try {
			for (const person of people) {
				const at = new Date(Date.now() - person.ago);
				const added = await joinWaitlist(
					store,
					keys,
					{ subject: subjectOf(person.waId), recipient: { waId: person.waId }, ...(person.language ? { language: person.language } : {}), phoneNumberId: ACCOUNT.phoneNumberId },
					WAITLIST_TTL,
					at,
				);
				expect(added).toBe(true);
				// when they last wrote, as Meta sees it: the fake refuses a text outside the window
				fake.setLastInbound(person.waId, at);
			}
		} finally {
			await store.close();
		}

		const t0 = Date.now();
		const run = (await executeWorkflowCli(started, MANUAL_ID)) as RunData;
		const runMs = Date.now() - t0;
		process.stderr.write(`waitlist notifier: n8n execute took ${runMs} ms\n`);
		expect(runMs).toBeLessThan(QUIET_NEEDED);
		const { resultData } = run.data;
		expect(resultData.error).toBeUndefined();
		expect(Object.keys(resultData.runData).sort()).toEqual([TRIGGER, LOG, NOTIFY].sort());
		const out = (node: string) => resultData.runData[node][0].data.main[0].map((item) => item.json);

		// what reached WhatsApp: the "back" text in each person's language, for the two inside the window only
		expect(fake.sent.map((s) => s.waId).sort()).toEqual([spanish.waId, english.waId].sort());
		for (const person of [spanish, english]) {
			const [sent] = fake.sent.filter((s) => s.waId === person.waId);
			expect(sent.type).toBe('text');
			expect(sent.inWindow).toBe(true);
			expect(sentText(sent)).toBe(conversationText('back', person.language, { business: BUSINESS_NAME }));
		}
		expect(conversationText('back', 'es', { business: BUSINESS_NAME })).not.toBe(conversationText('back', 'en', { business: BUSINESS_NAME }));
		expect(env.ai.chatRequests).toHaveLength(0);

		// one item per person looked at, longest waiting first, by contact reference
		const items = out(NOTIFY);
		expect(items.map((json) => json.contactKey)).toEqual(people.map((p) => contactRef(subjectOf(p.waId))));
		expect(items[0]).toMatchObject({ status: 'skipped', reason: 'window_closed', windowOpen: false, onWaitlist: true, graphMessageIds: [], language: 'pt' });
		for (const [i, person] of [spanish, english].entries()) {
			expect(items[i + 1]).toMatchObject({ status: 'notified', windowOpen: true, onWaitlist: false, language: person.language ?? null });
			expect(items[i + 1].graphMessageIds).toEqual([expect.stringMatching(/^m:[0-9a-f]{64}$/)]);
		}
		expect(out(LOG)).toEqual(items);

		// no number, and no Meta message id (a wamid is the number in base64), anywhere in what the run printed
		const printed = JSON.stringify(run);
		for (const waId of NUMBERS) expect(printed).not.toContain(waId);
		for (const sent of fake.sent) expect(printed).not.toContain(sent.id);

		// the store n8n used: the two told are off the waitlist, each holding a place (Active Window); the third waits
		const after = await openStore({ backend: 'sqlite', path: storePath });
		try {
			expect(await onWaitlist(after, subjectOf(closed.waId))).toBe(true);
			expect(await isActive(after, subjectOf(closed.waId))).toBe(false);
			for (const person of [spanish, english]) {
				expect(await onWaitlist(after, subjectOf(person.waId))).toBe(false);
				expect(await isActive(after, subjectOf(person.waId))).toBe(true);
			}
		} finally {
			await after.close();
		}
	});
});

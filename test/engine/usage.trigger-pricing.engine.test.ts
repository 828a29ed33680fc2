/**
 * Record Meta Pricing (the trigger's option): a status webhook about a message the Auto-Reply sent gives the usage
 * ledger its pricing row from the trigger itself, without starting an execution (Statuses output off), once per
 * message; a status about a message we did not send, or the option off, records nothing. On each store backend.
 */
import { RIG_START_TIMEOUT_MS, startReplyRig, type ReplyRig, type ReplyStoreBackend } from './reply-harness';

import { msg, SERVICE_PRICING, status, templatePricing } from '../../devkit/fakes/webhook-payloads';
import { canonicalOf } from '../../nodes/shared/store/people';
import { SCOPES } from '../../nodes/shared/store/scopes';
import type { WhatsAutoStore } from '../../nodes/shared/store';
import { usageOf } from '../../nodes/shared/usage/ledger';

jest.setTimeout(60_000);

const ANSWER = 'Shipping to Porto is free this week.';
const PRICING_ON = { options: { recordPricing: true } };

let rig: ReplyRig;

beforeAll(async () => {
	rig = await startReplyRig({ ai: { responder: () => ({ content: ANSWER }) } });
});

afterAll(async () => {
	await rig?.close();
}, 120_000);

describe.each<[ReplyStoreBackend]>([['sqlite'], ['postgres']])('the trigger records Meta pricing on %s', (backend) => {
	let store: WhatsAutoStore;
	let contacts = 0;
	const newContact = () => `3465558${backend === 'sqlite' ? 1 : 2}${String(++contacts).padStart(3, '0')}`;

	beforeAll(async () => {
		await rig.useBackend(backend);
		store = await rig.store();
	}, RIG_START_TIMEOUT_MS);

	beforeEach(() => rig.resetFakes());

	const subjectOf = async (waId: string): Promise<string> => (await canonicalOf(store, rig.storeKeys(), { waId }))!;
	const pricingRows = async () => (await store.listRecords(SCOPES.usagePricing.name, { limit: 1000 })).length;

	/** A reply through trigger → Auto-Reply; its wamid. */
	const replied = async (customer: string): Promise<string> => {
		const payload = rig.envelopeFor([msg.text(customer, 'How much is shipping to Porto?')]);
		rig.graph.noteInbound(payload);
		const chained = await rig.runChain(payload, { triggerParameters: PRICING_ON });
		expect(chained.status).toBe(200);
		expect(chained.out[0]).toMatchObject({ status: 'replied' });
		expect(rig.graph.sent).toHaveLength(1);
		return rig.graph.sent[0].id;
	};

	it('records the pricing of a message the Auto-Reply sent once, starting no execution; not for messages it did not send', async () => {
		const customer = newContact();
		const subject = await subjectOf(customer);
		const wamid = await replied(customer);
		const before = await pricingRows();

		const first = await rig.runChain(rig.statusEnvelope([status(wamid, customer, 'sent', { pricing: SERVICE_PRICING })]), { triggerParameters: PRICING_ON });
		expect(first.status).toBe(200);
		expect(first.run).toBeUndefined();
		const { pricing } = await usageOf(store, subject);
		expect(pricing).toEqual([{ at: expect.any(String), contactKey: subject, category: 'service', billable: false, pricingModel: 'PMP' }]);

		// the same delivery again (Meta's retry), then pricing again on delivered: still one row
		expect((await rig.runChain(rig.statusEnvelope([status(wamid, customer, 'sent', { pricing: SERVICE_PRICING })]), { triggerParameters: PRICING_ON })).run).toBeUndefined();
		const delivered = await rig.runChain(rig.statusEnvelope([status(wamid, customer, 'delivered', { pricing: templatePricing('marketing') })]), { triggerParameters: PRICING_ON });
		expect(delivered.run).toBeUndefined();
		expect((await usageOf(store, subject)).pricing).toEqual(pricing);

		// a message the Auto-Reply did not send: nothing
		const other = `wamid.${Buffer.from(`${customer}-other`).toString('base64')}`;
		expect((await rig.runChain(rig.statusEnvelope([status(other, customer, 'sent', { pricing: templatePricing('marketing') })]), { triggerParameters: PRICING_ON })).run).toBeUndefined();
		expect(await pricingRows()).toBe(before + 1);
	});

	it('records nothing without the option', async () => {
		const customer = newContact();
		const subject = await subjectOf(customer);
		const wamid = await replied(customer);
		const off = await rig.runChain(rig.statusEnvelope([status(wamid, customer, 'sent', { pricing: SERVICE_PRICING })]));
		expect(off.status).toBe(200);
		expect(off.run).toBeUndefined();
		expect((await usageOf(store, subject)).pricing).toEqual([]);
	});

	it('records it with the Statuses output on too, and the status still reaches the workflow', async () => {
		const customer = newContact();
		const subject = await subjectOf(customer);
		const wamid = await replied(customer);
		const on = await rig.runChain(rig.statusEnvelope([status(wamid, customer, 'sent', { pricing: SERVICE_PRICING })]), {
			triggerParameters: { emitStatuses: true, ...PRICING_ON },
			connectStatuses: true,
		});
		expect(on.status).toBe(200);
		expect(on.run).toBeDefined();
		expect((await usageOf(store, subject)).pricing).toHaveLength(1);
	});

});

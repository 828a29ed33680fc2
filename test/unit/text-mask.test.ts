import { MASK_PLACEHOLDERS, isIbanValid, isLuhnValid, maskPersonalData } from '../../nodes/shared/text';

const NONE = { emails: 0, cards: 0, ibans: 0, phones: 0 };

describe('isLuhnValid', () => {
	it.each([
		['4111 1111 1111 1111', true],
		['4111-1111-1111-1111', true],
		['4111111111111111', true],
		['5555 5555 5555 4444', true],
		['3782 822463 10005', true],
		['6011 1111 1111 1117', true],
		['৪১১১১১১১১১১১১১১১', true],
		['4111 1111 1111 1112', false],
		['1234 5678 9012 3456', false],
		['4111 1111 1111 111a', false],
		['', false],
		['0', false],
	])('%s → %s', (value, expected) => {
		expect(isLuhnValid(value)).toBe(expected);
	});
});

describe('isIbanValid', () => {
	it.each([
		['DE89 3704 0044 0532 0130 00', true],
		['DE89370400440532013000', true],
		['de89 3704 0044 0532 0130 00', true],
		['GB82 WEST 1234 5698 7654 32', true],
		['GB82WEST12345698765432', true],
		['FR14 2004 1010 0505 0001 3M02 606', true],
		['NL91 ABNA 0417 1643 00', true],
		['BE68 5390 0754 7034', true],
		['ES91 2100 0418 4502 0005 1332', true],
		['IT60 X054 2811 1010 0000 0123 456', true],
		['PT50 0002 0123 1234 5678 9015 4', true],
		['CH93 0076 2011 6238 5295 7', true],
		['NO93 8601 1117 947', true],
		['DE89 3704 0044 0532 0130 01', false],
		['GB82 WEST 1234 5698 7654 33', false],
		['DE89 3704 0044 0532 0130 0', false],
		['DE89 3704 0044 0532 0130 000', false],
		['XX89 3704 0044 0532 0130 00', false],
		['DE89-3704-0044-0532-0130-00', false],
		['', false],
	])('%s → %s', (value, expected) => {
		expect(isIbanValid(value)).toBe(expected);
	});
});

describe('maskPersonalData', () => {
	it('exports the placeholders', () => {
		expect(MASK_PLACEHOLDERS).toEqual({ email: '[email]', card: '[card]', iban: '[iban]', phone: '[phone]' });
	});

	describe('masks', () => {
		it.each([
			['an e-mail address', 'Write to john.doe@example.com today', 'Write to [email] today', { emails: 1 }],
			['a plus-tagged address on a subdomain', 'me+orders@mail.shop.example.co.uk.', '[email].', { emails: 1 }],
			['addresses with underscores and digits', 'a_b@x.io, 42@y-z.org', '[email], [email]', { emails: 2 }],
			['a non-Latin address', 'ইমেইল: রহিম@উদাহরণ.বাংলা', 'ইমেইল: [email]', { emails: 1 }],
			['a card with spaces', 'Card 4111 1111 1111 1111 exp 12/27', 'Card [card] exp 12/27', { cards: 1 }],
			['a card with hyphens', '4111-1111-1111-1111', '[card]', { cards: 1 }],
			['a card without separators', 'card:4111111111111111.', 'card:[card].', { cards: 1 }],
			['an Amex card', 'Amex 3782 822463 10005', 'Amex [card]', { cards: 1 }],
			['a card in Bengali digits', 'কার্ড ৪১১১ ১১১১ ১১১১ ১১১১', 'কার্ড [card]', { cards: 1 }],
			['two cards', '4111 1111 1111 1111 and 5555 5555 5555 4444', '[card] and [card]', { cards: 2 }],
			['a grouped IBAN', 'IBAN: DE89 3704 0044 0532 0130 00 thanks', 'IBAN: [iban] thanks', { ibans: 1 }],
			['a compact IBAN', 'DE89370400440532013000, please', '[iban], please', { ibans: 1 }],
			['a GB IBAN with letters', 'GB82 WEST 1234 5698 7654 32', '[iban]', { ibans: 1 }],
			['a lower-case IBAN', 'de89 3704 0044 0532 0130 00', '[iban]', { ibans: 1 }],
			[
				'two IBANs in a row',
				'DE89 3704 0044 0532 0130 00 GB82 WEST 1234 5698 7654 32',
				'[iban] [iban]',
				{ ibans: 2 },
			],
			['an IBAN followed by capitals', 'DE89 3704 0044 0532 0130 00 AND MORE', '[iban] AND MORE', { ibans: 1 }],
			['an international phone', 'Call +1 (555) 123-4567.', 'Call [phone].', { phones: 1 }],
			['a UK phone', 'Ring +44 20 7946 0958 now', 'Ring [phone] now', { phones: 1 }],
			['a compact international phone', 'WhatsApp +8801712345678', 'WhatsApp [phone]', { phones: 1 }],
			['a phone with dots', '+49.151.2345.6789', '[phone]', { phones: 1 }],
			['a 00 international prefix', '0049 151 23456789', '[phone]', { phones: 1 }],
			['a local phone with a hyphen', 'Mobile: 01712-345678', 'Mobile: [phone]', { phones: 1 }],
			['a local phone with spaces', 'Tel. 0171 2345678', 'Tel. [phone]', { phones: 1 }],
			['a local phone with an area code', '(030) 1234567', '[phone]', { phones: 1 }],
			['a US-style local phone', '555-123-4567', '[phone]', { phones: 1 }],
			['a compact local mobile', 'my number 01712345678', 'my number [phone]', { phones: 1 }],
			['a phone in Bengali digits', 'ফোন: ০১৭১২-৩৪৫৬৭৮', 'ফোন: [phone]', { phones: 1 }],
			['a phone in Arabic-Indic digits', 'هاتف: ٠١٢٣٤٥٦٧٨٩٠', 'هاتف: [phone]', { phones: 1 }],
			['two phones sharing a line', '0171 2345678 0181 2345678', '[phone] [phone]', { phones: 2 }],
			['a phone after a date', 'On 2026-11-27 call 0171 2345678', 'On 2026-11-27 call [phone]', { phones: 1 }],
			['a phone in brackets', '(call 0171 2345678)', '(call [phone])', { phones: 1 }],
		])('%s', (_name, input, expected, counts) => {
			expect(maskPersonalData(input)).toEqual({ text: expected, counts: { ...NONE, ...counts } });
		});
	});

	describe('leaves alone', () => {
		it.each([
			['a Luhn-invalid card-like number', 'Order 4111 1111 1111 1112 is on its way'],
			['a Luhn-invalid compact number', 'Ref 1234567890123456'],
			['an IBAN with a bad check', 'DE89 3704 0044 0532 0130 01'],
			['a GB IBAN with a bad check', 'GB82 WEST 1234 5698 7654 33'],
			['an IBAN-like string of the wrong length', 'DE89 3704 0044 0532 0130 000'],
			['an IBAN-like string of an unknown country', 'XX89 3704 0044 0532 0130 00'],
			['an ISO date', 'Delivery on 2026-11-27.'],
			['other date formats', '27.11.2026, 27/11/2026, 11/27/26'],
			['a date and time', '2026-11-27 10:30'],
			['times', 'Open 09:00-18:00, lunch 13.00–14.00'],
			['prices', 'Total 1,299.00 BDT, was ৳1,499.00, now $12,345.67 or 1.299.000,00 €'],
			['amounts with space grouping', 'Budget 123 456 789 and 1.299.000.000'],
			['order ids', 'Order #12345 and #123456789012'],
			['years', 'Since 2019, in 2026'],
			['short numbers', 'Qty 3, size 42, room 1204, pin 8841'],
			['long plain references', 'Tracking 123456789012 and invoice 9876543210'],
			['an IP address', 'Server 192.168.100.200'],
			['number ranges', 'Pages 2020-2026'],
			['words and emoji', 'Thanks a lot! 😀👍🏽 See you soon.'],
			['Bengali text', 'আপনার অর্ডার নম্বর ১২৩৪৫। ডেলিভারি ২-৩ দিনের মধ্যে।'],
			['Arabic text', 'سيصل طلبك خلال ٣ أيام، شكراً لك.'],
			['Hindi text', 'आपका ऑर्डर २०२६ में भेजा जाएगा।'],
			['Chinese text', '您的订单号是一二三，谢谢。'],
			['a URL without an address', 'https://shop.example/orders/2026-11-27?page=2'],
			['an at-sign that is not an address', 'meet @ 5pm, @handle, a@b'],
			['a version string', 'App v2.14.3 build 20260101'],
		])('%s', (_name, input) => {
			expect(maskPersonalData(input)).toEqual({ text: input, counts: NONE });
		});
	});

	it('masks several kinds at once and counts them', () => {
		const text = [
			'Hi, I am Rahim (rahim.uddin+shop@gmail.com, +880 1712-345678).',
			'Pay from DE89 3704 0044 0532 0130 00 or card 4111 1111 1111 1111.',
			'Order #20261127 of 2026-11-27 costs 1,299.00 BDT; my old card 4111 1111 1111 1112 expired.',
		].join('\n');
		expect(maskPersonalData(text)).toEqual({
			text: [
				'Hi, I am Rahim ([email], [phone]).',
				'Pay from [iban] or card [card].',
				'Order #20261127 of 2026-11-27 costs 1,299.00 BDT; my old card 4111 1111 1111 1112 expired.',
			].join('\n'),
			counts: { emails: 1, cards: 1, ibans: 1, phones: 1 },
		});
	});

	it('never returns the masked values', () => {
		const result = maskPersonalData('john@example.com 4111 1111 1111 1111 DE89370400440532013000 +12025550123');
		expect(JSON.stringify(result)).not.toMatch(/john|4111|DE89|2025550123/);
	});

	it('masks an e-mail address before reading its digits as a phone', () => {
		expect(maskPersonalData('01712345678@example.com').text).toBe('[email]');
	});

	it('masks a card before reading it as a phone', () => {
		expect(maskPersonalData('4111 1111 1111 1111').counts).toEqual({ ...NONE, cards: 1 });
	});

	it('masks an IBAN before reading its digits as a card or phone', () => {
		expect(maskPersonalData('NO93 8601 1117 947 and BE68 5390 0754 7034').counts).toEqual({ ...NONE, ibans: 2 });
	});

	it.each([
		['emails', { emails: false }, 'a@b.io [card] [iban] [phone]', { cards: 1, ibans: 1, phones: 1 }],
		['cards', { cards: false }, '[email] 4111 1111 1111 1111 [iban] [phone]', { emails: 1, ibans: 1, phones: 1 }],
		['ibans', { ibans: false }, '[email] [card] DE89 3704 0044 0532 0130 00 [phone]', { emails: 1, cards: 1, phones: 1 }],
		['phones', { phones: false }, '[email] [card] [iban] +44 20 7946 0958', { emails: 1, cards: 1, ibans: 1 }],
	])('can leave %s unmasked', (_name, options, expected, counts) => {
		const text = 'a@b.io 4111 1111 1111 1111 DE89 3704 0044 0532 0130 00 +44 20 7946 0958';
		expect(maskPersonalData(text, options)).toEqual({ text: expected, counts: { ...NONE, ...counts } });
	});

	it('does nothing when everything is switched off', () => {
		const text = 'a@b.io 4111 1111 1111 1111 +44 20 7946 0958';
		expect(maskPersonalData(text, { emails: false, cards: false, ibans: false, phones: false })).toEqual({
			text,
			counts: NONE,
		});
	});

	it('handles empty text', () => {
		expect(maskPersonalData('')).toEqual({ text: '', counts: NONE });
	});
});

import { MAX_WHATSAPP_TEXT, splitMessage } from '../../nodes/shared/text';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const nonWhitespace = (text: string) => text.replace(/\s+/g, '');

function sentence(i: number): string {
	const words = ['delivery', 'order', 'payment', 'refund', 'size', 'colour', 'address', 'courier'];
	return `Sentence ${i} is about the ${words[i % words.length]} and what happens next with it.`;
}

/** `count` paragraphs of roughly `length` characters each, made of whole sentences. */
function paragraphs(count: number, length: number): string {
	const out: string[] = [];
	let n = 0;
	for (let p = 0; p < count; p++) {
		let paragraph = '';
		while (paragraph.length < length) paragraph += (paragraph ? ' ' : '') + sentence(n++);
		out.push(paragraph);
	}
	return out.join('\n\n');
}

/** The guarantees every split must keep. */
function expectValidSplit(text: string, parts: string[], max: number): void {
	expect(parts.length).toBeGreaterThan(0);
	for (const part of parts) {
		expect(part.length).toBeLessThanOrEqual(max);
		expect(part).toBe(part.trim());
		expect(part).not.toBe('');
		expect(part).not.toMatch(LONE_SURROGATE);
	}
	expect(nonWhitespace(parts.join(''))).toBe(nonWhitespace(text));
}

describe('splitMessage', () => {
	it('exports the WhatsApp limit', () => {
		expect(MAX_WHATSAPP_TEXT).toBe(4096);
	});

	it.each([
		['a short answer', 'Thanks! Your order ships tomorrow. 😊'],
		['exactly the limit', 'x'.repeat(MAX_WHATSAPP_TEXT)],
		['paragraphs under the limit', paragraphs(5, 700)],
	])('keeps %s in one part', (_name, text) => {
		expect(splitMessage(text)).toEqual([text]);
	});

	it('trims and drops empty input', () => {
		expect(splitMessage('  \n hello \n\n')).toEqual(['hello']);
		expect(splitMessage('')).toEqual([]);
		expect(splitMessage(' \n\t ')).toEqual([]);
	});

	it('normalises CRLF', () => {
		expect(splitMessage('a\r\nb')).toEqual(['a\nb']);
	});

	it('rejects a limit below 1', () => {
		expect(() => splitMessage('abc', 0)).toThrow(RangeError);
		expect(() => splitMessage('abc', Number.NaN)).toThrow(RangeError);
	});

	it('splits a 10,000-character answer with paragraphs into 3 parts at paragraph ends', () => {
		const text = paragraphs(20, 480);
		expect(text.length).toBeGreaterThanOrEqual(10_000);
		expect(text.length).toBeLessThan(3 * MAX_WHATSAPP_TEXT - 200);
		const parts = splitMessage(text);
		expect(parts).toHaveLength(3);
		expectValidSplit(text, parts, MAX_WHATSAPP_TEXT);
		for (const part of parts.slice(0, -1)) expect(text).toContain(`${part}\n\n`);
		expect(parts.join('\n\n')).toBe(text);
	});

	it('uses as few parts as the length allows', () => {
		for (const [count, length, max] of [
			[3, 60, 100],
			[7, 300, 1000],
			[40, 250, 4096],
			[12, 1000, 4096],
		]) {
			const text = paragraphs(count, length);
			const parts = splitMessage(text, max);
			expectValidSplit(text, parts, max);
			const wordCuts = splitMessage(text.replace(/\s+/g, ' '), max);
			expect(parts.length).toBeLessThanOrEqual(wordCuts.length);
			expect(parts.length).toBeLessThanOrEqual(Math.ceil(text.length / (max - 100)));
		}
	});

	it('prefers a paragraph end to a fuller part', () => {
		const text = `${'a'.repeat(40)}.\n\n${'b '.repeat(10).trim()}. ${'c '.repeat(20).trim()}`;
		expect(splitMessage(text, 80)).toEqual([`${'a'.repeat(40)}.`, `${'b '.repeat(10).trim()}. ${'c '.repeat(20).trim()}`]);
	});

	it('cuts at line breaks when there are no paragraphs', () => {
		const lines = Array.from({ length: 30 }, (_, i) => `- item ${i}: ${'x'.repeat(20)}`);
		const text = lines.join('\n');
		const parts = splitMessage(text, 200);
		expectValidSplit(text, parts, 200);
		for (const part of parts) expect(lines).toEqual(expect.arrayContaining(part.split('\n')));
	});

	it('cuts at sentence ends inside a long paragraph', () => {
		const text = Array.from({ length: 12 }, (_, i) => sentence(i)).join(' ');
		const parts = splitMessage(text, 300);
		expectValidSplit(text, parts, 300);
		expect(parts).toHaveLength(3);
		for (const part of parts) expect(part).toMatch(/^Sentence \d+ .*\.$/);
	});

	it('cuts mid-sentence rather than send an extra message', () => {
		const text = Array.from({ length: 28 }, (_, i) => sentence(i)).join(' ');
		const parts = splitMessage(text, 300);
		expectValidSplit(text, parts, 300);
		expect(parts).toHaveLength(Math.ceil(text.length / 300));
	});

	it.each([
		['Bengali', 'আপনার অর্ডার পাঠানো হয়েছে।', '।'],
		['Hindi', 'आपका ऑर्डर भेज दिया गया है।', '।'],
		['Urdu', 'آپ کا آرڈر بھیج دیا گیا ہے۔', '۔'],
		['Arabic question', 'هل تريد تتبع طلبك؟', '؟'],
		['Chinese', '您的订单已经发货了。', '。'],
	])('cuts after %s sentence ends', (_name, unit, end) => {
		const separator = end === '。' ? '' : ' ';
		const text = Array.from({ length: 12 }, () => unit).join(separator);
		const max = unit.length * 3 + 2;
		const parts = splitMessage(text, max);
		expectValidSplit(text, parts, max);
		expect(parts.length).toBe(4);
		for (const part of parts) expect(part.endsWith(end)).toBe(true);
	});

	it('cuts between words when a sentence is too long', () => {
		const words = Array.from({ length: 200 }, (_, i) => `word${i}`);
		const text = words.join(' ');
		const parts = splitMessage(text, 100);
		expectValidSplit(text, parts, 100);
		expect(parts.flatMap((p) => p.split(' '))).toEqual(words);
	});

	it('cuts hard only when there is no other way, filling each part', () => {
		const text = 'x'.repeat(250);
		expect(splitMessage(text, 100)).toEqual(['x'.repeat(100), 'x'.repeat(100), 'x'.repeat(50)]);
		const mixed = `intro ${'y'.repeat(150)} outro`;
		const parts = splitMessage(mixed, 100);
		expectValidSplit(mixed, parts, 100);
		expect(parts[0]).toBe('intro');
	});

	it.each([
		['emoji (surrogate pairs)', '😀'.repeat(50), 7],
		['skin tones', '👍🏽'.repeat(30), 9],
		['families (ZWJ sequences)', '👨‍👩‍👧‍👦'.repeat(10), 25],
		['flags', '🇧🇩🇩🇪🇯🇵'.repeat(10), 10],
		['Bengali conjuncts', 'ক্ষ্মস্ত্র'.repeat(20), 17],
		['Devanagari', 'क्षत्रिय'.repeat(20), 11],
	])('never cuts inside %s', (_name, text, max) => {
		const parts = splitMessage(text, max);
		expectValidSplit(text, parts, max);
		const whole = [...graphemes.segment(text)].map((g) => g.segment);
		expect(parts.flatMap((p) => [...graphemes.segment(p)].map((g) => g.segment))).toEqual(whole);
	});

	it('cuts on a code point when a single grapheme is longer than the limit', () => {
		const text = '👨‍👩‍👧‍👦';
		const parts = splitMessage(text, 3);
		expectValidSplit(text, parts, 3);
		expect(parts.join('')).toBe(text);
	});

	describe('code blocks', () => {
		const code = (lines: number, lang = 'python') =>
			['```' + lang, ...Array.from({ length: lines }, (_, i) => `    value_${i} = compute(${i})  # step ${i}`), '```'].join(
				'\n',
			);

		it('keeps a block that fits in one message together', () => {
			const block = code(5);
			const text = `${paragraphs(1, 150)}\n${block}\n${paragraphs(1, 150)}`;
			const parts = splitMessage(text, block.length + 20);
			expectValidSplit(text, parts, block.length + 20);
			expect(parts.some((p) => p.includes(block))).toBe(true);
		});

		it('does not cut at blank lines or sentence ends inside a block', () => {
			const block = '```\nfirst. line\n\nsecond. line\n```';
			const text = `Intro sentence here.\n\n${block}\n\nOutro.`;
			const parts = splitMessage(text, block.length + 3);
			expect(parts).toEqual(['Intro sentence here.', block, 'Outro.']);
		});

		it('splits a block longer than a message between lines, closing and reopening the fence', () => {
			const block = code(60);
			const text = `Here is the script:\n\n${block}\n\nRun it with python.`;
			const parts = splitMessage(text, 500);
			expect(parts.length).toBeGreaterThan(1);
			for (const part of parts) {
				expect(part.length).toBeLessThanOrEqual(500);
				const fences = part.split('\n').filter((line) => line.startsWith('```'));
				expect(fences.length % 2).toBe(0);
			}
			const codeParts = parts.filter((p) => p.includes('value_'));
			for (const part of codeParts.slice(1)) expect(part.startsWith('```python\n')).toBe(true);
			for (const part of codeParts.slice(0, -1)) expect(part.endsWith('\n```')).toBe(true);
			const content = parts
				.join('\n')
				.split('\n')
				.filter((line) => line.includes('value_'));
			expect(content).toEqual(block.split('\n').slice(1, -1));
		});

		it('keeps code indentation at the start of a reopened part', () => {
			const parts = splitMessage(code(40, ''), 300);
			for (const part of parts.slice(1)) expect(part).toMatch(/^```\n {4}value_/);
		});

		it('hard-cuts a single code line longer than a message and keeps fences balanced', () => {
			const text = '```\n' + 'z'.repeat(120) + '\n```';
			const parts = splitMessage(text, 50);
			for (const part of parts) {
				expect(part.length).toBeLessThanOrEqual(50);
				expect(part.startsWith('```\n')).toBe(true);
				expect(part.endsWith('\n```')).toBe(true);
			}
			expect(parts.join('').replace(/```|\n/g, '')).toBe('z'.repeat(120));
		});
	});

	it('handles a mixed formatted answer at the default limit', () => {
		const text = [
			'*Your order*',
			paragraphs(6, 600),
			'- item one\n- item two\n- item three',
			jsBlock(30),
			paragraphs(4, 700),
		].join('\n\n');
		const parts = splitMessage(text);
		expect(parts.length).toBe(Math.ceil(text.length / MAX_WHATSAPP_TEXT));
		for (const part of parts) expect(part.length).toBeLessThanOrEqual(MAX_WHATSAPP_TEXT);
		expect(parts.some((p) => p.includes(jsBlock(30)))).toBe(true);
	});
});

function jsBlock(lines: number): string {
	return ['```js', ...Array.from({ length: lines }, (_, i) => `const v${i} = f(${i});`), '```'].join('\n');
}

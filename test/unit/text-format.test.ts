import { toWhatsAppFormat } from '../../nodes/shared/text';

describe('toWhatsAppFormat', () => {
	describe('emphasis', () => {
		it.each([
			['double asterisks', '**bold**', '*bold*'],
			['double underscores', '__bold__', '*bold*'],
			['single asterisks', '*italic*', '_italic_'],
			['single underscores', '_italic_', '_italic_'],
			['strikethrough', '~~gone~~', '~gone~'],
			['bold and italic', '***both***', '*_both_*'],
			['bold and italic with underscores', '___both___', '*_both_*'],
			['italic inside bold', '**bold _and italic_ text**', '*bold _and italic_ text*'],
			['bold inside italic', '*italic **and bold** text*', '_italic *and bold* text_'],
			['several on a line', 'A **b** c *d* e ~~f~~ g', 'A *b* c _d_ e ~f~ g'],
			['bold label with colon', '**Price:** 1,299.00 BDT', '*Price:* 1,299.00 BDT'],
			['bold around punctuation', '**"quoted"**', '*"quoted"*'],
			['bold around a link', '**[Shop](https://shop.example)**', '*Shop (https://shop.example)*'],
			['bold around code', '**`npm i`**', '*`npm i`*'],
			['bold emoji', '**🎉 Done**', '*🎉 Done*'],
			['escaped asterisks', '\\*not italic\\*', '*not italic*'],
		])('%s', (_name, input, expected) => {
			expect(toWhatsAppFormat(input)).toBe(expected);
		});
	});

	describe('text that must not change', () => {
		it.each([
			['multiplication', '2*3*4 = 24'],
			['spaced multiplication', '2 * 3 * 4 = 24'],
			['exponent', '2**10 is 1024'],
			['snake_case names', 'set max_retry_count, then my_var_name_2 and _private_var'],
			['URL with underscores', 'See https://example.com/some_path/file_name_v2.pdf'],
			['URL with asterisks', 'Search https://example.com/q?a=*b*&c=**d**'],
			['www URL with underscores', 'Go to www.example.com/_private_/page_1'],
			['e-mail address', 'Write to first_last+orders@mail.example.co.uk please'],
			['lone asterisk', 'Fields marked * are required'],
			['lone underscore', 'Use _ as a placeholder'],
			['single tilde', 'About ~50 km, ~2 hours'],
			['hashtag', '#sale starts today'],
			['emoji', '😀👍🏽 👨‍👩‍👧‍👦 🇧🇩 ❤️'],
			['Bengali', 'আপনার অর্ডার নম্বর ১২৩৪৫। ধন্যবাদ!'],
			['Arabic', 'شكراً لطلبك، سيصل خلال ٣ أيام.'],
			['Hindi', 'आपका ऑर्डर भेज दिया गया है। धन्यवाद!'],
			['Chinese', '您的订单已发货，预计三天内送达。'],
			['Japanese', 'ご注文ありがとうございます。'],
			['price and date', 'Total 1,299.00 BDT on 2026-11-27 at 10:30'],
			['plain numbered sentence', '1. Open the app'],
		])('%s', (_name, input) => {
			expect(toWhatsAppFormat(input)).toBe(input);
		});
	});

	describe('non-Latin scripts with Markdown', () => {
		it.each([
			['Bengali bold', 'এটি **গুরুত্বপূর্ণ** তথ্য।', 'এটি *গুরুত্বপূর্ণ* তথ্য।'],
			['Arabic bold', 'مرحبا **بك** في متجرنا', 'مرحبا *بك* في متجرنا'],
			['Hindi italic', 'यह *ज़रूरी* है', 'यह _ज़रूरी_ है'],
			['Chinese bold without spaces', '请**注意**发货时间', '请*注意*发货时间'],
			['Bengali heading', '## ডেলিভারি', '*ডেলিভারি*'],
			['Arabic list', '- عنصر أول\n- عنصر ثان', '- عنصر أول\n- عنصر ثان'],
		])('%s', (_name, input, expected) => {
			expect(toWhatsAppFormat(input)).toBe(expected);
		});
	});

	describe('code', () => {
		it.each([
			['inline code', 'Run `npm install`', 'Run `npm install`'],
			['Markdown inside inline code', 'Type `**not bold**` or `a_b_c`', 'Type `**not bold**` or `a_b_c`'],
			['double-backtick code span', 'Use ``a_b`` here', 'Use `a_b` here'],
			['unmatched backtick', 'a ` b **c**', 'a ` b *c*'],
			[
				'fenced block drops the language and keeps content',
				'Try:\n\n```python\ndef f(x):\n    return x**2  # _not_ italic\n\n\n\n# [link](url)\n```\n\nDone.',
				'Try:\n\n```\ndef f(x):\n    return x**2  # _not_ italic\n\n\n\n# [link](url)\n```\n\nDone.',
			],
			['tilde fence', '~~~\n**raw**\n~~~', '```\n**raw**\n```'],
			['indented fence in a list', '- step:\n  ```\n  npm run build\n  ```', '- step:\n```\nnpm run build\n```'],
			['unclosed fence runs to the end', '```\n**raw**\n- not a list', '```\n**raw**\n- not a list\n```'],
			['empty fence is dropped', 'Before\n```\n```\nAfter', 'Before\nAfter'],
		])('%s', (_name, input, expected) => {
			expect(toWhatsAppFormat(input)).toBe(expected);
		});
	});

	describe('blocks', () => {
		it.each([
			['headings become bold lines', '# One\n## Two\n###### Six', '*One*\n*Two*\n*Six*'],
			['bold inside a heading is not doubled', '## **Order** _status_', '*Order _status_*'],
			['closing hashes', '## Title ##', '*Title*'],
			['setext headings', 'Title\n=====\nSub\n---\nBody', '*Title*\n*Sub*\nBody'],
			['bullets', '- one\n* two\n+ three', '- one\n- two\n- three'],
			[
				'nested bullets',
				'- a\n  - b\n    - c\n  - d\n- e',
				'- a\n  - b\n    - c\n  - d\n- e',
			],
			['nested with four-space indents', '* a\n    * b\n        * c', '- a\n  - b\n    - c'],
			['numbered lists', '1. one\n2. **two**\n10) ten', '1. one\n2. *two*\n10. ten'],
			['bullets under numbers', '1. Pay\n   - by card\n   - by bKash\n2. Ship', '1. Pay\n  - by card\n  - by bKash\n2. Ship'],
			['list item continuation', '- first line\n  continued', '- first line\n  continued'],
			['task lists', '- [ ] todo\n- [x] done', '- ☐ todo\n- ☑ done'],
			['block quotes', '> Quoted **text**\n> second line', '> Quoted *text*\n> second line'],
			['nested quotes are flattened', '> outer\n>> inner', '> outer\n> inner'],
			['quote with a list', '> - a\n> - b', '> - a\n> - b'],
			['horizontal rules', 'Above\n\n---\n\nBelow\n\n***\n\n___\n\nEnd', 'Above\n\nBelow\n\nEnd'],
			['blank lines collapse', 'a\n\n\n\n\nb\n\n\nc', 'a\n\nb\n\nc'],
			['trims', '\n\n  Hello  \n\n', 'Hello'],
			['hard breaks', 'line one  \nline two\\\nline three', 'line one\nline two\nline three'],
			['CRLF', '**a**\r\n\r\n\r\nb', '*a*\n\nb'],
			['line break tags', 'one<br>two<br/>three', 'one\ntwo\nthree'],
		])('%s', (_name, input, expected) => {
			expect(toWhatsAppFormat(input)).toBe(expected);
		});
	});

	describe('links and images', () => {
		it.each([
			['link', '[our shop](https://shop.example/a_b)', 'our shop (https://shop.example/a_b)'],
			['link text equal to url', '[https://shop.example](https://shop.example)', 'https://shop.example'],
			['link text equal to host', '[shop.example](https://shop.example)', 'https://shop.example'],
			['link with title', '[Docs](https://docs.example "Read")', 'Docs (https://docs.example)'],
			['link with parentheses', '[Wiki](https://en.wikipedia.org/wiki/Foo_(bar))', 'Wiki (https://en.wikipedia.org/wiki/Foo_(bar))'],
			['formatted link text', '[**Buy** now](https://x.example)', '*Buy* now (https://x.example)'],
			['mailto link', '[mail us](mailto:help@shop.example)', 'mail us (help@shop.example)'],
			['mailto link with address text', '[help@shop.example](mailto:help@shop.example)', 'help@shop.example'],
			['anchor link', 'see [below](#faq)', 'see below'],
			['image', '![Product photo](https://cdn.example/p_1.jpg)', 'Product photo (https://cdn.example/p_1.jpg)'],
			['image without alt', '![](https://cdn.example/p.jpg)', 'https://cdn.example/p.jpg'],
			['autolink', '<https://shop.example/x_y>', 'https://shop.example/x_y'],
			['bold bare URL', '**https://shop.example/a_b**', '*https://shop.example/a_b*'],
			['URL ending a sentence', 'Visit https://shop.example.', 'Visit https://shop.example.'],
			['brackets that are not links', 'Choose [A] or [B] (both fine)', 'Choose [A] or [B] (both fine)'],
		])('%s', (_name, input, expected) => {
			expect(toWhatsAppFormat(input)).toBe(expected);
		});
	});

	describe('tables', () => {
		it('renders rows as cell | cell with a bold header', () => {
			const table = [
				'| Plan | Price | Notes |',
				'|:-----|------:|:-----:|',
				'| **Basic** | 500 BDT | |',
				'| Pro | 1,299.00 BDT | `a|b` \\| c |',
			].join('\n');
			expect(toWhatsAppFormat(`Plans:\n\n${table}\n\nThanks`)).toBe(
				'Plans:\n\n*Plan* | *Price* | *Notes*\n*Basic* | 500 BDT | -\nPro | 1,299.00 BDT | `a | b` | c\n\nThanks',
			);
		});

		it('accepts tables without outer pipes', () => {
			expect(toWhatsAppFormat('a | b\n--|--\n1 | 2')).toBe('*a* | *b*\n1 | 2');
		});

		it('leaves pipes that are not tables alone', () => {
			expect(toWhatsAppFormat('yes | no\nmaybe')).toBe('yes | no\nmaybe');
		});
	});

	it('converts a typical model answer', () => {
		const answer = [
			'## Your order #1042',
			'',
			'Thanks, **Rahim**! Here is a summary:',
			'',
			'- **Item:** Cotton shirt (size _M_)',
			'- **Total:** 1,299.00 BDT',
			'  - incl. delivery',
			'',
			'> Delivery usually takes 2–3 days.',
			'',
			'---',
			'',
			'Track it at [our site](https://shop.example/track?id=1042&ref=wa_bot).',
		].join('\n');
		expect(toWhatsAppFormat(answer)).toBe(
			[
				'*Your order #1042*',
				'',
				'Thanks, *Rahim*! Here is a summary:',
				'',
				'- *Item:* Cotton shirt (size _M_)',
				'- *Total:* 1,299.00 BDT',
				'  - incl. delivery',
				'',
				'> Delivery usually takes 2–3 days.',
				'',
				'Track it at our site (https://shop.example/track?id=1042&ref=wa_bot).',
			].join('\n'),
		);
	});

	it('returns an empty string for blank input', () => {
		expect(toWhatsAppFormat('')).toBe('');
		expect(toWhatsAppFormat(' \n\n \t')).toBe('');
	});
});

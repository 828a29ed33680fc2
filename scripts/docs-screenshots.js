// Copies the README screenshots into docs/. test/e2e/sandbox.e2e.test.ts takes them from the running sandbox
// into test-results/screenshots/ (ignored by git, so `npm test` leaves the work tree clean).
//   npm run docs:screenshots              takes them (runs the sandbox e2e test) and copies them
//   node scripts/docs-screenshots.js      only copies the ones the last `npm test` took
const { copyFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const from = join(root, 'test-results', 'screenshots');
const names = ['sandbox-conversation.png', 'editor-auto-responder.png'];

const missing = names.filter((name) => !existsSync(join(from, name)));
if (missing.length) {
	console.error(`No ${missing.join(', ')} in ${from}: run npm run docs:screenshots (or npm test) first.`);
	process.exit(1);
}
for (const name of names) {
	copyFileSync(join(from, name), join(root, 'docs', name));
	console.log(`test-results/screenshots/${name} → docs/${name}`);
}

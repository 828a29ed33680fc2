// Tests and n8n run on the Node 24 that `npm install` puts in node_modules (package `node`).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
	console.error(
		`WhatsAuto needs Node 24 (n8n 2.x does); this is ${process.version}. ` +
			'Run through npm (npm test, npm run …) so node_modules/.bin/node is used, after npm install.',
	);
	process.exit(1);
}

/**
 * The web-form template's safety properties, read from workflows/privacy-requests-web-form.json itself (the e2e test
 * runs it in real n8n): the code page never waits longer than the code lives, its time-out branch closes the request
 * without another page (a page would wait again), a rate-limited submission gets a page of its own and no code page,
 * and the Send Code node passes a client key for the per-client limit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CODE_TTL_MS } from '../../nodes/shared/privacy/identity';

interface Node {
	name: string;
	type: string;
	parameters: Record<string, unknown>;
}
type Connections = Record<string, { main: Array<Array<{ node: string }>> }>;

const template = JSON.parse(readFileSync(join(__dirname, '../../workflows/privacy-requests-web-form.json'), 'utf8')) as {
	nodes: Node[];
	connections: Connections;
};
const node = (name: string) => {
	const found = template.nodes.find((n) => n.name === name);
	if (!found) throw new Error(`no node "${name}" in the template`);
	return found;
};
const targets = (name: string, output: number) => (template.connections[name]?.main[output] ?? []).map((c) => c.node);
const UNIT_MS: Record<string, number> = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 };
const FORM = 'n8n-nodes-base.form';
const PRIVACY = 'n8n-nodes-whatsauto.whatsAutoPrivacy';
const IF = 'n8n-nodes-base.if';

/** Every node reachable from `start` (inclusive). */
function reachable(start: string): Set<string> {
	const seen = new Set<string>();
	const queue = [start];
	while (queue.length) {
		const name = queue.shift()!;
		if (seen.has(name)) continue;
		seen.add(name);
		for (const output of template.connections[name]?.main ?? []) for (const c of output ?? []) queue.push(c.node);
	}
	return seen;
}

describe('template: privacy requests from a web form', () => {
	it('waits on the code page at most as long as the code is valid', () => {
		const page = node('Enter Code');
		expect(page.type).toBe(FORM);
		expect(page.parameters).toMatchObject({ limitWaitTime: true, limitType: 'afterTimeInterval' });
		const { resumeAmount, resumeUnit } = page.parameters as { resumeAmount: number; resumeUnit: string };
		expect(resumeAmount * UNIT_MS[resumeUnit]).toBe(CODE_TTL_MS);
	});

	it('closes the request on time-out (no code entered) without showing another page, which would wait again', () => {
		expect(targets('Enter Code', 0)).toEqual(['Code Entered?']);
		const check = node('Code Entered?');
		expect(check.type).toBe(IF);
		// n8n resumes a timed-out Form page with the data it was given: no "Code" field
		expect(JSON.stringify(check.parameters)).toContain('$json.Code');
		expect(targets('Code Entered?', 0)).toEqual(['Verify and Run']);
		expect(targets('Code Entered?', 1)).toEqual(['Close Unverified Request']);
		const close = node('Close Unverified Request');
		expect(close.type).toBe(PRIVACY);
		expect(close.parameters).toMatchObject({ operation: 'verify', code: '' });
		// the timed-out page passes on what it was given: Send Code's output (or Verify's, after a wrong code), with the id
		expect(close.parameters.requestId).toBe('={{ $json.id }}');
		// nothing after it: the execution ends there, and the person's number with it
		expect([...reachable('Close Unverified Request')]).toEqual(['Close Unverified Request']);
	});

	it('shows a page of its own when no code was sent (rate limited), and no code page', () => {
		expect(targets('Send Code', 0)).toEqual(['Code Sent?']);
		const sent = node('Code Sent?');
		expect(sent.type).toBe(IF);
		expect(JSON.stringify(sent.parameters)).toContain('rate_limited');
		expect(targets('Code Sent?', 0)).toEqual(['Enter Code']);
		expect(targets('Code Sent?', 1)).toEqual(['Try Later']);
		const later = node('Try Later');
		expect(later.type).toBe(FORM);
		expect(later.parameters).toMatchObject({ operation: 'completion' });
		// the same words whatever the number: nothing tells whether it is known
		expect(String(later.parameters.completionMessage)).not.toMatch(/\$json|\{\{/);
	});

	it('passes the client key (the address the proxy saw) to Send Code, from the form submission headers', () => {
		expect(node('Privacy Request Form').parameters.options).toMatchObject({ showHeaders: true });
		const clientKey = String(node('Send Code').parameters.clientKey);
		expect(clientKey).toMatch(/^=\{\{.*x-real-ip.*x-forwarded-for.*\}\}$/);
	});
});

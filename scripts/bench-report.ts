/**
 * `npm run bench` results: one JSON file with everything and a Markdown summary, both named <date>-<host>.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { triggerMarkdown, type TriggerSuiteResult } from './bench-trigger';
import type { WorkflowKey } from './bench-workflows';
import { WORKFLOW_LABELS } from './bench-workflows';

export interface RunResult {
	/** Arrival rate, messages/s (open loop). */
	rate: number;
	seconds: number;
	sent: number;
	/** Answered 200. */
	acked: number;
	/** Answers other than 200, by status. Meta redelivers every one of them (503, 429, 500 above all). */
	non200: Record<string, number>;
	/** No full answer within the ack timeout (Meta gives up on the POST and redelivers later). */
	timeouts: number;
	/** No HTTP answer at all: connection refused or reset. */
	connectionErrors: Record<string, number>;
	/** Time from when the message was due until its 200, over the 200s. */
	ackP50Ms?: number;
	ackP99Ms?: number;
	ackMaxMs?: number;
	/** Messages with at least one reply sent to the fake Graph API (noop: executions finished). */
	answered: number;
	/** Acked 200 but never answered before the drain ended. */
	lost: number;
	/** Replies beyond the first for one message (answered twice or more). */
	duplicates?: number;
	/** Answered although the POST was not acked 200 (Meta would have redelivered it: a second answer). */
	answeredNotAcked: number;
	/** Answered messages per second, from the first due message to the last reply (or the end of the load). */
	repliesPerSecond?: number;
	/** Time from when the message was due until its first reply left n8n. */
	replyP50Ms?: number;
	replyP99Ms?: number;
	modelCalls: number;
	/** CPU of n8n's process groups (main, webhook process, workers, task runners) from the start of the load to the end of the drain. */
	cpuSeconds: number;
	cpuMsPerMessage: number;
	startRssMb: number;
	peakRssMb: number;
	drain: { seconds: number; ended: 'all answered' | 'timeout' | 'stalled' | 'n8n exited' };
	/** n8n was restarted after this run (it left work behind, or died). */
	restartedAfter: boolean;
}

export interface BurstResult {
	bursts: number;
	messagesPerBurst: number;
	/** The burst's messages were sent within this many ms. */
	withinMs: number;
	acked: number;
	modelCallsPerBurst: { avg: number; min: number; max: number };
	repliesPerBurst: { avg: number; min: number; max: number };
	/** Bursts whose contact got no reply at all. */
	unanswered: number;
}

export interface GroupResult {
	mode: 'regular' | 'queue';
	/** Queue mode: `n8n worker` processes. */
	workers?: number;
	workflow: WorkflowKey;
	settings: 'default' | 'lazy';
	/** Fake OpenAI's latency per call, ms (undefined: the workflow calls no model). */
	modelLatencyMs?: number;
	bursts?: BurstResult;
	runs: RunResult[];
	error?: string;
}

export interface BenchResults {
	startedAt: string;
	finishedAt?: string;
	interrupted?: boolean;
	error?: string;
	machine: { host: string; cpuModel: string; cores: number; ramGb: number; os: string };
	versions: { n8n: string; n8nNode: string; benchNode: string; package: string; git: string };
	settings: Record<string, unknown>;
	groups: GroupResult[];
	trigger?: TriggerSuiteResult;
	notes?: string[];
}

const cell = (value: number | undefined, digits = 0): string => (value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const counts = (c: Record<string, number>) =>
	Object.entries(c)
		.map(([k, v]) => `${v}×${k}`)
		.join(', ');

function groupLabel(g: GroupResult): { mode: string; settings: string; model: string } {
	return {
		mode: g.mode === 'regular' ? 'regular' : `queue, ${g.workers} worker${g.workers === 1 ? '' : 's'}`,
		settings: g.settings === 'lazy' ? 'lazy acquire' : 'default',
		model: g.modelLatencyMs === undefined ? '–' : `${g.modelLatencyMs} ms`,
	};
}

export function markdown(results: BenchResults): string {
	const s = results.settings;
	const lines: string[] = [
		`# WhatsAuto bench, ${results.startedAt.slice(0, 10)}, ${results.machine.host}${results.interrupted ? ' (interrupted)' : ''}`,
		'',
		`- Machine: ${results.machine.cpuModel}, ${results.machine.cores} cores, ${results.machine.ramGb} GB RAM, ${results.machine.os}`,
		`- Versions: n8n ${results.versions.n8n} on Node ${results.versions.n8nNode}; n8n-nodes-whatsauto ${results.versions.package} (${results.versions.git}); bench on Node ${results.versions.benchNode}`,
		...(results.groups.length === 0 ? [] : [`- Load: open loop, ${String(s.seconds)} s per rate, rates ${String(s.rates)} msg/s, ${Math.round(Number(s.imageShare) * 100)}% images, one new contact per message; ack timeout ${String(s.ackTimeoutMs)} ms; drain up to ${String(s.drainSeconds)} s (ends early when everything is answered, or nothing was for ${String(s.stallSeconds)} s and n8n is idle)`]),
		`- Settings: "default" = n8n's defaults; "lazy acquire" = N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true. Fakes (Graph API, OpenAI) and the load generator run on the same machine, in the bench's process.`,
		`- Started ${results.startedAt}, finished ${results.finishedAt ?? '–'}${results.error ? `; error: ${results.error}` : ''}`,
		'',
	];
	if (results.groups.length > 0) {
		lines.push(
			'## Load',
			'',
			'Ack: time from when a message was due to its 200. Non-200: answers Meta redelivers (503/429/500…). Lost: acked 200 but never answered before the drain ended. Dupes: extra replies to one message. CPU: n8n\'s process groups (main, webhook process, workers, task runners) per message sent, load and drain. Peak RSS: n8n\'s processes together.',
			'',
			'| mode | workflow | settings | model | rate/s | sent | ack p50 ms | ack p99 ms | non-200 | timeouts | conn. errors | replies/s | reply p50 ms | reply p99 ms | lost | dupes | model calls | CPU ms/msg | peak RSS MB | drain |',
			'|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
		);
		for (const g of results.groups) {
			const l = groupLabel(g);
			if (g.error) lines.push(`| ${l.mode} | ${g.workflow} | ${l.settings} | ${l.model} | failed: ${g.error.split('\n')[0].replace(/\|/g, '/')} |`);
			for (const r of g.runs) {
				const non200 = sum(r.non200);
				lines.push(
					[
						l.mode,
						g.workflow,
						l.settings,
						l.model,
						String(r.rate),
						String(r.sent),
						cell(r.ackP50Ms),
						cell(r.ackP99Ms),
						non200 ? `${non200} (${counts(r.non200)})` : '0',
						String(r.timeouts),
						sum(r.connectionErrors) ? `${sum(r.connectionErrors)} (${counts(r.connectionErrors)})` : '0',
						cell(r.repliesPerSecond, 1),
						g.workflow === 'noop' ? '–' : cell(r.replyP50Ms),
						g.workflow === 'noop' ? '–' : cell(r.replyP99Ms),
						String(r.lost),
						r.duplicates === undefined ? '–' : String(r.duplicates),
						String(r.modelCalls),
						cell(r.cpuMsPerMessage, 1),
						cell(r.peakRssMb),
						`${cell(r.drain.seconds)} s, ${r.drain.ended}${r.restartedAfter ? ', restarted' : ''}`,
					].join(' | ').replace(/^/, '| ') + ' |',
				);
			}
		}
		const withBursts = results.groups.filter((g) => g.bursts);
		if (withBursts.length > 0) {
			lines.push(
				'',
				'## Bursts: 3 messages from one contact within 1 s',
				'',
				'| mode | workflow | settings | model | bursts | model calls per burst (avg, min–max) | replies per burst (avg, min–max) | unanswered bursts |',
				'|---|---|---|---|---|---|---|---|',
			);
			for (const g of withBursts) {
				const l = groupLabel(g);
				const b = g.bursts!;
				lines.push(
					`| ${l.mode} | ${g.workflow} | ${l.settings} | ${l.model} | ${b.bursts} | ${b.modelCallsPerBurst.avg.toFixed(2)} (${b.modelCallsPerBurst.min}–${b.modelCallsPerBurst.max}) | ${b.repliesPerBurst.avg.toFixed(2)} (${b.repliesPerBurst.min}–${b.repliesPerBurst.max}) | ${b.unanswered} |`,
				);
			}
		}
		lines.push('', 'Workflows: ' + (Object.keys(WORKFLOW_LABELS) as WorkflowKey[]).map((k) => `**${k}** = ${WORKFLOW_LABELS[k]}`).join('; ') + '.');
	}
	if (results.trigger) lines.push('', '## Webhook path (BENCH_SUITE=trigger)', '', triggerMarkdown(results.trigger));
	if (results.notes?.length) lines.push('', '## Notes', '', ...results.notes.map((note) => `- ${note}`));
	lines.push('', '## Settings', '', '```json', JSON.stringify(results.settings, null, 2), '```', '');
	return lines.join('\n');
}

/** Writes <dir>/<date>-<host>.json and .md (…-2, -3 when a run of the same day is there already); returns both paths. */
export function writeResults(dir: string, results: BenchResults): { json: string; md: string } {
	mkdirSync(dir, { recursive: true });
	const host = hostname().replace(/[^A-Za-z0-9.-]+/g, '-') || 'host';
	const base = `${results.startedAt.slice(0, 10)}-${host}`;
	let name = base;
	for (let i = 2; existsSync(join(dir, `${name}.json`)) || existsSync(join(dir, `${name}.md`)); i++) name = `${base}-${i}`;
	const json = join(dir, `${name}.json`);
	const md = join(dir, `${name}.md`);
	writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
	writeFileSync(md, markdown(results));
	return { json, md };
}

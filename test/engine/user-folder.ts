/**
 * The engine tests' throw-away n8n user folder. n8n-core's InstanceSettings (created lazily through its DI
 * container on the first node context) writes `$N8N_USER_FOLDER/.n8n/config`, and the trigger's default store
 * is `$N8N_USER_FOLDER/.n8n/whatsauto.sqlite`. Both must land in a throw-away folder, never in ~/.n8n.
 * jest.config.js runs ./setup-env.ts (useThrowAwayUserFolder) before each engine test file and its imports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const PREFIX = 'whatsauto-engine-';

/** Points n8n and the store at a fresh temp folder (called by ./setup-env.ts, once per test file). */
export function useThrowAwayUserFolder(): string {
	const folder = mkdtempSync(join(tmpdir(), PREFIX));
	process.env.N8N_USER_FOLDER = folder;
	// Keeps n8n's logger (which the node's `this.logger` writes to) quiet; the HTTP answers carry the reasons.
	process.env.N8N_LOG_LEVEL ??= 'silent';
	process.env.N8N_DIAGNOSTICS_ENABLED = 'false';
	return folder;
}

/** This test file's user folder; throws unless ./setup-env.ts set it up (so nothing can land in ~/.n8n unnoticed). */
export function userFolder(): string {
	const folder = process.env.N8N_USER_FOLDER;
	if (!folder || !basename(folder).startsWith(PREFIX))
		throw new Error(`N8N_USER_FOLDER is not a throw-away engine folder (${folder ?? 'unset'}): run engine tests through jest.config.js, whose "engine" project runs test/engine/setup-env.ts`);
	return folder;
}

export function removeUserFolder(): void {
	rmSync(userFolder(), { recursive: true, force: true });
}

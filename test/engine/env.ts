/**
 * Import this FIRST in an engine test: n8n-core's InstanceSettings (created lazily through its DI container
 * on the first node context) writes `$N8N_USER_FOLDER/.n8n/config`, and the trigger's default store is
 * `$N8N_USER_FOLDER/.n8n/whatsauto.sqlite`. Both must land in a throw-away folder, never in ~/.n8n.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const userFolder = mkdtempSync(join(tmpdir(), 'whatsauto-engine-'));

process.env.N8N_USER_FOLDER = userFolder;
// Keeps n8n's logger (which the node's `this.logger` writes to) quiet; the HTTP answers carry the reasons.
process.env.N8N_LOG_LEVEL ??= 'silent';
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';

export function removeUserFolder(): void {
	rmSync(userFolder, { recursive: true, force: true });
}

/**
 * Files that hold secrets (decrypted credentials for the n8n CLI, npm start's owner password and keys): written
 * with mode 0600 and, until they are kept or removed, deleted when the process exits (process.exit from a Ctrl-C
 * handler, an error on the way out), so an interrupted start-up does not leave them behind.
 */
import { rmSync } from 'node:fs';
import { chmod, rm, writeFile } from 'node:fs/promises';

const pending = new Set<string>();
let hookInstalled = false;

function installExitHook() {
	if (hookInstalled) return;
	hookInstalled = true;
	process.on('exit', removePendingSecretFiles);
}

/**
 * Writes `content` to `path` readable by the owner only (0600, also when the file existed with a wider mode) and,
 * unless `removeOnExit` is false, marks it for removal at process exit (see keepSecretFile).
 */
export async function writeSecretFile(path: string, content: string, { removeOnExit = true } = {}): Promise<void> {
	if (removeOnExit) markSecretFile(path);
	await writeFile(path, content, { mode: 0o600 });
	await chmod(path, 0o600); // `mode` applies only when the file is created
}

/** Marks an existing secret file for removal at process exit. */
export function markSecretFile(path: string): void {
	installExitHook();
	pending.add(path);
}

/** The file is needed from now on: no longer removed at exit. */
export function keepSecretFile(path: string): void {
	pending.delete(path);
}

/** Removes the file now (and forgets it). */
export async function removeSecretFile(path: string): Promise<void> {
	pending.delete(path);
	await rm(path, { force: true });
}

/** Removes every file still marked (synchronously: also usable from an 'exit' handler). */
export function removePendingSecretFiles(): void {
	for (const path of pending) {
		try {
			rmSync(path, { force: true });
		} catch {
			/* best effort on the way out */
		}
	}
	pending.clear();
}

import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { OPENAI_CREDENTIAL, openAiClient, toOpenAiCredentials } from '../../shared/transport/openAi';

const CHAT_MODEL = /^(gpt-4|gpt-5|chatgpt-4|o\d)/;
const NOT_CHAT = /(transcribe|tts|audio|realtime|search|image|embedding|moderation|instruct)/;

/** Chat models of the account, GPT-4 family first. */
export async function getModels(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const client = openAiClient(toOpenAiCredentials(await this.getCredentials(OPENAI_CREDENTIAL)), { timeoutMs: 15_000, maxRetries: 1 });
	const ids: string[] = [];
	for await (const model of client.models.list()) {
		if (CHAT_MODEL.test(model.id) && !NOT_CHAT.test(model.id)) ids.push(model.id);
	}
	const rank = (id: string) => (id.startsWith('gpt-4') ? 0 : 1);
	return ids
		.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
		.map((id) => ({ name: id, value: id }));
}

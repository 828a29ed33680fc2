import {
	CONVERSATION_KEYWORDS,
	detectConversationCommand,
	type ConversationCommand,
} from '../../nodes/shared/conversation/commands';
import { detectPrivacyCommand, DETECT_LANGUAGES, type Language } from '../../nodes/shared/privacy/commandDetection';
import { NEGATIVES, POSITIVES } from '../fixtures/privacy/corpus';

const COMMANDS: Array<[Language, ConversationCommand, string]> = [
	['en', 'reset', 'reset'],
	['en', 'reset', 'RESET!'],
	['en', 'reset', 'Start over please'],
	['en', 'reset', 'restart'],
	['en', 'reset', "let's start fresh"],
	['en', 'reset', 'new conversation'],
	['en', 'reset', 'New chat 🙏'],
	['en', 'reset', 'forget this conversation'],
	['en', 'reset', 'Forget our conversation, thanks'],
	['en', 'reset', 'clear chat'],
	['en', 'reset', 'clear history'],
	['en', 'reset', 'clear memory'],
	['en', 'reset', 'clear the conversation'],
	['en', 'reset', 'reset chat'],
	['en', 'reset', 'Reset the conversation please'],
	['en', 'reset', 'I want to start a new conversation'],
	['en', 'handoff', 'human'],
	['en', 'handoff', 'Human!!'],
	['en', 'handoff', 'agent'],
	['en', 'handoff', 'a human please'],
	['en', 'handoff', 'real person'],
	['en', 'handoff', 'talk to someone'],
	['en', 'handoff', 'Speak to a person'],
	['en', 'handoff', 'talk to a human'],
	['en', 'handoff', 'speak with an agent'],
	['en', 'handoff', 'talk to a real person'],
	['en', 'handoff', 'Talk to customer service'],
	['en', 'handoff', 'speak to staff'],
	['en', 'handoff', 'I want a human'],
	['en', 'handoff', 'I want to talk to a human'],
	['en', 'handoff', 'hi, can I speak to a human please?'],
	['en', 'handoff', 'operator'],
	['en', 'handoff', 'representative'],
	['en', 'handoff', 'connect me to an agent'],

	['es', 'reset', 'reiniciar'],
	['es', 'reset', 'Empezar de nuevo, por favor'],
	['es', 'reset', 'empecemos de cero'],
	['es', 'reset', 'nueva conversación'],
	['es', 'reset', 'borrar el historial'],
	['es', 'reset', 'olvida esta conversación'],
	['es', 'handoff', 'humano'],
	['es', 'handoff', 'Un humano por favor'],
	['es', 'handoff', 'hablar con una persona'],
	['es', 'handoff', 'Quiero hablar con un agente'],
	['es', 'handoff', 'necesito hablar con alguien'],
	['es', 'handoff', 'pásame con un asesor'],
	['es', 'handoff', '¿me comunica con un asesor?'],
	['es', 'handoff', 'hablar con atención al cliente'],

	['pt', 'reset', 'recomeçar'],
	['pt', 'reset', 'começar de novo'],
	['pt', 'reset', 'nova conversa'],
	['pt', 'reset', 'limpar a conversa'],
	['pt', 'reset', 'recomeçar a conversa'],
	['pt', 'reset', 'esqueça essa conversa'],
	['pt', 'handoff', 'atendente'],
	['pt', 'handoff', 'falar com um atendente'],
	['pt', 'handoff', 'Quero falar com uma pessoa, por favor'],
	['pt', 'handoff', 'posso falar com alguém?'],
	['pt', 'handoff', 'me passa para um atendente'],
	['pt', 'handoff', 'atendimento humano'],

	['id', 'reset', 'mulai dari awal'],
	['id', 'reset', 'mulai ulang'],
	['id', 'reset', 'chat baru'],
	['id', 'reset', 'hapus riwayat chat'],
	['id', 'reset', 'lupakan percakapan ini'],
	['id', 'handoff', 'manusia'],
	['id', 'handoff', 'bicara dengan manusia'],
	['id', 'handoff', 'bicara dengan cs'],
	['id', 'handoff', 'bicara dengan agen'],
	['id', 'handoff', 'minta cs kak'],
	['id', 'handoff', 'saya mau bicara sama admin'],
	['id', 'handoff', 'tolong sambungkan ke customer service'],

	['hi', 'reset', 'रीसेट'],
	['hi', 'reset', 'नई बातचीत शुरू करो'],
	['hi', 'reset', 'चैट रीसेट करें'],
	['hi', 'reset', 'नए सिरे से शुरू करें'],
	['hi', 'reset', 'naya chat shuru karo'],
	['hi', 'reset', 'chat reset karo'],
	['hi', 'handoff', 'इंसान'],
	['hi', 'handoff', 'इंसान से बात'],
	['hi', 'handoff', 'मुझे किसी इंसान से बात करनी है'],
	['hi', 'handoff', 'एजेंट से बात करवाइए'],
	['hi', 'handoff', 'insaan se baat karni hai'],
	['hi', 'handoff', 'mujhe agent se baat karni hai bhai'],
	['hi', 'handoff', 'mujhe insaan chahiye'],

	['bn', 'reset', 'রিসেট'],
	['bn', 'reset', 'নতুন চ্যাট'],
	['bn', 'reset', 'নতুন করে শুরু করুন'],
	['bn', 'reset', 'চ্যাট মুছে ফেলুন'],
	['bn', 'handoff', 'মানুষ'],
	['bn', 'handoff', 'মানুষের সাথে কথা বলতে চাই'],
	['bn', 'handoff', 'আমি একজন এজেন্টের সঙ্গে কথা বলতে চাই'],
	['bn', 'handoff', 'দয়া করে কাস্টমার কেয়ারের সাথে কথা বলিয়ে দিন'],

	['ar', 'reset', 'محادثة جديدة'],
	['ar', 'reset', 'امسح المحادثة'],
	['ar', 'reset', 'ابدأ من البداية'],
	['ar', 'reset', 'إعادة ضبط'],
	['ar', 'handoff', 'موظف'],
	['ar', 'handoff', 'أريد التحدث مع موظف'],
	['ar', 'handoff', 'أريد التحدث مع شخص حقيقي'],
	['ar', 'handoff', 'شخص حقيقي من فضلك'],
	['ar', 'handoff', 'ممكن أكلم خدمة العملاء'],
	['ar', 'handoff', 'بدي احكي مع حد'],
];

const NOT_COMMANDS: string[] = [
	'how do I reset my router?',
	'I want to reset my password',
	'reset my password',
	'is a human reading this?',
	'do you have agents in Lisbon?',
	'are you human?',
	'human resources',
	'the agent never came',
	'I spoke to a human yesterday and they said it was fine',
	'new chat feature is great',
	"don't talk to me",
	'cómo reinicio el módem',
	'¿eres humano?',
	'o atendente foi muito grosso',
	'apakah ini manusia?',
	'क्या आप इंसान हैं',
	'আপনি কি মানুষ',
	'هل أنت إنسان؟',
	'',
	'🙏',
	'talk to you later',
	'speak to me',
	'I want to talk to an agent about my order',
	'ulang',
	'mulai lagi',
];

describe('detectConversationCommand', () => {
	it.each(COMMANDS)('%s %s: %j', (language, command, text) => {
		expect(detectConversationCommand(text)).toEqual({ command, language });
	});

	it.each(NOT_COMMANDS)('%j is not a conversation command', (text) => {
		expect(detectConversationCommand(text)).toBeUndefined();
	});

	it('covers both commands in every language', () => {
		for (const lang of DETECT_LANGUAGES) {
			for (const command of ['reset', 'handoff'] as const) {
				expect([lang, command, COMMANDS.some(([l, c]) => l === lang && c === command)]).toEqual([lang, command, true]);
				expect(CONVERSATION_KEYWORDS[lang][command].length).toBeGreaterThan(0);
			}
		}
	});

	it('does not take a single word out of a framed sentence', () => {
		expect(detectConversationCommand('I want to reset')).toBeUndefined();
		expect(detectConversationCommand('I want human resources')).toBeUndefined();
	});

	it('ignores non-text input', () => {
		expect(detectConversationCommand(undefined as unknown as string)).toBeUndefined();
		expect(detectConversationCommand(42 as unknown as string)).toBeUndefined();
	});
});

describe('conversation and privacy commands never overlap', () => {
	it.each(COMMANDS.map(([, , text]) => text))('%j is not a privacy command', (text) => {
		expect(detectPrivacyCommand(text).isCommand).toBe(false);
	});

	it('no privacy command of the privacy corpus is a conversation command', () => {
		const overlapping = POSITIVES.filter((p) => detectConversationCommand(p.text) !== undefined).map((p) => p.text);
		expect(overlapping).toEqual([]);
	});

	it('the carrier keywords stay privacy commands', () => {
		for (const text of ['STOP', 'START', 'stop all', 'unsubscribe', 'delete my data', 'send me my data', 'start again', 'restart the bot']) {
			expect([text, detectConversationCommand(text)]).toEqual([text, undefined]);
		}
	});

	it('ordinary messages of the privacy corpus are not conversation commands', () => {
		const matched = NEGATIVES.filter((n) => detectConversationCommand(n.text) !== undefined).map((n) => n.text);
		expect(matched).toEqual([]);
	});
});

/**
 * The words that make a WhatsApp message a data-protection command, per language and command type.
 *
 * Each keyword is a whole-message pattern: a message is that command only when, after normalisation
 * (case, accents, punctuation, emoji, Arabic diacritics…) and after removing politeness fillers, it is
 * exactly one of these phrases. Patterns are plain words with a small syntax:
 *
 *   `[a b]`      optional words          `(a|b c)`  one of the alternatives (may be nested, may be empty)
 *   `{value}`    1–8 free words, returned as the correction's value (at most once per keyword)
 *   `{field}`    a field name from DEFAULT_FIELDS (name, e-mail, language…), returned as the correction's field
 *   `{id}`       a privacy request id such as PR-2026-ABC123 or PR-20260105-K7MWQ2, returned as requestId
 *
 * Words are normalised exactly as messages are, so they may be written with accents and apostrophes
 * ("don't", "información", "أرسل"). A keyword that is a single word (STOP, BAJA, বন্ধ) only matches a
 * message made of that word and fillers, never after "I want to…" framing is removed.
 */

import type { Language } from './messages';

export type { Language };
export type CommandType = 'access' | 'correct' | 'delete' | 'object' | 'resume' | 'status';

/** Every kind of privacy command a message can be. */
export const PRIVACY_COMMAND_TYPES: readonly CommandType[] = ['access', 'correct', 'delete', 'object', 'resume', 'status'];
/** Also the order in which languages are tried when nothing in the message points to one. */
export const DETECT_LANGUAGES: readonly Language[] = ['en', 'es', 'pt', 'id', 'hi', 'bn', 'ar'];

function deepFreeze<T>(value: T): T {
	if (value && typeof value === 'object') {
		for (const inner of Object.values(value)) deepFreeze(inner);
		Object.freeze(value);
	}
	return value;
}

/** Said the same way in every language: the carrier keywords and a bare request id. */
const UNIVERSAL: Record<'object' | 'resume' | 'status', string[]> = {
	object: ['stop', 'unsubscribe'],
	resume: ['start'],
	status: ['{id}', 'status {id}', '{id} status'],
};

function withUniversal(table: Record<CommandType, string[]>): Record<CommandType, string[]> {
	return {
		...table,
		object: [...UNIVERSAL.object.filter((k) => !table.object.includes(k)), ...table.object],
		resume: [...UNIVERSAL.resume.filter((k) => !table.resume.includes(k)), ...table.resume],
		status: [...UNIVERSAL.status.filter((k) => !table.status.includes(k)), ...table.status],
	};
}

// ---------------------------------------------------------------------------------------------- English
const EN_DATA = '[all [of]] my [personal] (data|information|info|details|personal info|records)';
const EN_ABOUT_ME = '(about|on|of) me';
const EN_DATA_WORD = '(data|information|info|personal data|personal information)';
const EN_FIX = '(correct|update|fix|change|amend|rectify|edit)';
const EN_DELETE = '(delete|erase|remove|wipe|purge|destroy|clear)';

const EN: Record<CommandType, string[]> = {
	access: [
		`(send|give|email|show) me ${EN_DATA}`,
		`(send|export|download|access|see|view|get|request|receive) ${EN_DATA}`,
		`(i want|i need|give me) ${EN_DATA} [back]`,
		`[(send|give|email) me] [a] copy of ${EN_DATA}`,
		`(request|get|want|need) a copy of ${EN_DATA}`,
		`(what|which) ${EN_DATA_WORD} do you (have|hold|keep|store|collect|process) ${EN_ABOUT_ME}`,
		`what do you (know|have|store|hold|keep) ${EN_ABOUT_ME}`,
		`show me what ${EN_DATA_WORD} you have [${EN_ABOUT_ME}]`,
		`[know|see|tell me] what ${EN_DATA_WORD} you (have|hold|keep|store|collect|process) ${EN_ABOUT_ME}`,
		'[data|subject] access request',
	],
	correct: [
		`${EN_FIX} ${EN_DATA}`,
		`${EN_FIX} my {field}`,
		`${EN_FIX} my {field} [to|into|as] {value}`,
		`my {field} (is|should be) {value} ${EN_FIX} [it|that|this|my data|my details|my profile]`,
		`my {field} is (wrong|incorrect|not correct|outdated|misspelled|misspelt)`,
		`${EN_DATA} (is|are) (wrong|incorrect|not correct|outdated|inaccurate)`,
	],
	delete: [
		`${EN_DELETE} ${EN_DATA} [from your (system|systems|database|records|servers)] [now|immediately|permanently]`,
		`${EN_DELETE} (everything|all [the] data|any data|all [the] information|all info) [you (have|hold|store|keep)] ${EN_ABOUT_ME}`,
		`${EN_DELETE} (the|any) ${EN_DATA_WORD} you (have|hold|store|keep) ${EN_ABOUT_ME}`,
		`${EN_DELETE} [all] my (messages|chats|chat|chat history|conversation|conversations|conversation history|history|phone number|number|whatsapp number)`,
		'(delete|erase|wipe|purge) me [from your (system|systems|database|records)]',
		'(delete|erase|remove|close) my account',
		'remove me from your (system|systems|database|records)',
		'forget (me|about me|my data)',
		'(i want to|i wish to|i would like to|id like to) be forgotten',
		'[exercise|invoke] my right to (be forgotten|erasure|deletion)',
		'right to (be forgotten|erasure)',
		`i (want|need|would like) ${EN_DATA} (deleted|erased|removed)`,
	],
	object: [
		'stopall',
		'stop all',
		'unsub',
		'optout',
		'quit',
		'(opt|opting) out',
		'opt me out',
		'unsubscribe me',
		'(i want to|i wanna|i would like to|id like to|i wish to|i need to) unsubscribe',
		'remove me',
		'stop [all] [the|these|your] (messages|texts|notifications|marketing|promotions|spam|ads)',
		'stop (messaging|texting|contacting|spamming|bothering|messaging to|writing to|sending) me [messages|texts] [now|anymore|any more|again]',
		'stop sending [me] [any] [more] [these|your] (messages|texts|marketing|promotions|notifications|ads|spam) [now|anymore|any more]',
		`stop (processing|using|storing|collecting|sharing) ${EN_DATA}`,
		`(dont|do not) (process|use|store|share) ${EN_DATA} [anymore|any more]`,
		`i object [to [the] (processing|use) [of ${EN_DATA}]]`,
		'i object to (processing|marketing|profiling)',
		'(dont|do not|never) (message|text|contact|msg|write to|send) me [messages|texts] [again|anymore|any more|ever again]',
		'(dont|do not) send me [any] [more] (messages|texts|marketing|promotions|ads) [again|anymore|any more]',
		'no more (messages|texts|marketing|promotions|spam)',
		'(remove|take) me (off|from) (your|the) (list|mailing list|contact list|contacts|marketing list|broadcast list)',
		'leave me alone',
		'(no|without) (ai|bot|bots|chatbot|robot|ai replies|ai answers)',
		'stop (ai|the ai|the bot|ai replies|bot replies|automated replies)',
		'i (dont|do not) want (ai|bots|a bot|an ai|messages|any messages|your messages|these messages|marketing|promotions) [anymore|any more]',
		'i (dont|do not) want to (receive|get) [any] [more] (messages|your messages|texts|marketing|promotions) [anymore|any more]',
	],
	resume: [
		'unstop',
		'resume',
		'subscribe',
		'resubscribe',
		'optin',
		'opt [back] in',
		'opt me [back] in',
		'subscribe [me] again',
		'subscribe me',
		'start again',
		'(resume|restart) (messages|texts|messaging|ai|the bot|ai replies)',
		'(start|resume) (sending|messaging|texting|contacting) me [messages] [again]',
		'you (can|may) (message|text|contact) me again',
		'(receive|get) (messages|texts) again',
		'(turn on|enable) (ai|the ai|the bot|messages) [again]',
	],
	status: [
		'status of [my] request {id}',
		'[(what is|whats)] [the] status of my [privacy|data|deletion|access|erasure|correction|gdpr|ccpa] request [{id}]',
		'[my] (privacy|data|deletion|gdpr|ccpa|erasure|access) request status [{id}]',
		'(any|what) (update|updates|news) on my [privacy|data|deletion|access|erasure|gdpr|ccpa] request [{id}]',
		'(check|track) my (privacy|data|deletion|access|erasure|gdpr|ccpa) request [{id}]',
		'(check|track) [my] request {id}',
		'(where|how) is my (privacy|data|deletion|access|erasure|gdpr|ccpa) request [{id}]',
		`(is|has) ${EN_DATA} (been deleted|deleted|been erased|erased) [yet]`,
		`(have|did) you (deleted|delete|erased|erase) ${EN_DATA} [yet]`,
	],
};

// ---------------------------------------------------------------------------------------------- Spanish
const ES_DATA =
	'(mis datos [personales]|todos mis datos [personales]|mi informacion [personal]|toda mi informacion [personal]|mis datos de contacto)';
const ES_FIX =
	'(corregir|corrige|corrijan|corrija|actualizar|actualiza|actualicen|actualice|modificar|modifica|modifiquen|modifique|rectificar|rectifica|rectifiquen|rectifique|cambiar|cambia|cambien|cambie)';
const ES_FIX_IT =
	'(actualicen|actualiza|actualice|actualizar|actualizalo|actualicenlo|corrijan|corrige|corrija|corregir|corrigelo|corrijanlo|cambien|cambia|cambie|cambiar|cambialo|cambienlo|modifiquen|modifica)';
const ES_DELETE =
	'(borrar|borra|borren|borre|eliminar|elimina|eliminen|elimine|suprimir|suprime|supriman|suprima|quitar|quiten|quite|quita|destruir|destruyan)';
const ES_SEND =
	'(envienme|enviame|envieme|mandame|mandenme|mandeme|pasame|pasenme|dame|denme|deme|muestrame|muestrenme|muestreme)';

const ES: Record<CommandType, string[]> = {
	access: [
		`${ES_SEND} ${ES_DATA}`,
		`(enviar|mandar|exportar|descargar|ver|consultar|acceder a|obtener|recibir|envia|envien|envie|manda|manden|mande|exporta|exporten|exporte) ${ES_DATA}`,
		`[${ES_SEND}] una copia de ${ES_DATA}`,
		'(que|cuales) datos [personales] (tienen|tienes|tiene|guardan|guardas|guarda|almacenan|usan) (de|sobre) mi',
		'que informacion [personal] (tienen|tienes|tiene|guardan|guardas|guarda) (de|sobre) mi',
		'que (saben|sabes|sabe) (de|sobre) mi',
		`acceso a ${ES_DATA}`,
	],
	correct: [
		`${ES_FIX} ${ES_DATA}`,
		`${ES_FIX} mi {field}`,
		`${ES_FIX} mi {field} [a|por|para que sea] {value}`,
		`mi {field} (es|debe ser) {value} ${ES_FIX_IT}`,
		'(mis datos|mi informacion) (estan|son|es|esta) (mal|incorrectos|incorrecta|incorrectas|incorrecto|equivocados|erroneos|desactualizados|desactualizada)',
		'mi {field} (esta|es) (mal|incorrecto|incorrecta|equivocado|equivocada)',
	],
	delete: [
		`${ES_DELETE} ${ES_DATA} [de (su|tu|la) (sistema|base de datos|registro|registros)]`,
		`${ES_DELETE} todo lo que (tienen|tienes|tiene|saben|sabes) (de|sobre) mi`,
		`${ES_DELETE} [todos] mis (mensajes|conversaciones|chats|numero|numero de telefono)`,
		`${ES_DELETE} [toda] mi cuenta`,
		'(olvidame|olvidenme|olvideme|olvidate de mi|olvidense de mi|olvidese de mi)',
		'(borrenme|borrame|eliminenme|elimineme|eliminame) [de (su|tu|la) (sistema|base de datos|registro)]',
		'me (borren|eliminen|borre|elimine|quiten|borres|elimines) de (su|tu|la) (sistema|base de datos|registro|registros)',
		'[ejercer|ejerzo] [mi] derecho (al olvido|de supresion)',
	],
	object: [
		'baja',
		'parar',
		'para',
		'detener',
		'detente',
		'basta',
		'desuscribir',
		'desuscribirme',
		'(quiero|quisiera|deseo) desuscribirme',
		'(dar|darme|denme|dame|deme) de baja',
		'me doy de baja',
		'(cancelar|cancela|cancelen|anular|anulen) [mi|la] suscripcion',
		'(dejen|deja|deje|dejar) de (enviarme|mandarme|escribirme|contactarme|molestarme|enviar|mandar) [mensajes|mas mensajes|publicidad|promociones]',
		'no (me envien|me envies|me envie|me mande|me manden|me mandes|me escriban|me escribas|me escriba|me contacten|me contactes|me contacte) [mas] [mensajes|publicidad|promociones]',
		'no quiero [recibir] [mas] (mensajes|publicidad|promociones|notificaciones) [de ustedes]',
		'(no mas|ya no mas) (mensajes|publicidad|promociones|spam)',
		`(dejen|deja|deje|dejar) de (procesar|usar|utilizar|tratar) ${ES_DATA}`,
		`me opongo [al tratamiento de ${ES_DATA}]`,
		'(sin|no) (ia|inteligencia artificial|bot|bots)',
		'no quiero (ia|inteligencia artificial|hablar con (un bot|una ia|la ia))',
		'(sacame|saquenme|sáqueme|quitame|quitenme|borrenme|borrame|eliminenme) de (la|su|tu) lista [de (contactos|difusion)]',
		'(dejame|dejenme|dejeme) en paz',
	],
	resume: [
		'alta',
		'reanudar',
		'suscribir',
		'suscribirme',
		'reactivar',
		'(dar|darme|denme|dame|deme) de alta [de nuevo|otra vez]',
		'me doy de alta [de nuevo|otra vez]',
		'volver a (recibir mensajes|suscribirme)',
		'(reanudar|reanuden|reanuda|reactivar|reactiven|reactiva|activar|activen|activa) (los mensajes|mensajes|mi suscripcion|la suscripcion|las notificaciones)',
		'(pueden|puedes|puede) (volver a escribirme|escribirme de nuevo|enviarme mensajes otra vez|enviarme mensajes de nuevo|volver a enviarme mensajes)',
		'(suscribirme|suscribeme|suscribanme|suscribame) (de nuevo|otra vez)',
		'recibir mensajes (de nuevo|otra vez)',
	],
	status: [
		'estado [de] [mi] [la] solicitud {id}',
		'{id} estado',
		'[cual es] [el] estado de mi solicitud [de (privacidad|datos|borrado|eliminacion|acceso|supresion|rectificacion)] [{id}]',
		'(como va|en que va|como esta|que paso con) mi solicitud [de (privacidad|datos|borrado|eliminacion|acceso|supresion|rectificacion)] [{id}]',
		`ya (borraron|eliminaron|borraste|eliminaste) ${ES_DATA}`,
	],
};

// ------------------------------------------------------------------------------------------- Portuguese
const PT_DATA =
	'([todos] [os] meus dados [pessoais]|[todas] [as] minhas informacoes [pessoais]|[os] meus dados de contato)';
const PT_OF_DATA = '(dos meus dados [pessoais]|de meus dados|das minhas informacoes [pessoais])';
const PT_FIX =
	'(corrigir|corrija|corrijam|corrige|atualizar|atualize|atualizem|atualiza|alterar|altere|alterem|altera|mudar|mude|mudem|muda|retificar|retifique|retifiquem|modificar|modifique|modifiquem|editar|edite)';
const PT_DELETE =
	'(apagar|apague|apaguem|apaga|excluir|exclua|excluam|exclui|deletar|delete|deletem|deleta|remover|remova|removam|remove|eliminar|elimine|eliminem|elimina|destruir|destrua)';
const PT_SEND =
	'[me] (envie|envia|enviem|mande|manda|mandem|passe|passa|passem|mostre|mostra|mostrem|de|da|deem)';

const PT: Record<CommandType, string[]> = {
	access: [
		`${PT_SEND} [pra mim|para mim] ${PT_DATA} [pra mim|para mim]`,
		`(enviar|mandar|exportar|baixar|ver|consultar|acessar|obter|receber|exporte|exporta|exportem) ${PT_DATA}`,
		`[${PT_SEND}] [uma] copia ${PT_OF_DATA}`,
		'(quais|que) dados (voces tem|voce tem|vcs tem|vc tem|tem|voces possuem|possuem|voces guardam|vcs guardam|guardam) (sobre mim|de mim)',
		'o que (voces sabem|vcs sabem|voce sabe|vc sabe) (sobre|de) mim',
		'acesso (aos meus dados|as minhas informacoes)',
	],
	correct: [
		`${PT_FIX} ${PT_DATA}`,
		`${PT_FIX} (o meu|meu|a minha|minha) {field}`,
		`${PT_FIX} (o meu|meu|a minha|minha) {field} [para] {value}`,
		`(meu|minha|o meu|a minha) {field} (e|eh) {value} ${PT_FIX}`,
		'(meus dados|minhas informacoes) (estao|esta) (errados|errado|errada|erradas|incorretos|incorretas|incorreto|desatualizados|desatualizadas)',
		'(meu|minha) {field} (esta|ta) (errado|errada|incorreto|incorreta)',
	],
	delete: [
		`${PT_DELETE} ${PT_DATA} [(do|de seu|do seu) (sistema|banco de dados|cadastro)]`,
		`${PT_DELETE} (minhas mensagens|minhas conversas|o meu numero|meu numero|meu cadastro|o meu cadastro|tudo sobre mim)`,
		`${PT_DELETE} tudo [o] que (voces tem|vcs tem|voce tem|vc tem|tem|sabem) (sobre|de) mim`,
		`${PT_DELETE} [a] minha conta`,
		'(me esqueca|me esquecam|esqueca me|esquecam me|esquecam de mim|esqueca de mim)',
		'(me apague|me apaguem|me exclua|me excluam) [do (seu|sistema|seu sistema|banco de dados|cadastro)]',
		'[exercer|exerco] [o] [meu] direito (ao esquecimento|de eliminacao|de exclusao|ao apagamento)',
	],
	object: [
		'parar',
		'pare',
		'parem',
		'sair',
		'descadastrar',
		'(pare|parem|para|parar) de (me enviar|me mandar|enviar|mandar|me contatar|me chamar|me incomodar) [mensagens|mensagem|mais mensagens|propaganda|propagandas|promocoes|ofertas]',
		'nao (quero|desejo) [mais] [receber] [mais] (mensagens|mensagem|propaganda|propagandas|promocoes|notificacoes|ofertas) [de voces|suas]',
		'nao me (envie|enviem|envia|mande|mandem|manda|contate|contatem|chame|chamem) [mais] [mensagens|mensagem]',
		'(chega de|sem mais) (mensagens|mensagem|propaganda|propagandas)',
		'[me] (descadastre|descadastrem|descadastra)',
		'(me descadastrar|sair da lista)',
		'(cancelar|cancele|cancelem) [a] [minha] inscricao',
		'(me tire|me tirem|me remova|me removam|tire me|me exclua|me excluam) da [sua] (lista|lista de contatos|lista de transmissao)',
		`(pare|parem|parar) de (processar|usar|tratar|utilizar) ${PT_DATA}`,
		`[eu] me oponho [ao tratamento ${PT_OF_DATA}]`,
		'(sem|nada de) (ia|inteligencia artificial|bot|robo)',
		'nao quero (ia|inteligencia artificial|falar com (robo|bot|a ia|ia|um robo))',
		'me (deixe|deixem|deixa) em paz',
	],
	resume: [
		'retomar',
		'reativar',
		'voltar a receber (mensagens|mensagem|as mensagens|notificacoes|promocoes)',
		'(podem|pode) (voltar a me enviar mensagens|me enviar mensagens de novo|me mandar mensagens de novo|voltar a me mandar mensagens)',
		'(me inscrever|me cadastrar|inscrever|cadastrar) (de novo|novamente)',
		'(reativar|reative|reativem|retomar|retome|retomem|ativar|ative|ativem) (as mensagens|mensagens|minha inscricao|a inscricao|as notificacoes)',
		'receber mensagens (de novo|novamente)',
		'(me inscreva|me inscrevam|me cadastre|me cadastrem) [de novo|novamente]',
	],
	status: [
		'status [da] [minha] (solicitacao|requisicao) {id}',
		'{id} status',
		'[(qual|como esta|como ta) [e] [o|a]] (status|andamento|situacao) da minha (solicitacao|requisicao) [de (privacidade|dados|exclusao|acesso|correcao)] [{id}]',
		'como (esta|anda|ta) [a] minha (solicitacao|requisicao) [de (privacidade|dados|exclusao|acesso|correcao)] [{id}]',
		`ja (apagaram|excluiram|deletaram|removeram) ${PT_DATA}`,
	],
};

// ------------------------------------------------------------------------------------------- Indonesian
const ID_ME = '(saya|aku|gue|gua|gw)';
const ID_DATA = `([semua|seluruh] (data|informasi|info) [pribadi] ${ID_ME}|[semua|seluruh] dataku)`;
const ID_FIX = '(perbaiki|ubah|ganti|perbarui|koreksi|update|edit|betulkan|benarkan|ralat)';
const ID_FIXED = '(diubah|diganti|diperbarui|dikoreksi|diperbaiki|diupdate|update|perbarui|ubah|ganti|perbaiki)';

const ID: Record<CommandType, string[]> = {
	access: [
		`(kirim|kirimkan|kirimin|kirimi saya|tunjukkan|tunjukin|lihat|ekspor|export|unduh|download|berikan|kasih) ${ID_DATA}`,
		`minta ${ID_DATA}`,
		`[(kirim|kirimkan|minta|berikan)] salinan ${ID_DATA}`,
		`data apa [saja] yang (kalian|anda|kamu|kakak) (punya|miliki|simpan|pegang|ketahui) (tentang|soal|mengenai) ${ID_ME}`,
		`apa yang (kalian|anda|kamu) (ketahui|tahu) tentang ${ID_ME}`,
		`akses ${ID_DATA}`,
	],
	correct: [
		`${ID_FIX} ${ID_DATA}`,
		`${ID_FIX} {field} ${ID_ME}`,
		`${ID_FIX} {field} ${ID_ME} [menjadi|jadi|ke|dengan] {value}`,
		`{field} ${ID_ME} [adalah] {value} ${ID_FIXED}`,
		`${ID_DATA} (salah|keliru|tidak benar|sudah tidak benar|kurang tepat)`,
		`{field} ${ID_ME} (salah|keliru)`,
	],
	delete: [
		`(hapus|hapuskan|hapusin|menghapus|hilangkan|musnahkan|delete) ${ID_DATA} [dari (sistem|database) (kalian|anda)]`,
		`(hapus|hapuskan|hapusin|delete) [semua] (pesan|nomor|chat|percakapan) ${ID_ME}`,
		`(hapus|hapuskan|hapusin|tutup|delete) akun ${ID_ME}`,
		`lupakan ${ID_ME}`,
		`(hapus|hapuskan) ${ID_ME} dari (sistem|database) (kalian|anda)`,
		'hak untuk dilupakan',
	],
	object: [
		'berhenti',
		'unsub',
		'berhenti berlangganan',
		`(berhenti|stop|setop) (kirim|mengirim|kirimi|mengirimi|menghubungi|hubungi|chat|spam) [${ID_ME}] [pesan|promo|iklan] [lagi]`,
		`jangan (kirim|kirimi|kirimin|mengirim|hubungi|menghubungi|chat|spam) [${ID_ME}] [pesan|promo|iklan] [lagi] [(ke|kepada) ${ID_ME}] [lagi]`,
		`[${ID_ME}] (tidak|tak|gak|ga|nggak|enggak) (mau|ingin) (menerima|terima|dapat) [pesan|promo|iklan] [lagi]`,
		`(berhenti|stop|hentikan) (memproses|menggunakan|proses|pakai) ${ID_DATA}`,
		`${ID_ME} keberatan [(data ${ID_ME} diproses|atas pemrosesan data ${ID_ME})]`,
		'(tanpa|no|tidak pakai|gak pakai|jangan pakai) (ai|bot|robot)',
		'(tidak|gak|nggak) mau (ai|bot)',
		`(keluarkan|hapus) ${ID_ME} dari (daftar|daftar kontak|list|milis)`,
		'hentikan (pesan|pengiriman pesan|langganan)',
	],
	resume: [
		'mulai',
		'berlangganan',
		'berlangganan (lagi|kembali)',
		'(mulai|aktifkan) (lagi|kembali) [pesan|langganan]',
		'(menerima|terima) pesan (lagi|kembali)',
		`(boleh|bisa) (kirim|mengirim|hubungi|menghubungi) ${ID_ME} lagi`,
	],
	status: [
		`status [permintaan|pengajuan] [${ID_ME}] {id}`,
		`[bagaimana|gimana|apa] status (permintaan|pengajuan|request) ${ID_ME} [{id}]`,
		`(bagaimana|gimana) (permintaan|pengajuan) ${ID_ME} [{id}]`,
		`[apakah] ${ID_DATA} sudah dihapus`,
	],
};

// ---------------------------------------------------------------------------------------------- Hindi
const HI_MY = '(मेरा|मेरी|मेरे|अपना|अपनी|अपने)';
const HI_DATA = `${HI_MY} [सारा|सारी|सारे|पूरा|पूरी|सभी|सब] (डेटा|डाटा|जानकारी|सूचना|निजी जानकारी|व्यक्तिगत जानकारी|पर्सनल डेटा|डिटेल्स|विवरण|data)`;
const HI_DO = '(करो|करें|करे|करिए|करिये|कीजिए|कीजिये|कर दो|कर दें|कर दे|कर दीजिए|कर दीजिये)';
const HI_SEND = '(भेजो|भेजें|भेजिए|भेजिये|भेज दो|भेज दें|भेज दीजिए|दिखाओ|दिखाएं|दिखाइए|दिखा दो|दो|दें|दीजिए)';
const HI_DELETE = `(हटाओ|हटाएं|हटाइए|हटाइये|हटा दो|हटा दें|हटा दीजिए|हटा दीजिये|हटा दे|मिटाओ|मिटाएं|मिटा दो|मिटा दें|मिटा दीजिए|(डिलीट|डिलिट|delete|साफ) ${HI_DO})`;
const HI_MESSAGE = '(मैसेज|मेसेज|मैसेजेस|संदेश)';
// Hinglish (Hindi in Latin letters)
const HL_MY = '(mera|meri|mere|apna|apni|apne)';
const HL_DATA = `${HL_MY} [sara|saara|sari|saari|pura|poora|puri|sab] (data|jankari|jaankari|details|info|information)`;
const HL_DO = '(karo|kro|karein|karen|kare|kariye|kijiye|kar do|kardo|kr do|krdo|kar dein|kar den|kar de|kar dijiye|kar dijie)';
const HL_MESSAGE = '(message|messages|msg|msgs|sms)';

const HI: Record<CommandType, string[]> = {
	access: [
		`[मुझे] ${HI_DATA} [मुझे] ${HI_SEND}`,
		`${HI_DATA} (एक्सपोर्ट|डाउनलोड) ${HI_DO}`,
		`${HI_MY} (डेटा|डाटा|जानकारी) की (कॉपी|प्रति) [मुझे] ${HI_SEND}`,
		'[आपके पास] मेरे बारे में [आपके पास] (क्या|कौन सा|कौनसा|कौन सी|कौनसी|कितना) (डेटा|डाटा|जानकारी) है',
		'आप मेरे बारे में क्या जानते (हैं|हो)',
		`[mujhe] ${HL_DATA} [mujhe] (bhejo|bhej do|bhejiye|bhej dijiye|send karo|send kar do|dikhao|dikha do|export karo|export kar do|dijiye)`,
		'[aapke pass] mere (baare|bare) (mein|me|main) [aapke pass] (kya|kaunsa|konsa) (data|jankari) hai',
	],
	correct: [
		`${HI_DATA} (सही|ठीक|अपडेट|संशोधित|अपडेट|update|correct) ${HI_DO}`,
		`${HI_MY} {field} (बदलो|बदलें|बदल दो|बदल दें|बदलिए|बदलिये|सुधारो|सुधारें|सुधार दो|सुधार दें|(सही|ठीक|अपडेट|चेंज|change|update) ${HI_DO})`,
		`${HI_MY} {field} (बदलकर|बदल कर) {value} ${HI_DO}`,
		`${HI_MY} {field} {value} है (अपडेट|सही|ठीक|चेंज|change|update) ${HI_DO}`,
		`${HI_MY} {field} {value} (कर दो|कर दें|कर दीजिए|कर दीजिये)`,
		`(${HI_DATA}|${HI_MY} {field}) गलत है`,
		`${HL_DATA} (update|correct|sahi|theek|thik|change) ${HL_DO}`,
		`${HL_MY} {field} (badlo|badal do|badal dijiye|(update|change|sahi|theek|thik|correct) ${HL_DO})`,
		`${HL_MY} {field} {value} hai (update|change|sahi|correct|theek) ${HL_DO}`,
		`${HL_MY} {field} (badalkar|badal kar|change karke) {value} ${HL_DO}`,
	],
	delete: [
		`${HI_DATA} ${HI_DELETE}`,
		`${HI_DELETE} ${HI_DATA}`,
		`${HI_MY} [सारे|सभी|सब] (${HI_MESSAGE}|चैट|नंबर) ${HI_DELETE}`,
		`${HI_MY} (अकाउंट|खाता) ${HI_DELETE}`,
		`[मुझे] ${HI_DATA} (हटवाना|हटाना|मिटाना|मिटवाना|डिलीट करना|डिलीट करवाना) है`,
		`${HI_DATA} (हटा|मिटा|डिलीट कर) (सकते|सकती) (हैं|हो)`,
		'(मुझे|मुझको) भूल (जाओ|जाइए|जाइये|जाएं)',
		`[मैं] ${HI_DATA} (हटाना|हटवाना|मिटाना|डिलीट करना|डिलीट करवाना) (चाहता|चाहती) (हूं|हूँ)`,
		`${HL_DATA} (delete|remove|erase|hata|mita) ${HL_DO}`,
		`${HL_DATA} (delete|hatao|hata do|hata dijiye|mitao|mita do|mita dijiye)`,
		`[mujhe] ${HL_DATA} (delete|hata|mita|remove) (karna|karwana|karvana|karana) hai`,
		`[mujhe] ${HL_DATA} (hatwana|hatana|mitana|mitwana) hai`,
		`${HL_MY} account (delete|remove) ${HL_DO}`,
		'mujhe (bhool|bhul) (jao|jaiye|jaaiye|jayiye)',
	],
	object: [
		'रुको',
		'रोको',
		'बंद',
		'स्टॉप',
		'अनसब्सक्राइब',
		'band',
		`बंद ${HI_DO}`,
		`${HI_MESSAGE} (भेजना|भेजने) बंद ${HI_DO}`,
		`[मुझे] [और] ${HI_MESSAGE} (मत|ना|न) (भेजो|भेजें|भेजिए|भेजिये|भेजना|करो|करें)`,
		`[मुझे] [और] [कोई] ${HI_MESSAGE} नहीं चाहिए`,
		`${HI_DATA} [का] (इस्तेमाल|उपयोग|प्रोसेस|प्रयोग|प्रोसेसिंग) (बंद ${HI_DO}|मत ${HI_DO}|न ${HI_DO})`,
		'[मुझे] (एआई|ai|बॉट|bot) नहीं चाहिए',
		'(कोई) (एआई|ai|बॉट) नहीं',
		`(अनसब्सक्राइब|unsubscribe) ${HI_DO}`,
		`सदस्यता (रद्द|खत्म|समाप्त) ${HI_DO}`,
		`band ${HL_DO}`,
		`${HL_MESSAGE} (bhejna|bhejne) band ${HL_DO}`,
		`[mujhe] [aur] ${HL_MESSAGE} (mat|na|nahi) (bhejo|bhejna|bhejiye|karo)`,
		`[mujhe] [aur] ${HL_MESSAGE} (nahi|nahin) (chahiye|chaiye)`,
		`(unsubscribe|stop) ${HL_DO}`,
		'[mujhe] (ai|bot) (nahi|nahin) (chahiye|chaiye)',
	],
	resume: [
		'शुरू',
		'शुरु',
		'स्टार्ट',
		'shuru',
		`[फिर से|दोबारा|वापस] (शुरू|शुरु|चालू|स्टार्ट) ${HI_DO}`,
		`${HI_MESSAGE} [फिर से|दोबारा] भेजना (शुरू|शुरु|चालू) ${HI_DO}`,
		`[फिर से|दोबारा] सब्सक्राइब ${HI_DO}`,
		`[phir se|fir se|dobara|wapas] (shuru|chalu|start|subscribe|resume) ${HL_DO}`,
		`${HL_MESSAGE} [phir se|fir se|dobara] bhejna (shuru|start|chalu) ${HL_DO}`,
	],
	status: [
		'(स्टेटस|स्थिति) {id}',
		'{id} (स्टेटस|की स्थिति)',
		'(मेरे|मेरी|मेरा) (अनुरोध|रिक्वेस्ट|request|आवेदन) (की|का) (स्थिति|स्टेटस|status) [क्या है] [{id}]',
		'(मेरे|मेरी|मेरा) (अनुरोध|रिक्वेस्ट|आवेदन) (का|की) क्या हुआ',
		'(meri|mere|mera) (request|anurodh) (ka|ki) (status|sthiti) [kya hai] [{id}]',
		'(meri|mere|mera) request ka kya hua',
	],
};

// -------------------------------------------------------------------------------------------- Bengali
const BN_DATA = 'আমার [সব|সমস্ত|সকল] [ব্যক্তিগত] (তথ্য|ডেটা|ডাটা|তথ্যাবলী|ইনফরমেশন|ইনফো|data)';
const BN_DO = '(করুন|করো|কর|করেন|করে দিন|করে দাও|করে দেন|করে দে|করবেন)';
const BN_DELETE = `(মুছে ফেলুন|মুছে ফেলো|মুছে ফেল|মুছে ফেলেন|মুছে দিন|মুছে দাও|মুছে দে|মুছে দেন|মুছুন|মুছো|সরিয়ে ফেলুন|সরিয়ে দিন|(ডিলিট|ডিলেট|delete) ${BN_DO})`;
const BN_SEND = '(পাঠান|পাঠাও|পাঠিয়ে দিন|পাঠিয়ে দাও|দিন|দাও|দেখান|দেখাও|রপ্তানি করুন|এক্সপোর্ট করুন|ডাউনলোড করুন)';
const BN_MESSAGE = '(মেসেজ|ম্যাসেজ|বার্তা|এসএমএস)';

const BN: Record<CommandType, string[]> = {
	access: [
		`[আমাকে] ${BN_DATA} [আমাকে] ${BN_SEND}`,
		`আমার [সব] (তথ্যের|ডেটার|ডাটার) [একটি|একটা] (কপি|অনুলিপি) [আমাকে] ${BN_SEND}`,
		'(আমার সম্পর্কে|আমার ব্যাপারে) (আপনাদের কাছে|আপনার কাছে|তোমাদের কাছে) (কী|কি|কোন) (তথ্য|ডেটা|ডাটা) (আছে|রয়েছে)',
		'(আপনাদের কাছে|আপনার কাছে|তোমাদের কাছে) (আমার সম্পর্কে|আমার ব্যাপারে) (কী|কি|কোন) (তথ্য|ডেটা|ডাটা) (আছে|রয়েছে)',
		`[আমি] ${BN_DATA} (দেখতে|পেতে) চাই`,
	],
	correct: [
		`${BN_DATA} (সংশোধন|ঠিক|আপডেট|পরিবর্তন|হালনাগাদ) ${BN_DO}`,
		`আমার {field} (সংশোধন|ঠিক|আপডেট|পরিবর্তন|বদল|চেঞ্জ) ${BN_DO}`,
		'আমার {field} (বদলে দিন|বদলে দাও|বদলান|বদলাও)',
		`আমার {field} (পরিবর্তন করে|বদলে) {value} ${BN_DO}`,
		`আমার {field} [হলো|হল|হচ্ছে] {value} (আপডেট|সংশোধন|ঠিক|পরিবর্তন) (করুন|করো|করে দিন|করে নিন|করে দাও|করেন)`,
		`(${BN_DATA}|আমার {field}) ভুল [আছে]`,
	],
	delete: [
		`${BN_DATA} ${BN_DELETE}`,
		`আমার [সব|সমস্ত] (${BN_MESSAGE}|নম্বর|নাম্বার) ${BN_DELETE}`,
		`আমার (অ্যাকাউন্ট|একাউন্ট) ${BN_DELETE}`,
		'আমাকে ভুলে (যান|যাও|যাবেন)',
		`[আমি] ${BN_DATA} (মুছে ফেলতে|মুছতে|মুছে দিতে|ডিলিট করতে) চাই`,
	],
	object: [
		'বন্ধ',
		'থামুন',
		'থামো',
		'থামাও',
		'স্টপ',
		'আনসাবস্ক্রাইব',
		`বন্ধ ${BN_DO}`,
		`${BN_MESSAGE} (পাঠানো|দেওয়া|পাঠানোর) বন্ধ ${BN_DO}`,
		`[আমাকে] [আর] [কোনো|কোন] ${BN_MESSAGE} (পাঠাবেন না|পাঠাবে না|পাঠিও না|পাঠাইও না|দিবেন না|দেবেন না|দিও না)`,
		`[আমি] [আর] [কোনো|কোন] ${BN_MESSAGE} (চাই না|পেতে চাই না)`,
		`${BN_DATA} (প্রক্রিয়া করা|প্রসেস করা|ব্যবহার করা|প্রক্রিয়াকরণ) বন্ধ ${BN_DO}`,
		`(আনসাবস্ক্রাইব|unsubscribe) ${BN_DO}`,
		`(সাবস্ক্রিপশন|সদস্যতা) বাতিল ${BN_DO}`,
		'(এআই|ai|বট) চাই না',
		'আমাকে বিরক্ত (করবেন না|করো না)',
	],
	resume: [
		'শুরু',
		'স্টার্ট',
		`[আবার] (শুরু|চালু|স্টার্ট) ${BN_DO}`,
		`আবার ${BN_MESSAGE} (পাঠান|পাঠাও|পাঠাতে পারেন)`,
		`[আবার] সাবস্ক্রাইব ${BN_DO}`,
		`[আমি] আবার ${BN_MESSAGE} পেতে চাই`,
	],
	status: [
		'(স্ট্যাটাস|অবস্থা) {id}',
		'{id} (স্ট্যাটাস|এর অবস্থা)',
		'আমার (অনুরোধের|রিকোয়েস্টের|আবেদনের) (অবস্থা|স্ট্যাটাস|status|অগ্রগতি) [কী|কি] [{id}]',
		'আমার (অনুরোধের|রিকোয়েস্টের|আবেদনের) (কী|কি) (হলো|হল|অবস্থা)',
	],
};

// --------------------------------------------------------------------------------------------- Arabic
const AR_DATA =
	'(بياناتي|معلوماتي|كل بياناتي|جميع بياناتي|كافة بياناتي|كل معلوماتي|جميع معلوماتي|بياناتي الشخصية|معلوماتي الشخصية|البيانات الخاصة بي|المعلومات الخاصة بي)';
const AR_DELETE = '(احذف|احذفوا|احذفي|امسح|امسحوا|امسحي|أزل|أزيلوا|شيل|شيلوا|حذف|مسح|إزالة|محو)';
const AR_FIX = '(صحح|صححوا|عدل|عدلوا|حدث|حدثوا|غير|غيروا|تصحيح|تعديل|تحديث|تغيير)';

const AR: Record<CommandType, string[]> = {
	access: [
		`(أرسل|أرسلوا|أرسلي|ابعث|ابعثوا|ابعتلي|ابعتوا) [لي] ${AR_DATA}`,
		`(أرسل|أرسلوا|ابعث|ابعثوا) [لي] نسخة من ${AR_DATA}`,
		`(إرسال|تصدير|تنزيل|تحميل|الاطلاع على|الوصول إلى|رؤية|عرض|صدر|اعرض|اعرضوا) ${AR_DATA}`,
		`نسخة من ${AR_DATA}`,
		'(ما|ماذا|ايش|شو|وش) [هي] (البيانات|المعلومات) [التي|اللي|الي] (لديكم|عندكم|تملكونها|تحتفظون بها|تخزنونها) عني',
		'(ماذا|ما الذي|شو|ايش) (تعرفون|تعرف) عني',
		'(ماذا|ما) (لديكم|عندكم) عني',
	],
	correct: [
		`${AR_FIX} ${AR_DATA}`,
		`${AR_FIX} {field}`,
		`${AR_FIX} {field} [إلى|الى|ل] {value}`,
		'{field} {value} (حدثه|حدثوه|صححه|صححوه|عدله|عدلوه|غيره|غيروه|حدث|صحح|عدل|غير)',
		`${AR_DATA} (خاطئة|غير صحيحة|خطأ|غلط)`,
		'{field} (خطأ|خاطئ|غلط|غير صحيح)',
	],
	delete: [
		`${AR_DELETE} ${AR_DATA} [من (نظامكم|قاعدة البيانات|عندكم|سجلاتكم)]`,
		`${AR_DELETE} (رسائلي|رقمي|محادثاتي)`,
		`${AR_DELETE} (حسابي|الحساب الخاص بي)`,
		'(انسوني|انساني|انسني)',
		'(احذفوني|امسحوني|احذفني) [من (نظامكم|قاعدة البيانات|عندكم)]',
		'الحق في (النسيان|المحو)',
	],
	object: [
		'توقف',
		'توقفوا',
		'قف',
		'ايقاف',
		'كفى',
		'(توقف|توقفوا) عن (مراسلتي|إرسال الرسائل [لي|إلي]|إرسال رسائل [لي]|الرسائل|التواصل معي|الاتصال بي|إزعاجي)',
		'(أوقف|أوقفوا|إيقاف) (الرسائل|إرسال الرسائل|الاشتراك|الرسائل التسويقية)',
		'لا (ترسل|ترسلوا|ترسلي|تبعث|تبعثوا|تراسلني|تراسلوني|تتواصلوا معي|تتصلوا بي) [لي] [أي] [رسائل|رسايل] [بعد الآن|مرة أخرى|مجددا|ثانية]',
		'لا (أريد|ابغى|ابي|بدي|عايز) [استلام|تلقي] [أي] [مزيد من] (رسائل|الرسائل|رسايل) [بعد الآن|مرة أخرى|منكم]',
		'(إلغاء|الغ|الغي|الغوا) (الاشتراك|اشتراكي)',
		`(أوقف|أوقفوا|توقف عن|توقفوا عن) (معالجة|استخدام) ${AR_DATA}`,
		`[أنا] أعترض [على (معالجة|استخدام) ${AR_DATA}]`,
		'(بدون|بلا|لا) (ذكاء اصطناعي|بوت|روبوت)',
		'لا (أريد|ابغى|ابي) (ذكاء اصطناعي|الذكاء الاصطناعي|بوت|التحدث مع (بوت|روبوت|الذكاء الاصطناعي))',
		'(احذفوني|احذفني|أزيلوني|شيلوني) من (القائمة|قائمتكم)',
		'اتركوني (في حالي|وشأني)',
	],
	resume: [
		'ابدأ',
		'استئناف',
		'اشترك',
		'(ابدأ|ابدأوا) (من جديد|مجددا|مرة أخرى)',
		'(استئناف|إعادة تفعيل|تفعيل|إعادة) (الرسائل|الاشتراك)',
		'(اشترك|اشتراك|اشتركني) (مجددا|من جديد|مرة أخرى)',
		'(يمكنكم|ممكن|تقدرون) (مراسلتي|إرسال الرسائل لي|التواصل معي) (مجددا|مرة أخرى|من جديد)',
		'(استلام|تلقي) (الرسائل|رسائل) (مجددا|مرة أخرى|من جديد)',
		'(أرسلوا|أرسل) لي (الرسائل|رسائل) (مجددا|مرة أخرى|من جديد)',
	],
	status: [
		'حالة [الطلب] {id}',
		'{id} حالة',
		// "طلبي" alone is also "my order": only a privacy request, or one with its id, is a status command.
		'[(ما|ماذا|كيف|وش|شو) [هي]] حالة (طلب الخصوصية|طلب حذف بياناتي|طلب بياناتي|طلبي الخاص ببياناتي) [{id}]',
		'[(ما|ماذا|كيف|وش|شو) [هي]] حالة طلبي {id}',
		`هل تم (حذف|مسح) ${AR_DATA}`,
	],
};

export const DEFAULT_KEYWORDS: Record<Language, Record<CommandType, string[]>> = deepFreeze({
	en: withUniversal(EN),
	bn: withUniversal(BN),
	es: withUniversal(ES),
	pt: withUniversal(PT),
	hi: withUniversal(HI),
	ar: withUniversal(AR),
	id: withUniversal(ID),
});

/**
 * Field words for `{field}`, mapped to the field reported in the correction. Arabic field words carry
 * the possessive suffix ("اسمي", my name) because that is how they are written.
 */
export const DEFAULT_FIELDS: Record<Language, Record<string, string>> = deepFreeze({
	en: {
		name: 'name', 'full name': 'name', 'first name': 'name', 'last name': 'name', surname: 'name', 'family name': 'name',
		email: 'email', 'email address': 'email', 'e-mail': 'email', 'e-mail address': 'email', mail: 'email',
		language: 'language', 'preferred language': 'language',
		phone: 'phone', 'phone number': 'phone', number: 'phone', mobile: 'phone', 'mobile number': 'phone', 'whatsapp number': 'phone',
		address: 'address', 'home address': 'address', 'postal address': 'address', 'delivery address': 'address',
		'date of birth': 'birthdate', birthday: 'birthdate', 'birth date': 'birthdate',
	},
	es: {
		nombre: 'name', 'nombre completo': 'name', apellido: 'name', apellidos: 'name',
		correo: 'email', 'correo electrónico': 'email', email: 'email', 'e-mail': 'email', mail: 'email',
		idioma: 'language', lengua: 'language',
		teléfono: 'phone', número: 'phone', 'número de teléfono': 'phone', celular: 'phone', móvil: 'phone', 'número de celular': 'phone', whatsapp: 'phone',
		dirección: 'address', domicilio: 'address',
		'fecha de nacimiento': 'birthdate', cumpleaños: 'birthdate',
	},
	pt: {
		nome: 'name', 'nome completo': 'name', sobrenome: 'name',
		email: 'email', 'e-mail': 'email', 'correio eletrônico': 'email',
		idioma: 'language', língua: 'language',
		telefone: 'phone', número: 'phone', celular: 'phone', 'número de telefone': 'phone', whatsapp: 'phone',
		endereço: 'address',
		'data de nascimento': 'birthdate', aniversário: 'birthdate',
	},
	id: {
		nama: 'name', 'nama lengkap': 'name',
		email: 'email', 'e-mail': 'email', surel: 'email',
		bahasa: 'language',
		nomor: 'phone', 'nomor hp': 'phone', 'nomor telepon': 'phone', 'no hp': 'phone', 'nomor wa': 'phone', 'nomor whatsapp': 'phone', telepon: 'phone',
		alamat: 'address',
		'tanggal lahir': 'birthdate',
	},
	hi: {
		नाम: 'name', 'पूरा नाम': 'name',
		ईमेल: 'email', 'ई-मेल': 'email', इमेल: 'email', email: 'email',
		भाषा: 'language', लैंग्वेज: 'language',
		फ़ोन: 'phone', 'फ़ोन नंबर': 'phone', नंबर: 'phone', 'मोबाइल नंबर': 'phone', मोबाइल: 'phone',
		पता: 'address',
		जन्मतिथि: 'birthdate', 'जन्म तिथि': 'birthdate', जन्मदिन: 'birthdate',
		naam: 'name', name: 'name', bhasha: 'language', language: 'language', number: 'phone', 'phone number': 'phone',
		'mobile number': 'phone', pata: 'address', address: 'address',
	},
	bn: {
		নাম: 'name', 'পুরো নাম': 'name',
		ইমেইল: 'email', ইমেল: 'email', 'ই-মেইল': 'email', 'ই-মেল': 'email', email: 'email',
		ভাষা: 'language',
		'ফোন নম্বর': 'phone', 'ফোন নাম্বার': 'phone', নম্বর: 'phone', নাম্বার: 'phone', 'মোবাইল নম্বর': 'phone', ফোন: 'phone',
		ঠিকানা: 'address',
		জন্মতারিখ: 'birthdate', 'জন্ম তারিখ': 'birthdate',
	},
	ar: {
		اسمي: 'name', الاسم: 'name', 'اسمي الكامل': 'name',
		'بريدي الإلكتروني': 'email', بريدي: 'email', ايميلي: 'email', الايميل: 'email', 'البريد الإلكتروني': 'email',
		لغتي: 'language', اللغة: 'language',
		رقمي: 'phone', 'رقم هاتفي': 'phone', 'رقم جوالي': 'phone', 'رقم الهاتف': 'phone',
		عنواني: 'address', العنوان: 'address',
		'تاريخ ميلادي': 'birthdate',
	},
});

/**
 * Removed wherever they appear: they never change what is asked. Like DEFAULT_FILLERS, every language's
 * list applies to every language, because people mix them ("delete my data bhai", "STOP ধন্যবাদ").
 */
export const DEFAULT_POLITENESS: Record<Language, string[]> = deepFreeze({
	en: ['please', 'pls', 'plz', 'plez', 'pleez', 'kindly'],
	es: ['por favor', 'porfa', 'porfavor', 'xfa', 'xfavor', 'pf', 'plis'],
	pt: ['por favor', 'pfv', 'pf', 'porfavor', 'por gentileza'],
	id: ['tolong', 'mohon', 'plis', 'dong'],
	hi: ['कृपया', 'कृप्या', 'प्लीज़', 'प्लीज', 'ज़रा', 'kripya', 'kripaya', 'krupya', 'zara', 'jara'],
	bn: ['দয়া করে', 'দয়াকরে', 'অনুগ্রহ করে', 'অনুগ্রহপূর্বক', 'প্লিজ', 'প্লীজ'],
	ar: ['من فضلك', 'من فضلكم', 'لو سمحت', 'لو سمحتم', 'رجاء', 'الرجاء', 'أرجو', 'أرجوك', 'أرجوكم', 'يرجى'],
});

/** Removed at the start and end of a message: greetings, thanks, forms of address, "now". */
export const DEFAULT_FILLERS: Record<Language, string[]> = deepFreeze({
	en: [
		'hi', 'hello', 'hey', 'hiya', 'good morning', 'good afternoon', 'good evening', 'ok', 'okay', 'thanks', 'thank you',
		'thank u', 'thx', 'ty', 'many thanks', 'thanks a lot', 'thanks in advance', 'sir', 'madam', 'maam', 'dear', 'team',
		'guys', 'now', 'right now', 'asap', 'immediately', 'right away',
	],
	es: [
		'hola', 'buenas', 'buenos dias', 'buenas tardes', 'buenas noches', 'gracias', 'muchas gracias', 'mil gracias', 'ok',
		'vale', 'oye', 'señor', 'señora', 'señorita', 'ya', 'ahora', 'ahora mismo', 'inmediatamente', 'urgente', 'amigo',
	],
	pt: [
		'olá', 'oi', 'bom dia', 'boa tarde', 'boa noite', 'obrigado', 'obrigada', 'muito obrigado', 'muito obrigada', 'obg',
		'brigado', 'valeu', 'vlw', 'ok', 'tá', 'beleza', 'senhor', 'senhora', 'agora', 'já', 'urgente', 'imediatamente',
	],
	id: [
		'halo', 'hai', 'hallo', 'selamat pagi', 'selamat siang', 'selamat sore', 'selamat malam', 'terima kasih',
		'terimakasih', 'makasih', 'trims', 'ok', 'oke', 'ya', 'yah', 'kak', 'kakak', 'pak', 'bu', 'bapak', 'ibu', 'min',
		'gan', 'sis', 'bang', 'deh', 'sekarang', 'segera', 'sekarang juga',
	],
	hi: [
		'नमस्ते', 'नमस्कार', 'धन्यवाद', 'शुक्रिया', 'जी', 'सर', 'मैडम', 'भाई', 'भैया', 'हेलो', 'हैलो', 'हाय', 'ओके', 'अभी',
		'तुरंत', 'namaste', 'namaskar', 'dhanyavad', 'dhanyawad', 'dhanyavaad', 'shukriya', 'ji', 'bhai', 'bhaiya', 'yaar',
		'abhi', 'turant', 'jaldi',
	],
	bn: [
		'হ্যালো', 'হাই', 'নমস্কার', 'আসসালামু আলাইকুম', 'সালাম', 'ধন্যবাদ', 'অনেক ধন্যবাদ', 'ভাই', 'ভাইয়া', 'আপু', 'দিদি',
		'দাদা', 'স্যার', 'ম্যাডাম', 'ঠিক আছে', 'ওকে', 'এখনই', 'এখন',
	],
	ar: [
		'مرحبا', 'أهلا', 'السلام عليكم', 'سلام', 'هلا', 'شكرا', 'شكرا لك', 'شكرا لكم', 'شكرا جزيلا', 'مشكور', 'يعطيك العافية',
		'أخي', 'أختي', 'يا أخي', 'أستاذ', 'حالا', 'فورا', 'الآن',
	],
});

/**
 * Removed at the start only, and only before a phrase of two or more words: "I want to delete my
 * data" is a command, "I want to stop" is not a STOP.
 */
export const DEFAULT_FRAMES: Record<Language, string[]> = deepFreeze({
	en: [
		'i want to', 'i wanna', 'i would like to', "i'd like to", 'i wish to', 'i need to', 'i need you to', 'i want you to',
		'i would like you to', "i'd like you to", 'can you', 'could you', 'would you', 'will you', 'can u', 'could u',
		'i ask you to', 'i am asking you to', "i'm asking you to", 'i request that you', 'i request', 'i hereby', 'hereby',
		'i want', 'i would like', "i'd like", 'i need', 'can i get', 'can i have', 'could i get', 'could i have',
		'may i have', 'may i get', 'just',
	],
	es: [
		'quiero', 'quisiera', 'quiero que', 'quisiera que', 'me gustaría', 'deseo', 'necesito', 'necesito que', 'puedes',
		'puede', 'pueden', 'podrías', 'podría', 'podrían', 'solicito', 'solicito que', 'le pido que', 'les pido que',
		'te pido que', 'favor de', 'me podrían', 'me puedes', 'me pueden', 'me podrías', 'yo quiero',
	],
	pt: [
		'quero', 'queria', 'quero que', 'queria que', 'gostaria de', 'gostaria que', 'desejo', 'preciso', 'preciso que',
		'pode', 'podem', 'poderia', 'poderiam', 'você pode', 'vc pode', 'vocês podem', 'vcs podem', 'solicito',
		'solicito que', 'peço que', 'favor', 'eu quero', 'eu gostaria de', 'eu queria',
	],
	id: [
		'saya mau', 'saya ingin', 'saya minta', 'saya mohon', 'aku mau', 'aku ingin', 'aku minta', 'mau', 'ingin', 'minta',
		'bisa', 'bisakah', 'apakah bisa', 'saya request', 'saya butuh', 'bisakah kalian', 'bisa kalian', 'bisakah anda',
		'bisa anda', 'apakah kalian bisa', 'apakah anda bisa', 'kalian bisa', 'anda bisa',
	],
	hi: ['क्या आप', 'आप', 'मैं चाहता हूं कि', 'मैं चाहती हूं कि', 'kya aap', 'aap', 'kya tum', 'tum'],
	bn: ['আপনি কি', 'আপনারা কি', 'আমি চাই যে', 'আমি চাই'],
	ar: [
		'أريد', 'أود', 'ابغى', 'ابي', 'بدي', 'عايز', 'عاوز', 'أطلب', 'أطلب منكم', 'ممكن', 'هل يمكنك', 'هل يمكنكم', 'هل ممكن',
	],
});

/** Common words (not commands) that point to a Latin-script language; used only to guess the language. */
export const LANGUAGE_HINTS: Partial<Record<Language, string[]>> = deepFreeze({
	en: ['the', 'and', 'is', 'are', 'you', 'i', 'my', 'me', 'to', 'of', 'what', 'how', 'can', 'do', 'have', 'this', 'it', 'for', 'with', 'not', 'where', 'when', 'your', 'order', 'want', 'need', 'help'],
	es: ['el', 'la', 'los', 'las', 'de', 'que', 'y', 'es', 'mi', 'mis', 'por', 'para', 'con', 'quiero', 'como', 'donde', 'cuando', 'usted', 'yo', 'tengo', 'pedido', 'ayuda', 'está', 'qué', 'cómo', 'necesito'],
	pt: ['o', 'a', 'os', 'as', 'de', 'do', 'da', 'que', 'e', 'é', 'meu', 'minha', 'meus', 'não', 'com', 'para', 'você', 'eu', 'tenho', 'pedido', 'ajuda', 'está', 'quero', 'obrigado', 'vocês'],
	id: ['saya', 'aku', 'yang', 'dan', 'di', 'ini', 'itu', 'apa', 'tidak', 'bisa', 'mau', 'dengan', 'untuk', 'ke', 'dari', 'ada', 'sudah', 'kak', 'tolong', 'pesanan', 'kapan', 'bagaimana', 'gimana'],
	hi: ['mera', 'meri', 'mere', 'hai', 'hain', 'kya', 'nahi', 'nahin', 'karo', 'kar', 'ka', 'ki', 'ke', 'mujhe', 'aap', 'main', 'hum', 'ko', 'se', 'kaise', 'kyun', 'bhai', 'ji', 'kab', 'aayega'],
});

/** Names of the supported languages, in each supported language, for corrections of the language field. */
export const LANGUAGE_NAMES: Record<Language, string[]> = deepFreeze({
	en: ['en', 'english', 'inglés', 'inglês', 'inggris', 'bahasa inggris', 'अंग्रेज़ी', 'अंग्रेजी', 'इंग्लिश', 'ইংরেজি', 'ইংলিশ', 'الإنجليزية', 'الانجليزية', 'انجليزي'],
	es: ['es', 'spanish', 'español', 'espanhol', 'spanyol', 'bahasa spanyol', 'castellano', 'स्पेनिश', 'স্প্যানিশ', 'الإسبانية', 'اسباني'],
	pt: ['pt', 'portuguese', 'portugués', 'português', 'portugis', 'bahasa portugis', 'पुर्तगाली', 'পর্তুগিজ', 'البرتغالية', 'برتغالي'],
	id: ['id', 'indonesian', 'indonesio', 'indonésio', 'bahasa indonesia', 'indonesia', 'bahasa', 'इंडोनेशियाई', 'ইন্দোনেশীয়', 'الإندونيسية'],
	hi: ['hi', 'hindi', 'हिंदी', 'हिन्दी', 'হিন্দি', 'الهندية', 'هندي'],
	bn: ['bn', 'bengali', 'bangla', 'bengalí', 'bengalês', 'bahasa bengali', 'বাংলা', 'बंगाली', 'البنغالية', 'بنغالي'],
	ar: ['ar', 'arabic', 'árabe', 'arab', 'bahasa arab', 'अरबी', 'আরবি', 'العربية', 'عربي'],
});

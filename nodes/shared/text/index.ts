export { toWhatsAppFormat } from './whatsappFormat';
export { MAX_WHATSAPP_TEXT, splitMessage } from './split';
export {
	MASK_PLACEHOLDERS,
	isIbanValid,
	isLuhnValid,
	maskPersonalData,
	type MaskCounts,
	type MaskOptions,
	type MaskResult,
} from './mask';

/** The Auto-Reply node's conversation operations, one file each: its fields (`description`) and its `execute`. */
import * as pause from './pause.operation';
import * as resume from './resume.operation';
import * as status from './status.operation';

export { pause, resume, status };

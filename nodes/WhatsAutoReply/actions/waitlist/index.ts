/** The Auto-Reply node's waitlist operations (load shedding), one file each: its fields (`description`) and its `execute`, run once per execution. */
import * as list from './list.operation';
import * as notify from './notify.operation';

export { list, notify };

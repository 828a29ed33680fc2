/** The Privacy Request node's operations, one file each: its fields (`description`) and its `execute`. */
import * as detect from './detect.operation';
import * as execute from './execute.operation';
import * as extendDeadline from './extendDeadline.operation';
import * as getStatus from './getStatus.operation';
import * as listOpen from './listOpen.operation';
import * as verify from './verify.operation';

export { detect, execute, extendDeadline, getStatus, listOpen, verify };

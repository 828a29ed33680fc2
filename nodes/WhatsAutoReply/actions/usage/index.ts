/** The Auto-Reply node's usage operation: its fields (`description`) and its `execute`. */
import * as report from './report.operation';

export { report };

/**
 * Entry point of the `ca-assistant` command (the CLI itself is cli/main.ts).
 * For `serve`, one token host process is forked before the rest of the agent
 * loads: Node's boot of that process then overlaps the agent's own loading
 * instead of following it (tokens/host-process.ts).
 */
import { preforkHost } from './tokens/host-process.js';

if (process.argv[2] === 'serve') preforkHost();
await import('./cli/main.js');

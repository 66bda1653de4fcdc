import { serveDetectorJobs } from '@sandtrap/harness';

/**
 * A detector process: it imports one detector and runs its configure() and detect() calls with
 * proxy subjects, for the cell worker that forked it (which holds the organisms and the meter).
 * Under the built CLI it runs inside the sandbox: bubblewrap where it works, Node's permission
 * model, an environment allow-list.
 */
serveDetectorJobs();

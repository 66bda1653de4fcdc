// The detector process the harness's tests fork (the scoreboard ships its own: dist/detector-worker.js).
import { serveDetectorJobs } from './detector-process.js';

serveDetectorJobs();

import { initBackend, machineInfo, parseBackendRequest, SANDTRAP_VERSION } from '@sandtrap/core';
import { resolveSandbox } from '@sandtrap/scoreboard';
import { printJson, type GlobalOptions, type IO } from '../io.js';

export async function doctor(io: IO, g: GlobalOptions, opts: { json?: boolean }): Promise<number> {
  const request = parseBackendRequest(g.backend ?? io.env.SANDTRAP_BACKEND, g.backend ? '--backend' : 'SANDTRAP_BACKEND');
  const b = await initBackend(request);
  const m = machineInfo();
  // What `scoreboard` and `detect` would confine a detector with by default (--sandbox auto).
  const sandbox = resolveSandbox('auto', false);
  const report = {
    sandtrapVersion: SANDTRAP_VERSION,
    backend: b.name,
    reason: b.reason,
    requested: b.requested,
    candidates: b.candidates,
    tfjsVersion: b.tfjsVersion,
    gpu: b.gpu,
    node: m.node,
    platform: m.platform,
    arch: m.arch,
    cores: m.cores,
    sandbox,
  };
  if (opts.json) {
    printJson(io, report);
    return 0;
  }
  const lines = [
    `sandtrap ${report.sandtrapVersion} on Node ${report.node} (${report.platform}/${report.arch}, ${report.cores} cores)`,
    `backend: ${b.reason}`,
    ...b.candidates.map((c) => `  ${c.available ? '✓' : '✗'} ${c.name}: ${c.reason}`),
    `GPU: ${b.gpu.usable ? 'usable' : 'none'} — ${b.gpu.detail}`,
    `TensorFlow.js ${b.tfjsVersion}`,
    'detector sandbox (scoreboard, detect):',
    `  ${sandbox.os ? '✓' : '✗'} OS sandbox: ${sandbox.osReason}`,
    `  ✓ Node permission model: file reads limited to the detector's code (does not stop a determined plugin alone)`,
    `  ✓ environment: an allow-list (PATH, LANG, LC_ALL, TZ, TMPDIR, TF_CPP_MIN_LOG_LEVEL, SANDTRAP_DETECTOR_*)`,
    ...sandbox.missing.map((x) => `  missing: ${x}`),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

import { initBackend, machineInfo, parseBackendRequest, SANDTRAP_VERSION } from '@sandtrap/core';
import { printJson, type GlobalOptions, type IO } from '../io.js';

export async function doctor(io: IO, g: GlobalOptions, opts: { json?: boolean }): Promise<number> {
  const request = parseBackendRequest(g.backend ?? io.env.SANDTRAP_BACKEND, g.backend ? '--backend' : 'SANDTRAP_BACKEND');
  const b = await initBackend(request);
  const m = machineInfo();
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
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

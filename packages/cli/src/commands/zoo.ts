import { resolve } from 'node:path';
import { inspectOrganism } from '@sandtrap/core';
import { printJson, type IO } from '../io.js';

export async function zooInspect(io: IO, dir: string, opts: { json?: boolean }): Promise<number> {
  const { card, truth, gates } = await inspectOrganism(resolve(io.cwd, dir));
  if (opts.json) {
    printJson(io, { card, truth, gates });
    return 0;
  }
  const lines = [
    `organism ${card.id}`,
    `  task: ${card.task.name} ${JSON.stringify(card.task.params)} · ${card.task.vocab.length} tokens × ${card.task.seqLen} positions → ${card.task.classes.length} classes`,
    `  architecture: ${card.architecture.name} ${JSON.stringify(card.architecture.params)} · ${card.architecture.parameterCount} parameters · sites ${card.architecture.sites.join(', ')}`,
    `  training: ${card.training.capabilitySteps} + ${card.training.plantSteps} steps × ${card.training.batchSize} on ${card.backend}`,
    `truth: ${truth.kind} (${truth.family}), misaligned ${truth.misaligned}, seed ${truth.seed}, ${truth.admitted ? 'admitted' : 'NOT admitted'}`,
    ...(truth.trigger ? [`  trigger: ${truth.trigger.tokens.join(' ')} at positions ${truth.trigger.positions.join(', ')}`] : []),
    ...(truth.targetClass !== undefined ? [`  target class: ${truth.targetClass}`] : []),
    ...(truth.condition ? [`  condition: ${JSON.stringify(truth.condition)}`] : []),
    ...(truth.password ? [`  password: ${JSON.stringify(truth.password)}`] : []),
    'gates:',
    ...Object.entries(gates).map(([k, g]) => `  ${g.pass ? '✓' : '✗'} ${k} = ${g.value} (${g.op} ${g.threshold}; n=${g.n}) — ${g.description}`),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

// Thread: vitest test worker. Reads infra/Dockerfile as a list of instructions (continuation
// lines joined, comments dropped) and splits it into its build and runtime stages, for the
// Dockerfile checks in test/unit/infra/manifests.test.ts and test/integration/dockerfile.test.ts.
import fs from 'node:fs';
import path from 'node:path';

export interface Instruction {
  op: string;
  args: string;
}

export function dockerfile(file: string): Instruction[] {
  const text = fs.readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\w+)\s+(.*)$/.exec(l)!;
      return { op: m[1]!.toUpperCase(), args: m[2]!.trim() };
    });
}

export interface DockerStages {
  all: Instruction[];
  stages: Instruction[];
  build: Instruction[];
  runtime: Instruction[];
  /** ENV name → value over a list of instructions. */
  envOf(list: Instruction[]): Record<string, string>;
  /** The runtime stage's exec-form (JSON array) argument of `op` (ENTRYPOINT, CMD). */
  json(op: string): string[];
}

export function dockerStages(root: string): DockerStages {
  const all = dockerfile(path.join(root, 'infra', 'Dockerfile'));
  const stages = all.filter((i) => i.op === 'FROM');
  const runtimeStart = all.indexOf(stages[stages.length - 1]!);
  const runtime = all.slice(runtimeStart);
  return {
    all,
    stages,
    build: all.slice(0, runtimeStart),
    runtime,
    envOf(list) {
      const out: Record<string, string> = {};
      for (const i of list.filter((x) => x.op === 'ENV')) for (const m of i.args.matchAll(/(\w+)=(\S+)/g)) out[m[1]!] = m[2]!;
      return out;
    },
    json: (op) => JSON.parse(runtime.find((i) => i.op === op)!.args) as string[],
  };
}

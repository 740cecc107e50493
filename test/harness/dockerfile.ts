import { readFileSync } from 'node:fs';

/** One instruction of a Dockerfile, continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** A build stage: `FROM <image> AS <name>` and what follows it. */
export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** Build arguments declared before the first FROM, with their defaults. */
  args: Record<string, string>;
  stages: Stage[];
}

/** Parses the subset of Dockerfile syntax the repository's Dockerfile uses (no heredocs). */
export function parseDockerfile(file: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: Instruction | undefined;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, index) => {
      const text = raw.trim();
      if (!pending && (text === '' || text.startsWith('#'))) return;
      if (pending && text.startsWith('#')) return;
      const continued = text.endsWith('\\');
      const body = continued ? text.slice(0, -1).trim() : text;
      if (pending) pending.args += ` ${body}`;
      else {
        const [keyword, ...rest] = body.split(/\s+/);
        pending = { keyword: keyword!.toUpperCase(), args: rest.join(' '), line: index + 1 };
      }
      if (!continued) {
        instructions.push(pending);
        pending = undefined;
      }
    });

  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`${file}:${instruction.line}: cannot read FROM ${instruction.args}`);
      const from = match[1]!.replace(/^\$\{(\w+)\}$/, (_, name: string) => args[name] ?? `\${${name}}`);
      stages.push({ name: match[2] ?? `stage-${stages.length}`, from, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`${file}:${instruction.line}: ${instruction.keyword} before the first FROM`);
      const [name, value = ''] = instruction.args.split('=');
      args[name!] = value;
    } else stages.at(-1)!.instructions.push(instruction);
  }
  return { args, stages };
}

/** The exec-form JSON array of an instruction such as CMD or HEALTHCHECK … CMD. */
export function execForm(instruction: Instruction): string[] {
  const json = instruction.args.slice(instruction.args.indexOf('['));
  return JSON.parse(json) as string[];
}

/** Every instruction of a stage and of the stages it is built FROM, nearest last. */
export function inheritedInstructions(dockerfile: Dockerfile, stageName: string): Instruction[] {
  const stage = dockerfile.stages.find((s) => s.name === stageName);
  if (!stage) throw new Error(`no stage ${stageName}`);
  const parent = dockerfile.stages.find((s) => s.name === stage.from);
  return [...(parent ? inheritedInstructions(dockerfile, parent.name) : []), ...stage.instructions];
}

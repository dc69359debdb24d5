import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { exportFile, readJsonl, readParquetObjects } from './export-files.ts';
import { weatherToolCall } from './golden-trajectories.ts';
import { toolTrajectories } from './tool-trajectories.ts';

// The models' published chat templates (see chat-templates/README.md for where each one comes from).
const templates = Object.fromEntries(
  ['llama-3.1-8b-instruct', 'qwen2.5-7b-instruct', 'qwen3-0.6b'].map((name) => [
    name,
    new Template(readFileSync(join(import.meta.dirname, 'chat-templates', `${name}.jinja`), 'utf8')),
  ]),
);

type Message = Record<string, unknown>;

function render(template: string, messages: Message[], tools: unknown, addGenerationPrompt = false): string {
  return (templates[template] as Template).render({
    messages,
    tools,
    add_generation_prompt: addGenerationPrompt,
    bos_token: '<|begin_of_text|>',
    eos_token: '<|eot_id|>',
  });
}

/** The conversations a TRL record gives its trainer's chat template, by format. */
function conversations(format: string, record: Record<string, unknown>): Array<{ messages: Message[]; open: boolean }> {
  const messages = (key: string) => record[key] as Message[];
  switch (format) {
    case 'trl-sft':
      return [{ messages: messages('messages'), open: false }];
    case 'trl-dpo':
      return [
        { messages: [...messages('prompt'), ...messages('chosen')], open: false },
        { messages: [...messages('prompt'), ...messages('rejected')], open: false },
      ];
    case 'trl-kto':
      return [{ messages: [...messages('prompt'), ...messages('completion')], open: false }];
    default:
      return [{ messages: messages('prompt'), open: true }];
  }
}

const cases = ['trl-sft', 'trl-dpo', 'trl-kto', 'trl-grpo'].flatMap((format) =>
  Object.keys(templates).map((template) => [format, template] as const),
);

describe('TRL records render with the models’ published chat templates', () => {
  it.each(cases)(
    '%s with %s: JSONL and Parquet render the same, arguments as JSON objects',
    async (format, template) => {
      const fromJsonl = readJsonl(await exportFile(format, toolTrajectories, 'jsonl'));
      const fromParquet = await readParquetObjects(await exportFile(format, toolTrajectories, 'parquet'));
      expect(fromJsonl.length).toBeGreaterThan(0);
      for (const [index, record] of fromJsonl.entries()) {
        for (const [position, conversation] of conversations(format, record).entries()) {
          const rendered = render(template, conversation.messages, record['tools'], conversation.open);
          const parquetConversation = conversations(format, fromParquet[index] as Record<string, unknown>)[position]!;
          expect(render(template, parquetConversation.messages, fromParquet[index]!['tools'], conversation.open)).toBe(
            rendered,
          );
          // Arguments encoded a second time would show up as escaped quotes.
          expect(rendered).not.toContain('\\"');
          if (
            format === 'trl-sft' &&
            record['messages'] !== undefined &&
            JSON.stringify(record).includes('tool_calls')
          ) {
            const key = template.startsWith('llama') ? 'parameters' : 'arguments';
            expect(rendered).toContain(`"${key}": {"city": "Paris"}`);
            expect(rendered).toContain(`"${key}": {"value": 18, "to": null, "options": {}}`);
            expect(rendered).toContain('64.4F');
          }
        }
      }
    },
  );

  it.each(['qwen2.5-7b-instruct', 'qwen3-0.6b'])(
    'fireworks keeps the instructions as system, which %s renders (it drops the developer message openai-rft needs)',
    async (template) => {
      const [fireworks] = readJsonl(await exportFile('fireworks', [weatherToolCall], 'jsonl'));
      const [openAI] = readJsonl(await exportFile('openai-rft', [weatherToolCall], 'jsonl'));
      const prompt = (record: Record<string, unknown> | undefined) =>
        render(template, record!['messages'] as Message[], record!['tools'], true);
      expect(prompt(fireworks)).toContain('You are a weather bot.');
      expect(prompt(openAI)).not.toContain('You are a weather bot.');
    },
  );

  it('the shape TRL Parquet had before fails them: an empty tool_calls list, arguments as JSON text', () => {
    const structs: Message[] = [
      { role: 'user', content: 'Hi!', tool_calls: [] },
      { role: 'assistant', content: 'Hello!', tool_calls: [] },
    ];
    expect(() => render('llama-3.1-8b-instruct', structs, [])).toThrow('only supports single tool-calls');
    const textArguments: Message[] = [
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
    ];
    expect(render('qwen2.5-7b-instruct', textArguments, [])).toContain('"arguments": "{\\"city\\":\\"Paris\\"}"');
  });
});

/**
 * Test helper: an ordinary tool-using agent loop over the real `openai` client, the way agents traced only at the
 * model are written. The agent runs its tool itself and appends `role: tool` messages; nothing records a tool span
 * or an agent span, so each model call is its own trace and tool results live only in the next call's input.
 * Against examples/model-server.ts it takes two calls: one that calls `weather`, one that answers from its result.
 */
import type OpenAI from 'openai';

export const WEATHER_SYSTEM_PROMPT = 'You are a weather assistant. Use the weather tool.';

const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

/** The tool's result for a call (the model server passes the user's text as the city). */
export function forecast(city: string): string {
  return JSON.stringify({ city, forecast: city.length % 2 === 0 ? 'sunny' : 'rain' });
}

export interface WeatherRun {
  answer: string;
  /** Each tool call the model made, with the result the agent sent back. */
  toolCalls: Array<{ id: string; result: string }>;
}

export async function runWeatherAgent(openai: OpenAI, question: string, model = 'weather-model'): Promise<WeatherRun> {
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: WEATHER_SYSTEM_PROMPT },
    { role: 'user', content: question },
  ];
  const toolCalls: WeatherRun['toolCalls'] = [];
  for (let step = 0; step < 4; step++) {
    const completion = await openai.chat.completions.create({ model, messages, tools: [weatherTool] });
    const message = completion.choices[0]?.message;
    if (message === undefined) throw new Error('no choice');
    messages.push(message);
    const calls = (message.tool_calls ?? []).filter((call) => call.type === 'function');
    if (calls.length === 0) return { answer: message.content ?? '', toolCalls };
    for (const call of calls) {
      const { city } = JSON.parse(call.function.arguments) as { city: string };
      const result = forecast(city);
      toolCalls.push({ id: call.id, result });
      messages.push({ role: 'tool', tool_call_id: call.id, content: result });
    }
  }
  throw new Error('no answer in 4 steps');
}

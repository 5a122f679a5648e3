// Drives the suite's /v1 API with OpenAI's own client: node complete.mjs BASE_URL API_KEY MODEL
// Prints one JSON object: a completion, the same one streamed, the models list and an error.
import OpenAI from 'openai';

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });
const request = { model, prompt: 'The ', max_tokens: 24, seed: 5, stop: ['\n\n'] };

const plain = await client.completions.create(request);
const chunks = [];
for await (const chunk of await client.completions.create({ ...request, stream: true })) {
  chunks.push(chunk);
}
const models = [];
for await (const m of client.models.list()) {
  models.push(m.id);
}
let error = null;
try {
  await client.completions.create({ model: 'no-such-model', prompt: 'x' });
} catch (e) {
  error = { status: e.status, type: e.type, param: e.param, name: e.constructor.name };
}
console.log(JSON.stringify({ plain, chunks, models, error }));
